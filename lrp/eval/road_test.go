package eval

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
)

// ramp returns a c×h×w image whose channel ch is the plane a + b·y + d·x
// with coefficients depending on ch.
func ramp(c, h, w int) []float32 {
	x := make([]float32, c*h*w)
	for ch := range c {
		for y := range h {
			for xx := range w {
				x[ch*h*w+y*w+xx] = 0.1 + 0.03*float32(ch+1)*float32(y) - 0.02*float32(ch)*float32(xx)
			}
		}
	}
	return x
}

// TestImputeRamp: a plane is its own weighted neighbour mean away from the
// border, so imputing interior pixels of a ramp without noise gives the ramp
// back, and with noise the errors are the noise: mean 0, σ as asked.
func TestImputeRamp(t *testing.T) {
	const c, h, w = 2, 16, 20
	x := ramp(c, h, w)
	rng := rand.New(rand.NewPCG(1, 2))
	im := newImputer(c, h, w)
	removed := 0
	for y := 1; y < h-1; y++ {
		for xx := 1; xx < w-1; xx++ {
			if rng.Float64() < 0.6 || (y > 4 && y < 10 && xx > 5 && xx < 15) { // scattered pixels and one block
				im.removed[y*w+xx] = true
				removed++
			}
		}
	}
	dst := make([]float32, len(x))
	im.impute(dst, x, []float32{0, 0}, nil)
	for i, rm := range im.removed {
		for ch := range c {
			j := ch*h*w + i
			if rm {
				require.InDeltaf(t, x[j], dst[j], 1e-5, "channel %d pixel (%d, %d): imputed %v, ramp %v", ch, i/w, i%w, dst[j], x[j])
			} else {
				require.Zerof(t, dst[j], "kept pixel %d of channel %d written", i, ch)
			}
		}
	}

	const sigma = 0.01
	im.impute(dst, x, []float32{sigma, 2 * sigma}, rand.New(rand.NewPCG(3, 4)))
	for ch := range c {
		var s, ss float64
		for i, rm := range im.removed {
			if rm {
				e := float64(dst[ch*h*w+i] - x[ch*h*w+i])
				s += e
				ss += e * e
			}
		}
		n := float64(removed)
		mean, sd := s/n, math.Sqrt(ss/n-(s/n)*(s/n))
		want := sigma * float64(ch+1)
		t.Logf("channel %d: %d imputed, error mean %.5f, sd %.5f (σ %.3f)", ch, removed, mean, sd, want)
		assert.InDeltaf(t, 0, mean, 4*want/math.Sqrt(n), "channel %d: mean error %v", ch, mean)
		assert.InDeltaf(t, want, sd, 0.2*want, "channel %d: noise sd %v, want %v", ch, sd, want)
	}
}

// TestImputeBorder: a removed pixel alone takes the weighted mean of its
// neighbours in the image, the weights renormalised at the border and the
// corner (so a ramp is not reproduced there: the border acts as a mirror).
func TestImputeBorder(t *testing.T) {
	const h, w = 4, 5
	x := ramp(1, h, w)
	at := func(y, xx int) float64 { return float64(x[y*w+xx]) }
	for _, tc := range []struct {
		y, x int
		want float64
	}{
		{0, 0, (at(1, 0)/6 + at(0, 1)/6 + at(1, 1)/12) / (5.0 / 12)},
		{0, 2, (at(0, 1)/6 + at(0, 3)/6 + at(1, 2)/6 + at(1, 1)/12 + at(1, 3)/12) / (2.0 / 3)},
		{2, 2, (at(1, 2)+at(3, 2)+at(2, 1)+at(2, 3))/6 + (at(1, 1)+at(1, 3)+at(3, 1)+at(3, 3))/12},
	} {
		im := newImputer(1, h, w)
		im.removed[tc.y*w+tc.x] = true
		dst := make([]float32, len(x))
		im.impute(dst, x, []float32{0}, nil)
		assert.InDeltaf(t, tc.want, float64(dst[tc.y*w+tc.x]), 1e-6, "pixel (%d, %d)", tc.y, tc.x)
	}
}

