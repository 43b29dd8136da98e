package lrp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// withWinograd runs f with the Winograd thresholds set to use it for every
// eligible layer (on) or for none (off), and the cache budget given.
func withWinograd(on bool, budget int, f func()) {
	t, c, b := winoMinTiles, winoMinC, packBudget
	defer func() { winoMinTiles, winoMinC, packBudget = t, c, b }()
	winoMinTiles, winoMinC, packBudget = 1, 1, budget
	if !on {
		winoMinTiles = math.MaxInt
	}
	f()
}

// diffs returns max|got − want| and that over max|want|.
func diffs(got []float32, want []float64) (abs, rel float64) {
	var m float64
	for i := range want {
		abs = math.Max(abs, math.Abs(float64(got[i])-want[i]))
		m = math.Max(m, math.Abs(want[i]))
	}
	if m == 0 {
		return abs, abs
	}
	return abs, abs / m
}

// winoCases are 3×3 stride-1 convolutions of odd and even sizes, padding
// 0, 1 and 2 (also asymmetric), channel counts that are not multiples of
// the gemm tiles, one a single tile, and one deeper than a packed panel.
func winoCases(r *rand.Rand) []*Conv2D {
	var ls []*Conv2D
	for _, c := range []struct {
		inC, outC int
		pad       [4]int
	}{
		{1, 1, [4]int{0, 0, 0, 0}},
		{3, 5, [4]int{1, 1, 1, 1}},
		{7, 3, [4]int{0, 0, 0, 0}},
		{5, 9, [4]int{2, 2, 2, 2}},
		{6, 4, [4]int{2, 0, 1, 2}},
		{13, 11, [4]int{0, 2, 2, 1}},
		{17, 19, [4]int{1, 0, 0, 1}},
		{300, 37, [4]int{1, 1, 1, 1}}, // depth past one packed panel
	} {
		l := &Conv2D{InC: c.inC, OutC: c.outC, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
			PT: c.pad[0], PL: c.pad[1], PB: c.pad[2], PR: c.pad[3], Groups: 1,
			W: randn(r, c.outC*c.inC*9), B: randn(r, c.outC)}
		ls = append(ls, l)
	}
	return ls
}

