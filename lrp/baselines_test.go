package lrp

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// smoothModel is conv → ReLU → average pooling → dense: piecewise linear
// with kinks only where a conv output crosses 0, which the finite
// differences below do not reach.
func smoothModel(t *testing.T) *Model {
	r := newRand(20)
	g := geometry(2, 3, 3, 3)
	g.PT, g.PL, g.PB, g.PR = 1, 1, 1, 1
	return seq(t, InputSpec{Shape: []int{2, 5, 5}, Low: 0, High: 1},
		randConv(r, g, true), &ReLU{}, &AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2}, &Flatten{}, randDense(r, 12, 4, true))
}

func explain(t *testing.T, e *Explainer, x []float32, o Options) *Result {
	t.Helper()
	res, err := e.Explain(x, o)
	require.NoError(t, err)
	return res
}

func TestGradientMatchesFiniteDifferences(t *testing.T) {
	m := smoothModel(t)
	e := NewExplainer(m)
	x := uniforms(newRand(21), m.InputLen(), 0.1, 0.9)
	const target = 2
	grad := append([]float32(nil), explain(t, e, x, Options{Method: "gradient", Target: Class(target)}).Relevance...)
	f := func(x []float32) float64 {
		z, err := m.Forward(x)
		require.NoError(t, err)
		return float64(z[target])
	}
	const h = 1e-3
	want := make([]float64, len(x))
	xs := slices.Clone(x)
	for i := range x {
		xs[i] = x[i] + h
		fp := f(xs)
		xs[i] = x[i] - h
		fm := f(xs)
		xs[i] = x[i]
		want[i] = (fp - fm) / (float64(x[i]+h) - float64(x[i]-h))
	}
	// Central differences of float32 logits: about 1e-7·|f|/h of noise.
	requireClose(t, "gradient vs finite differences", grad, want, 2e-3)
}

func TestGradientXInput(t *testing.T) {
	m := smoothModel(t)
	e := NewExplainer(m)
	x := uniforms(newRand(22), m.InputLen(), -1, 1)
	for _, st := range []Start{OneHot, Logit, Contrastive} {
		g := slices.Clone(explain(t, e, x, Options{Method: "gradient", Start: st}).Relevance)
		gx := explain(t, e, x, Options{Method: "gradient_x_input", Start: st}).Relevance
		for i := range x {
			require.Equalf(t, x[i]*g[i], gx[i], "%v: gradient_x_input[%d] = %v, want x·gradient = %v", st, i, gx[i], x[i]*g[i])
		}
	}
}

// Integrated gradients from the black image x̄ satisfy completeness:
// Σ R = f(x) − f(x̄), up to the Riemann sum's error.
func TestIntegratedGradientsCompleteness(t *testing.T) {
	m := smoothModel(t)
	for i := range m.Nodes[4].Layer.(*Dense).W {
		m.Nodes[4].Layer.(*Dense).W[i] *= 10 // so that f(x) − f(x̄) is not small
	}
	e := NewExplainer(m)
	x := uniforms(newRand(23), m.InputLen(), 0, 1)
	black := make([]float32, len(x)) // the pixel range's low end, 0
	z0, err := m.Forward(black)
	require.NoError(t, err)
	for target := range 4 {
		res := explain(t, e, x, Options{Method: "integrated_gradients", Steps: 256, Target: Class(target)})
		want := float64(res.Logits[target]) - float64(z0[target])
		got := res.Diagnostics.InputSum
		// The midpoint rule is off by O(1/Steps) at every ReLU kink the
		// path crosses (4e-3 here), so the gap is measured against the
		// attribution's mass Σ|R|, which a small f(x) − f(x̄) can hide.
		var mass float64
		for _, v := range res.Relevance {
			mass += math.Abs(float64(v))
		}
		t.Logf("target %d: Σ R = %.6g, f(x) − f(x̄) = %.6g, Σ|R| = %.4g", target, got, want, mass)
		assert.InDeltaf(t, want, got, 1e-2*mass, "target %d: Σ R = %.6g, want f(x) − f(x̄) = %.6g to 1%% of Σ|R| = %.4g", target, got, want, mass)
		assert.Equalf(t, sumf(res.Relevance), res.Diagnostics.InputSum, "InputSum %v, sum of the relevance %v", res.Diagnostics.InputSum, sumf(res.Relevance))
	}
}