// TestImputeLocal: a removed pixel's value depends on the kept pixels next
// to its connected removed region (through the region), and on nothing
// else: changing a kept pixel that touches no removed pixel changes no
// imputed value; changing one next to a region changes every value of that
// region and none of another region.
func TestImputeLocal(t *testing.T) {
	const h, w = 12, 12
	rng := rand.New(rand.NewPCG(5, 6))
	x := make([]float32, h*w)
	for i := range x {
		x[i] = rng.Float32()
	}
	im := newImputer(1, h, w)
	region := map[int]bool{}
	for y := 3; y < 7; y++ {
		for xx := 2; xx < 6; xx++ {
			region[y*w+xx] = true
			im.removed[y*w+xx] = true
		}
	}
	lone := 9*w + 9
	im.removed[lone] = true
	impute := func(x []float32) []float32 {
		dst := make([]float32, len(x))
		im.impute(dst, x, []float32{0}, nil)
		return dst
	}
	base := impute(x)

	far := append([]float32(nil), x...)
	far[1*w+10] += 0.5 // not next to any removed pixel
	far[7*w+7] -= 0.3  // two pixels off the block's corner (6, 5)
	assert.Equal(t, base, impute(far), "a kept pixel touching no removed pixel moved an imputed value")

	near := append([]float32(nil), x...)
	near[2*w+2] += 0.5 // above the block's top-left pixel (3, 2)
	got := impute(near)
	for i := range region {
		assert.NotEqualf(t, base[i], got[i], "block pixel (%d, %d) did not move", i/w, i%w)
	}
	assert.Equal(t, base[lone], got[lone], "the lone pixel moved with the block's border")
}

// direct solves the imputation system of one channel with a dense LU
// factorization (gonum), built independently from the definition: for
// each removed pixel i, s_i u_i − Σ_{removed j} w_ij u_j = Σ_{kept j} w_ij x_j.
func direct(t *testing.T, x []float32, removed []bool, h, w int) []float64 {
	t.Helper()
	var unknowns []int
	index := map[int]int{}
	for i, rm := range removed {
		if rm {
			index[i] = len(unknowns)
			unknowns = append(unknowns, i)
		}
	}
	n := len(unknowns)
	a, b := mat.NewDense(n, n, nil), mat.NewVecDense(n, nil)
	for r, i := range unknowns {
		y, xx := i/w, i%w
		for dy := -1; dy <= 1; dy++ {
			for dx := -1; dx <= 1; dx++ {
				ny, nx := y+dy, xx+dx
				if (dy == 0 && dx == 0) || ny < 0 || ny >= h || nx < 0 || nx >= w {
					continue
				}
				wt := 1.0 / 6
				if dy != 0 && dx != 0 {
					wt = 1.0 / 12
				}
				a.Set(r, r, a.At(r, r)+wt)
				if j, ok := index[ny*w+nx]; ok {
					a.Set(r, j, a.At(r, j)-wt)
				} else {
					b.SetVec(r, b.AtVec(r)+wt*float64(x[ny*w+nx]))
				}
			}
		}
	}
	var u mat.VecDense
	require.NoError(t, u.SolveVec(a, b))
	out := make([]float64, h*w)
	for r, i := range unknowns {
		out[i] = u.AtVec(r)
	}
	return out
}

// TestImputeDirect: the conjugate-gradient solution matches a direct solve
// of the same system, per channel, for scattered and clustered masks.
func TestImputeDirect(t *testing.T) {
	const c, h, w = 3, 9, 11
	rng := rand.New(rand.NewPCG(7, 8))
	x := make([]float32, c*h*w)
	for i := range x {
		x[i] = rng.Float32()*2 - 1
	}
	for _, tc := range []struct {
		name string
		rm   func(y, x int) bool
	}{
		{"scattered 70%", func(int, int) bool { return rng.Float64() < 0.7 }},
		{"all but one corner", func(y, x int) bool { return y+x > 0 }},
		{"a blob touching the border", func(y, x int) bool { return (y-4)*(y-4)+(x-8)*(x-8) < 12 }},
	} {
		im := newImputer(c, h, w)
		for i := range im.removed {
			im.removed[i] = tc.rm(i/w, i%w)
		}
		dst := make([]float32, len(x))
		iters := im.impute(dst, x, make([]float32, c), nil)
		worst := 0.0
		for ch := range c {
			want := direct(t, x[ch*h*w:(ch+1)*h*w], im.removed, h, w)
			for i, rm := range im.removed {
				if rm {
					worst = max(worst, math.Abs(want[i]-float64(dst[ch*h*w+i])))
				}
			}
		}
		t.Logf("%s: %d CG iterations over %d channels, largest difference %.2g", tc.name, iters, c, worst)
		assert.LessOrEqualf(t, worst, 1e-5, "%s: CG and direct solve differ by %v", tc.name, worst)
	}
}