// Winograd against the float64 oracle and the direct path (im2col and
// gemm), forward and transposed with one and two terms, on sizes that
// leave partial tiles; with the weight cache and with the budget exhausted
// (transforms recomputed each call).
func TestWinogradMatchesDirect(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 3))
	sizes := [][2]int{{1, 1}, {2, 2}, {3, 5}, {4, 4}, {7, 6}, {9, 13}, {16, 15}, {31, 30}}
	var worst [4]float64 // forward abs, rel; transpose abs, rel
	cases := winoCases(r)
	for ci, l := range cases {
		for si, s := range sizes {
			if l.InC == 300 && si < len(sizes)-2 {
				continue
			}
			in := []int{l.InC, s[0], s[1]}
			out, err := l.OutShape([][]int{in})
			if err != nil {
				continue // too small for this padding
			}
			name := fmt.Sprintf("%d→%d pad %d,%d,%d,%d %v→%v", l.InC, l.OutC, l.PT, l.PL, l.PB, l.PR, in, out)
			require.Truef(t, func() (ok bool) {
				withWinograd(true, 1<<30, func() { ok = l.winograd(s[0], s[1]) })
				return ok
			}(), "%s: not on the Winograd path", name)
			x, g, g2 := randn(r, numel(in)), randn(r, numel(out)), randn(r, numel(out))
			w2 := randn(r, len(l.W))
			ref := make([]float32, numel(out))
			refForward(l, ref, x, l.W, l.B, in)
			refT := make([]float32, numel(in))
			refTranspose(l, refT, g, l.W, in)
			refT2 := make([]float32, numel(in))
			refTranspose(l, refT2, g2, w2, in)
			want := to64(ref)
			wantT := to64(refT)
			wantT2 := make([]float64, len(refT))
			for i := range wantT2 {
				wantT2[i] = float64(refT[i]) + float64(refT2[i])
			}
			for _, budget := range []int{1 << 30, 0} {
				var a arena
				var got, dir [2][]float32
				for k, on := range []bool{true, false} {
					withWinograd(on, budget, func() {
						f := make([]float32, numel(out))
						l.forward(f, x, l.W, l.B, nil, in, &pass{}, &a)
						tr := make([]float32, numel(in))
						for i := range tr {
							tr[i] = float32(math.NaN()) // every entry must be written
						}
						l.transpose(tr, term(g, l.W), false, in, &pass{}, &a)
						got[k], dir[k] = f, tr
						// Two terms, then both again added to the result.
						tr2 := make([]float32, numel(in))
						l.transpose(tr2, terms{{g, l.W}, {g2, w2}}, false, in, &pass{}, &a)
						l.transpose(tr2, terms{{g, l.W}, {g2, w2}}, true, in, &pass{}, &a)
						for i := range tr2 {
							tr2[i] /= 2
						}
						if on {
							requireClose(t, name+" transpose of two terms, added", tr2, wantT2, 1e-5)
						}
					})
				}
				fa, fr := diffs(got[0], want)
				da, dr := diffs(got[1], want)
				ta, tr := diffs(dir[0], wantT)
				ua, ur := diffs(dir[1], wantT)
				if si == len(sizes)-1 && (ci == len(cases)-1 || testing.Verbose()) {
					t.Logf("%s budget %d: forward winograd %.2g (rel %.2g), direct %.2g (rel %.2g); transpose winograd %.2g (rel %.2g), direct %.2g (rel %.2g)",
						name, budget, fa, fr, da, dr, ta, tr, ua, ur)
				}
				worst[0], worst[1] = math.Max(worst[0], fa), math.Max(worst[1], fr)
				worst[2], worst[3] = math.Max(worst[2], ta), math.Max(worst[3], tr)
				// Tight bounds: the inputs are N(0,1), so sums of 9·C products
				// reach ~3√(9C); F(2,3) stays within a few ulp of them.
				// max is NaN if either is, and LessOrEqual fails on NaN.
				assert.LessOrEqualf(t, max(fr, tr), 2e-6, "%s: winograd forward rel %.3g, transpose rel %.3g, want ≤ 2e-6", name, fr, tr)
			}
		}
	}
	t.Logf("worst over all cases: forward %.3g abs, %.3g rel; transpose %.3g abs, %.3g rel", worst[0], worst[1], worst[2], worst[3])
}

// Explain with every affine rule through Winograd convolutions (with
// the thresholds lowered so that the small test layers take it), against
// the matrix formulas, the same oracle as TestAffineRulesMatchMatrixFormulas.
func TestWinogradRulesMatchMatrixFormulas(t *testing.T) {
	// All transforms cached; two to three cached, so that new ones replace
	// old ones (a new γ replaces W + γW⁺); none cached.
	for _, budget := range []int{1 << 30, 500, 0} {
		t.Run(fmt.Sprint("budget ", budget), func(t *testing.T) { winogradRules(t, budget) })
	}
}