func TestSmoothGradSeeds(t *testing.T) {
	m := smoothModel(t)
	e := NewExplainer(m)
	x := uniforms(newRand(24), m.InputLen(), 0, 1)
	run := func(seed uint64) []float32 {
		return slices.Clone(explain(t, e, x, Options{Method: "smoothgrad", Samples: 8, Seed: seed}).Relevance)
	}
	a, b, c := run(1), run(1), run(2)
	assert.True(t, slices.Equal(a, b), "smoothgrad with seed 1 twice: results differ")
	assert.False(t, slices.Equal(a, c), "smoothgrad with seeds 1 and 2: same result")
	// The result reports x's forward pass, not the last noisy one.
	res := explain(t, e, x, Options{Method: "smoothgrad", Samples: 8, Seed: 1})
	z, _ := m.Forward(x)
	assert.Truef(t, slices.Equal(res.Logits, z), "smoothgrad logits %v, want those of x %v", res.Logits, z)
	// With vanishing noise it is the gradient.
	g := slices.Clone(explain(t, e, x, Options{Method: "gradient"}).Relevance)
	tiny := explain(t, e, x, Options{Method: "smoothgrad", Samples: 4, Noise: 1e-9, Seed: 3}).Relevance
	requireClose(t, "smoothgrad with noise 1e-9", tiny, to64(g), 1e-5)
}

// Taylor at the root x̃ on the segment from the black image: on a linear
// model Σ R = f(x) − f(x̃), which is f(x) when f changes sign on the
// segment (x̃ is then the zero) and f(x) − f(x̄) when it does not.
func TestTaylorSums(t *testing.T) {
	lin := &Dense{In: 3, Out: 2, W: []float32{1, 1, 1, 0.5, -1, 1}, B: []float32{-1, 0.2}}
	m := seq(t, InputSpec{Shape: []int{3}, Low: 0, High: 1}, lin)
	e := NewExplainer(m)
	x := []float32{1, 0.5, 1}
	for _, tc := range []struct {
		target int
		want   float64
	}{
		{0, 1.5},       // f(x̄) = −1, f(x) = 1.5: root inside, Σ R = f(x)
		{1, 1.2 - 0.2}, // f(x̄) = 0.2, f(x) = 1.2: no sign change, x̃ = x̄, Σ R = f(x) − f(x̄)
	} {
		res := explain(t, e, x, Options{Method: "taylor", Target: Class(tc.target), Start: Logit})
		// The Logit start scales by z_t: Σ R = z_t·(f(x) − f(x̃)).
		want := float64(res.Logits[tc.target]) * tc.want
		assert.InDeltaf(t, want, res.Diagnostics.InputSum, 1e-5, "target %d: Σ R = %.7g, want %.7g", tc.target, res.Diagnostics.InputSum, want)
	}
	// One-hot start: Σ R = f(x) for target 0.
	res := explain(t, e, x, Options{Method: "taylor", Target: Class(0)})
	assert.InDeltaf(t, 1.5, res.Diagnostics.InputSum, 1e-5, "one-hot, target 0: Σ R = %.7g, want 1.5", res.Diagnostics.InputSum)
}

func TestControlMethodsConserve(t *testing.T) {
	m := smoothModel(t) // input [2][5][5]
	e := NewExplainer(m)
	x := uniforms(newRand(25), m.InputLen(), 0, 1)
	for _, st := range []Start{OneHot, Logit, Contrastive, LogOdds} {
		res := explain(t, e, x, Options{Method: "single_pixel", Start: st})
		start := res.Diagnostics.StartSum
		centre := 2*5 + 2 // channel 0, row 2, column 2
		for i, v := range res.Relevance {
			want := float32(0)
			if i == centre {
				want = float32(start)
			}
			require.Equalf(t, want, v, "%v: single_pixel[%d] = %v, want %v at %d and 0 elsewhere", st, i, v, float32(start), centre)
		}
		res = explain(t, e, x, Options{Method: "uniform", Start: st})
		each := float32(res.Diagnostics.StartSum / float64(len(x)))
		for i, v := range res.Relevance {
			require.Equalf(t, each, v, "%v: uniform[%d] = %v, want %v", st, i, v, each)
		}
		assert.InDeltaf(t, res.Diagnostics.StartSum, res.Diagnostics.InputSum, 1e-6*math.Max(1, math.Abs(start)),
			"%v: uniform sums to %v, want %v", st, res.Diagnostics.InputSum, res.Diagnostics.StartSum)
	}
	flat := seq(t, InputSpec{Shape: []int{7}, Low: 0, High: 1}, randDense(newRand(26), 7, 2, true))
	res := explain(t, NewExplainer(flat), make([]float32, 7), Options{Method: "single_pixel"})
	assert.Truef(t, res.Relevance[3] == 1 && sumf(res.Relevance) == 1, "flat input: single_pixel %v, want all on index 3", res.Relevance)
}