// TestRoadRun: ROAD's curve has the percentile points, is reproducible by
// seed, and leaves a constant image's score within the noise (uniform
// noise would not).
func TestRoadRun(t *testing.T) {
	const side = 8
	wt := make([]float32, side*side)
	x := make([]float32, side*side)
	for i := range wt {
		wt[i], x[i] = 1, 0.5
	}
	m := linear(t, side, side, wt)
	p, err := NewPerturber(lrp.NewExplainer(m), Config{Fill: FillROAD, Seed: 1})
	require.NoError(t, err)
	require.Equal(t, 1, p.Patch(), "ROAD's default patch")
	require.Equal(t, 9, p.Steps(), "ROAD's default L")
	require.Equal(t, []int{0, 6, 12, 19, 25, 32, 38, 44, 51, 57}, p.Removed(), "pixels removed at 0, 10, …, 90 %")
	order := p.Order(nil, Random, 2)
	c1, err := p.Run(x, order, 0, 2)
	require.NoError(t, err)
	require.Len(t, c1.Logit, 10)
	for k, f := range c1.Logit {
		removed := float64(p.Removed()[k])
		assert.InDeltaf(t, 32, f, 6*RoadNoise*math.Sqrt(removed)+1e-5, "point %d: f = %v", k, f)
	}
	c2, _ := p.Run(x, order, 0, 2)
	assert.Equal(t, c1, c2, "same seed, same curve")
	c3, _ := p.Run(x, order, 0, 3)
	assert.NotEqual(t, c1.Logit, c3.Logit, "another input seed, another noise")

	for _, tc := range []struct {
		cfg  Config
		want string
	}{
		{Config{Fill: FillROAD, Steps: 100}, ""},
		{Config{Fill: FillROAD, Patch: 8}, "fill road: 1 patch of side 8"},
		{Config{Fill: FillROAD + 1}, "fill 4 invalid"},
	} {
		p, err := NewPerturber(lrp.NewExplainer(m), tc.cfg)
		if tc.want != "" {
			assert.ErrorContains(t, err, tc.want, "%+v", tc.cfg)
			continue
		}
		require.NoError(t, err)
		assert.Equal(t, 63, p.Steps(), "steps clamped to the patches − 1")
	}
}

// TestEvaluateROAD: on a linear model with inputs that vary, a method with
// the exact relevance has a positive combined score and random has 0.
func TestEvaluateROAD(t *testing.T) {
	rng := rand.New(rand.NewPCG(9, 10))
	wt := make([]float32, 64)
	for i := range wt {
		wt[i] = rng.Float32()
	}
	m := linear(t, 8, 8, wt)
	inputs := make([][]float32, 4)
	for i := range inputs {
		inputs[i] = make([]float32, 64)
		for j := range inputs[i] {
			inputs[i][j] = rng.Float32()
		}
	}
	sums, err := Evaluate(m, inputs, []string{"lrp0", RandomMethod}, Config{Fill: FillROAD, Seed: 1}, lrp.Options{}, 2)
	require.NoError(t, err)
	require.Len(t, sums[0].CurveMoRF, 10, "MoRF curve")
	require.Len(t, sums[0].Inputs, 4, "per-input scores")
	assert.Greaterf(t, sums[0].Combined, 0.1, "lrp0 combined %v", sums[0].Combined)
	assert.Zero(t, sums[1].Combined, "random: the same order both ways")
	var mean float64
	for _, s := range sums[0].Inputs {
		mean += s.Combined / 4
	}
	assert.InDelta(t, sums[0].Combined, mean, 1e-12, "mean of the per-input scores")
}

func TestCombined(t *testing.T) {
	// ½ · ((4−1) + (2−0)) / 2 = 1.25; the first point does not count.
	assert.Equal(t, 1.25, Combined([]float64{9, 1, 0}, []float64{5, 4, 2}))
	assert.Zero(t, Combined([]float64{1}, []float64{1}), "no steps")
}

func BenchmarkImputeMNISTScattered(b *testing.B) { benchImpute(b, 1, 28, 28, 0.9, false) }
func BenchmarkImputeMNISTBlob(b *testing.B)      { benchImpute(b, 1, 28, 28, 0.9, true) }
func BenchmarkImpute224Scattered(b *testing.B)   { benchImpute(b, 3, 224, 224, 0.9, false) }
func BenchmarkImpute224Blob(b *testing.B)        { benchImpute(b, 3, 224, 224, 0.5, true) }

// benchImpute imputes a random c×h×w image with a fraction frac of its
// pixels removed: at random, or as one central disc (the harder system: its
// interior is far from any kept pixel).
func benchImpute(b *testing.B, c, h, w int, frac float64, blob bool) {
	rng := rand.New(rand.NewPCG(1, 1))
	x := make([]float32, c*h*w)
	for i := range x {
		x[i] = rng.Float32()
	}
	im := newImputer(c, h, w)
	r2 := frac * float64(h*w) / math.Pi
	for i := range im.removed {
		dy, dx := float64(i/w)-float64(h)/2, float64(i%w)-float64(w)/2
		im.removed[i] = rng.Float64() < frac
		if blob {
			im.removed[i] = dy*dy+dx*dx < r2
		}
	}
	dst := make([]float32, len(x))
	sigma := make([]float32, c)
	for i := range sigma {
		sigma[i] = RoadNoise
	}
	iters := 0
	b.ResetTimer()
	for range b.N {
		iters += im.impute(dst, x, sigma, rng)
	}
	b.ReportMetric(float64(iters)/float64(b.N)/float64(c), "CG-iters/channel")
}