func winogradRules(t *testing.T, budget int) {
	withWinograd(true, budget, func() {
		r := newRand(5)
		for _, g := range []struct {
			inC, outC, h, w int
			pad             [4]int
		}{
			{3, 4, 7, 6, [4]int{1, 1, 1, 1}},
			{5, 2, 6, 9, [4]int{2, 0, 1, 2}},
		} {
			c := geometry(g.inC, g.outC, 3, 3)
			c.PT, c.PL, c.PB, c.PR = g.pad[0], g.pad[1], g.pad[2], g.pad[3]
			l := randConv(r, c, true)
			in := []int{g.inC, g.h, g.w}
			require.Truef(t, l.winograd(g.h, g.w), "%+v: not on the Winograd path", g)
			m := seq(t, InputSpec{Shape: in, Low: -1, High: 1}, l, &Flatten{})
			n := naiveConv2D(l, in)
			// Inputs of both signs, and nonnegative ones (as after a ReLU:
			// γ's products with W and W⁺ only).
			for _, lo := range []float64{-1, 0} {
				x := uniforms(r, numel(in), lo, 1)
				e := NewExplainer(m)
				e.forward(x)
				rel, _ := wellConditioned(n, to64(x), to64(normals(newRand(2), len(e.logits), 1)))
				for _, rc := range []struct {
					rule Rule
					want func(n naive, x, r, lo, hi []float64) []float64
				}{
					{Epsilon{1e-9}, wantEpsilon(1e-9)},
					{Gamma{0.25, 1e-6}, wantGamma(0.25, 1e-6)},
					{Gamma{1, 1e-6}, wantGamma(1, 1e-6)}, // new γ: new weight slices, new transforms
					{ZPlus{1e-6}, wantZPlus(1e-6)},
					{AlphaBeta{2, 1, 1e-6}, wantAlphaBeta(2, 1, 1e-6)},
					{ZBox{Stab: 1e-6}, wantZBox(1e-6)},
					{WSquare{1e-6}, wantWSquare(1e-6)},
					{Flat{1e-6}, wantFlat(1e-6)},
					{Gradient{}, wantGradient},
				} {
					name := fmt.Sprintf("%+v x≥%g %s%v", g, lo, rc.rule.Name(), rc.rule.Params())
					e.backward(x, []Rule{rc.rule, Pass{}}, rel)
					var lo, hi []float64
					if _, ok := rc.rule.(ZBox); ok {
						lo, hi = boundsOf([]float32{-1}, len(x)), boundsOf([]float32{1}, len(x))
					}
					requireClose(t, name, e.relIn, rc.want(n, to64(x), to64(rel), lo, hi), 1e-5)
				}
				if budget > 0 {
					assert.NotEmptyf(t, e.a.packs.u, "%+v: no transformed weights cached", g)
				}
				assert.LessOrEqualf(t, e.a.packs.n, budget, "%+v: %d floats cached, budget %d", g, e.a.packs.n, budget)
			}
		}
	})
}

// BenchmarkWinogradLayers times the 3×3 stride-1 convolutions of ResNet-18
// (64 channels at 56×56 down to 512 at 7×7), forward and transposed with
// two terms, on the direct path and with Winograd (cached transforms, and
// recomputed each call).
func BenchmarkWinogradLayers(b *testing.B) {
	r := rand.New(rand.NewPCG(1, 1))
	for _, s := range []struct{ c, hw int }{{64, 56}, {128, 28}, {256, 14}, {512, 7}} {
		l := &Conv2D{InC: s.c, OutC: s.c, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, PL: 1, PB: 1, PR: 1, Groups: 1,
			W: randn(r, s.c*s.c*9), B: randn(r, s.c)}
		w2 := randn(r, len(l.W))
		in := []int{s.c, s.hw, s.hw}
		x, g, g2 := randn(r, numel(in)), randn(r, numel(in)), randn(r, numel(in))
		dst := make([]float32, numel(in))
		for _, mode := range []struct {
			name   string
			on     bool
			budget int
		}{{"direct", false, 1 << 30}, {"winograd", true, 1 << 30}, {"winograd-nocache", true, 0}} {
			var a arena
			withWinograd(mode.on, mode.budget, func() {
				b.Run(fmt.Sprintf("%dx%d/%s/forward", s.c, s.hw, mode.name), func(b *testing.B) {
					l.forward(dst, x, l.W, l.B, nil, in, &pass{}, &a)
					t0 := CPUTime()
					for b.Loop() {
						l.forward(dst, x, l.W, l.B, nil, in, &pass{}, &a)
					}
					b.ReportMetric(float64(CPUTime()-t0)/float64(b.N), "cpu-ns/op")
				})
				b.Run(fmt.Sprintf("%dx%d/%s/transpose2", s.c, s.hw, mode.name), func(b *testing.B) {
					l.transpose(dst, terms{{g, l.W}, {g2, w2}}, false, in, &pass{}, &a)
					t0 := CPUTime()
					for b.Loop() {
						l.transpose(dst, terms{{g, l.W}, {g2, w2}}, false, in, &pass{}, &a)
					}
					b.ReportMetric(float64(CPUTime()-t0)/float64(b.N), "cpu-ns/op")
				})
			})
		}
	}
}