// MaxPool sends each window's relevance to its first maximal element in
// row-major window order, also under exact ties (PyTorch's choice).
func TestMaxPoolTies(t *testing.T) {
	x := []float32{
		0.5, 0.5, 0.1, 0.7,
		0.5, 0.5, 0.7, 0.2,
		0.3, 0.3, -1, -1,
		0.9, 0.9, -1, -1,
	}
	// Windows: four equal values → (0,0); a tie of (0,3) and (1,2) → (0,3);
	// a tie of (3,0) and (3,1) → (3,0); four equal negatives → (2,2).
	winners := []int{0, 3, 12, 10}
	id := &Dense{In: 4, Out: 4, W: []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}}
	m := seq(t, InputSpec{Shape: []int{1, 4, 4}, Low: -1, High: 1}, &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2}, &Flatten{}, id)
	e := NewExplainer(m)
	for _, method := range []string{"gradient", "lrp0", "epsilon_gamma_box"} {
		for k, w := range winners {
			res := explain(t, e, x, Options{Method: method, Target: Class(k)})
			for i, v := range res.Relevance {
				assert.Equalf(t, i == w, v != 0, "%s, window %d: relevance %v at %d, want it only at %d", method, k, v, i, w)
			}
		}
	}
	// Padded positions never win, even against negative values.
	p := &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PT: 1, PL: 1}
	neg := []float32{-1, -1, -1, -1, -1, -1, -1, -1, -1}
	dst, arg := make([]float32, 4), make([]int32, 4)
	maxPool(dst, arg, neg, p, []int{1, 3, 3})
	assert.Truef(t, slices.Equal(arg, []int32{0, 1, 3, 4}) && slices.Equal(dst, []float32{-1, -1, -1, -1}),
		"padded max pool of −1s: max %v at %v, want −1 at [0 1 3 4]", dst, arg)
}

func TestMethods(t *testing.T) {
	ms := Methods()
	for _, n := range append(Composites(), "gradient_x_input", "smoothgrad", "integrated_gradients", "taylor", "single_pixel", "uniform") {
		assert.Containsf(t, ms, n, "Methods() lacks %s", n)
		assert.NotEmptyf(t, DescribeMethod(n), "method %s has no description", n)
	}
	assert.Truef(t, slices.IsSorted(ms) && len(slices.Compact(slices.Clone(ms))) == len(ms), "Methods() not sorted or with duplicates: %v", ms)
}

// On a linear model integrated gradients are exact for any step count.
func TestIntegratedGradientsLinear(t *testing.T) {
	lin := &Dense{In: 3, Out: 2, W: []float32{1, -2, 0.5, 0.25, 1, -1}, B: []float32{0.3, -0.1}}
	m := seq(t, InputSpec{Shape: []int{3}, Low: -1, High: 1}, lin)
	x := []float32{0.5, -0.25, 1}
	for _, steps := range []int{1, 3, 0} { // 0: the default
		res := explain(t, NewExplainer(m), x, Options{Method: "integrated_gradients", Steps: steps, Target: Class(1)})
		// x̄ = −1 everywhere: f(x) − f(x̄) = W₁·(x + 1).
		want := 0.25*1.5 + 1*0.75 - 1*2
		assert.InDeltaf(t, want, res.Diagnostics.InputSum, 1e-6, "steps %d: Σ R = %.7g, want %.7g", steps, res.Diagnostics.InputSum, want)
	}
}

// An Explainer reused across methods gives what a fresh one gives: no
// state leaks between calls through its caches and buffers.
func TestExplainerReuse(t *testing.T) {
	mc := compositeModels(t)[0]
	x := uniforms(newRand(27), mc.m.InputLen(), 0, 1)
	shared := NewExplainer(mc.m)
	for _, o := range []Options{
		{Method: "gradient"},
		{Method: "epsilon_gamma_box"},
		{Method: "gamma", Params: Params{"gamma": 0.5}},
		{Method: "gamma"},
		{Method: "smoothgrad", Samples: 3, Seed: 4},
		{Method: "montavon", Start: Logit, Target: Class(1)},
		{Method: "integrated_gradients", Steps: 5},
		{Method: "epsilon_gamma_box"},
	} {
		got := slices.Clone(explain(t, shared, x, o).Relevance)
		want := explain(t, NewExplainer(mc.m), x, o).Relevance
		assert.Truef(t, slices.Equal(got, want), "%+v: reused explainer differs from a fresh one", o)
	}
}