// With Winograd on (thresholds lowered for a small model), explaining with
// every composite stays at zero allocations after the first call, with the
// transforms cached and with the budget too small for any of them.
func TestWinogradZeroAllocs(t *testing.T) {
	r := newRand(9)
	c1, c2 := geometry(3, 6, 3, 3), geometry(6, 5, 3, 3)
	c1.PT, c1.PL, c1.PB, c1.PR = 1, 1, 1, 1
	c2.PT, c2.PL, c2.PB, c2.PR = 0, 2, 1, 0
	l1, l2 := randConv(r, c1, true), randConv(r, c2, true)
	in := []int{3, 9, 8}
	for _, budget := range []int{1 << 30, 1000, 0} {
		withWinograd(true, budget, func() {
			m := seq(t, InputSpec{Shape: in, Low: -1, High: 1}, l1, &ReLU{}, l2, &ReLU{}, &Flatten{}, randDense(r, 5*8*8, 4, true))
			require.True(t, l1.winograd(9, 8) && l2.winograd(9, 8), "the convolutions are not on the Winograd path")
			e := NewExplainer(m)
			x := uniforms(r, numel(in), -1, 1)
			for _, method := range Composites() {
				o := Options{Method: method}
				_, err := e.Explain(x, o)
				require.NoError(t, err)
				n := testing.AllocsPerRun(5, func() { e.Explain(x, o) })
				assert.Zerof(t, n, "budget %d, %s: %v allocations per Explain, want 0", budget, method, n)
			}
			if budget == 0 {
				assert.Emptyf(t, e.a.packs.u, "budget 0: %d transforms cached", len(e.a.packs.u))
			}
			t.Logf("budget %d: %d transforms cached (%d floats)", budget, len(e.a.packs.u), e.a.packs.n)
		})
	}
}

// The sign-split rules keep the direct path (winogradSafe): with Winograd
// on, their relevance is bitwise that of the direct path, and ε's is not.
// (z^B keeps its products direct too, but subtracts them from the z of the
// model's forward pass, which may take Winograd: not bitwise.)
func TestWinogradNotForSignSplitRules(t *testing.T) {
	r := newRand(12)
	c := geometry(4, 6, 3, 3)
	c.PT, c.PL, c.PB, c.PR = 1, 1, 1, 1
	l := randConv(r, c, true)
	in := []int{4, 8, 7}
	m := seq(t, InputSpec{Shape: in, Low: 0, High: 1}, l, &ReLU{}, &Flatten{})
	x := uniforms(r, numel(in), 0, 1)
	for _, rule := range []Rule{ZPlus{1e-6}, AlphaBeta{2, 1, 1e-6}, Epsilon{1e-6}} {
		var got [2][]float32
		for k, on := range []bool{false, true} {
			withWinograd(on, 1<<30, func() {
				e := NewExplainer(m)
				res, err := e.Explain(x, Options{Start: Contrastive, Composite: &Composite{Name: "one", Entries: []Entry{{Selector{Kinds: convKinds}, rule}}}})
				require.NoError(t, err)
				got[k] = res.Relevance
			})
		}
		same := slices.Equal(got[0], got[1])
		_, safe := rule.(Epsilon)
		assert.Equalf(t, !safe, same, "%s: Winograd and direct relevance equal %v, want %v", rule.Name(), same, !safe)
	}
}

// BenchmarkWinoPack transforms and packs the weights of a 512-channel 3×3
// convolution (ResNet-18's layer4) for the forward and the transposed
// product: the bulk of a large model's Prepare.
func BenchmarkWinoPack(b *testing.B) {
	const c = 512
	w := randn(rand.New(rand.NewPCG(1, 1)), c*c*9)
	ap := make([]float32, 16*planeStride(packedSize(c, c)))
	for _, flip := range []bool{false, true} {
		b.Run(fmt.Sprintf("flip=%v", flip), func(b *testing.B) {
			b.SetBytes(int64(4 * len(ap)))
			for b.Loop() {
				winoPack(ap, w, c, c, flip)
			}
		})
	}
}

// planeStride must hold n floats and put 16 planes in 16 different cache
// sets: an odd number of 64-byte lines.
func TestPlaneStride(t *testing.T) {
	for _, tc := range []struct{ n, want int }{
		{0, 16}, {1, 16}, {16, 16}, {17, 48}, {32, 48}, {48, 48}, {49, 80},
		{512 * 512, 512*512 + 16}, {64 * 784, 64*784 + 16},
	} {
		assert.Equalf(t, tc.want, planeStride(tc.n), "planeStride(%d)", tc.n)
	}
}
