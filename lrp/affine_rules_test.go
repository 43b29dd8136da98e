package lrp

import (
	"fmt"
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	gonum "gonum.org/v1/gonum/mat"
)

// The rules for Dense and Conv2D re-derived as float64 matrix formulas over
// the explicit matrix M of the layer (z = M·x + b), as Zennit's tests do,
// and compared with the engine on random layers, inputs of both signs and
// random relevance.

// naive is an affine layer as explicit matrices.
type naive struct {
	m   *gonum.Dense // [Out][In]: z = m·x + b
	one *gonum.Dense // the same structure with every weight replaced by 1
	b   []float64    // bias per output; zeros when the layer has none
}

func naiveDense(l *Dense) naive {
	one := make([]float64, l.In*l.Out)
	for i := range one {
		one[i] = 1
	}
	b := make([]float64, l.Out)
	if l.B != nil {
		b = to64(l.B)
	}
	return naive{gonum.NewDense(l.Out, l.In, to64(l.W)), gonum.NewDense(l.Out, l.In, one), b}
}

// naiveConvMat builds the matrix of the convolution by applying naiveConv to
// every unit vector of the input [C][H][W]: column k is the response to e_k.
func naiveConvMat(l *Conv2D, w []float64, in []int) *gonum.Dense {
	n := numel(in)
	e := make([]float64, n)
	var m *gonum.Dense
	for k := range n {
		e[k] = 1
		col, _, _ := naiveConv(l, w, nil, e, in[1], in[2])
		e[k] = 0
		if m == nil {
			m = gonum.NewDense(len(col), n, nil)
		}
		m.SetCol(k, col)
	}
	return m
}

func naiveConv2D(l *Conv2D, in []int) naive {
	ones := make([]float64, len(l.W))
	for i := range ones {
		ones[i] = 1
	}
	m := naiveConvMat(l, to64(l.W), in)
	out, _ := m.Dims()
	b := make([]float64, out)
	if l.B != nil {
		per := out / l.OutC
		for j := range b {
			b[j] = float64(l.B[j/per])
		}
	}
	return naive{m, naiveConvMat(l, ones, in), b}
}

// Vector and matrix helpers, all float64.

func mv(a gonum.Matrix, x []float64) []float64 {
	var y gonum.VecDense
	y.MulVec(a, gonum.NewVecDense(len(x), x))
	return append([]float64(nil), y.RawVector().Data...)
}

func mtv(a gonum.Matrix, g []float64) []float64 { return mv(a.T(), g) }

func ew(a *gonum.Dense, f func(float64) float64) *gonum.Dense {
	var o gonum.Dense
	o.Apply(func(_, _ int, v float64) float64 { return f(v) }, a)
	return &o
}

// plusScaled returns a + k·b.
func plusScaled(a, b *gonum.Dense, k float64) *gonum.Dense {
	var o gonum.Dense
	o.Scale(k, b)
	o.Add(a, &o)
	return &o
}

func vmap(v []float64, f func(float64) float64) []float64 {
	o := make([]float64, len(v))
	for i, x := range v {
		o[i] = f(x)
	}
	return o
}

func vadd(vs ...[]float64) []float64 {
	o := make([]float64, len(vs[0]))
	for _, v := range vs {
		for i, x := range v {
			o[i] += x
		}
	}
	return o
}

func vmul(a, b []float64) []float64 {
	o := make([]float64, len(a))
	for i := range a {
		o[i] = a[i] * b[i]
	}
	return o
}

func vscale(k float64, a []float64) []float64 {
	return vmap(a, func(x float64) float64 { return k * x })
}

func pos64(v float64) float64 { return math.Max(v, 0) }
func neg64(v float64) float64 { return math.Min(v, 0) }

// stab64 is the stabilizer with the float32 ε of the rule, in float64.
func stab64(d float64, eps float32) float64 {
	if d < 0 {
		return d - float64(eps)
	}
	return d + float64(eps)
}

// divide returns R_j / stab(d_j).
func divide(r, d []float64, eps float32) []float64 {
	o := make([]float64, len(r))
	for j := range r {
		o[j] = r[j] / stab64(d[j], eps)
	}
	return o
}

// Oracles: the formulas of testdata/zennit/README.md, one per rule. lo
// and hi are the ZBox bounds per input value.

func wantEpsilon(eps float32) func(n naive, x, r, lo, hi []float64) []float64 {
	return func(n naive, x, r, _, _ []float64) []float64 {
		z := vadd(mv(n.m, x), n.b)
		return vmul(x, mtv(n.m, divide(r, z, eps)))
	}
}

func wantGamma(gamma, st float32) func(n naive, x, r, lo, hi []float64) []float64 {
	g := float64(gamma)
	return func(n naive, x, r, _, _ []float64) []float64 {
		wu, wd := plusScaled(n.m, ew(n.m, pos64), g), plusScaled(n.m, ew(n.m, neg64), g)
		bu := vadd(n.b, vscale(g, vmap(n.b, pos64)))
		bd := vadd(n.b, vscale(g, vmap(n.b, neg64)))
		xp, xn := vmap(x, pos64), vmap(x, neg64)
		dp := vadd(mv(wu, xp), mv(wd, xn), bu)
		dn := vadd(mv(wd, xp), mv(wu, xn), bd)
		z := vadd(mv(n.m, x), n.b)
		gp, gn := make([]float64, len(z)), make([]float64, len(z))
		for j := range z {
			if z[j] > 0 {
				gp[j] = r[j] / stab64(dp[j], st)
			}
			if z[j] < 0 {
				gn[j] = r[j] / stab64(dn[j], st)
			}
		}
		return vadd(vmul(xp, vadd(mtv(wu, gp), mtv(wd, gn))), vmul(xn, vadd(mtv(wd, gp), mtv(wu, gn))))
	}
}

func wantZPlus(st float32) func(n naive, x, r, lo, hi []float64) []float64 {
	return func(n naive, x, r, _, _ []float64) []float64 {
		wp, wn := ew(n.m, pos64), ew(n.m, neg64)
		xp, xn := vmap(x, pos64), vmap(x, neg64)
		g := divide(r, vadd(mv(wp, xp), mv(wn, xn), vmap(n.b, pos64)), st)
		return vadd(vmul(xp, mtv(wp, g)), vmul(xn, mtv(wn, g)))
	}
}

func wantAlphaBeta(alpha, beta, st float32) func(n naive, x, r, lo, hi []float64) []float64 {
	return func(n naive, x, r, _, _ []float64) []float64 {
		wp, wn := ew(n.m, pos64), ew(n.m, neg64)
		xp, xn := vmap(x, pos64), vmap(x, neg64)
		ga := divide(r, vadd(mv(wp, xp), mv(wn, xn), vmap(n.b, pos64)), st)
		gb := divide(r, vadd(mv(wn, xp), mv(wp, xn), vmap(n.b, neg64)), st)
		a := vadd(vmul(xp, mtv(wp, ga)), vmul(xn, mtv(wn, ga)))
		b := vadd(vmul(xp, mtv(wn, gb)), vmul(xn, mtv(wp, gb)))
		return vadd(vscale(float64(alpha), a), vscale(-float64(beta), b))
	}
}

func wantZBox(st float32) func(n naive, x, r, lo, hi []float64) []float64 {
	return func(n naive, x, r, lo, hi []float64) []float64 {
		wp, wn := ew(n.m, pos64), ew(n.m, neg64)
		z := vadd(mv(n.m, x), n.b)
		d := vadd(z, vscale(-1, vadd(mv(wp, lo), vmap(n.b, pos64))), vscale(-1, vadd(mv(wn, hi), vmap(n.b, neg64))))
		g := divide(r, d, st)
		return vadd(vmul(x, mtv(n.m, g)), vscale(-1, vmul(lo, mtv(wp, g))), vscale(-1, vmul(hi, mtv(wn, g))))
	}
}

func wantWSquare(st float32) func(n naive, x, r, lo, hi []float64) []float64 {
	return func(n naive, x, r, _, _ []float64) []float64 {
		w2 := ew(n.m, func(v float64) float64 { return v * v })
		ones := vmap(x, func(float64) float64 { return 1 })
		g := divide(r, vadd(mv(w2, ones), vmul(n.b, n.b)), st)
		return mtv(w2, g)
	}
}

func wantFlat(st float32) func(n naive, x, r, lo, hi []float64) []float64 {
	return func(n naive, x, r, _, _ []float64) []float64 {
		ones := vmap(x, func(float64) float64 { return 1 })
		return mtv(n.one, divide(r, mv(n.one, ones), st))
	}
}

func wantGradient(n naive, _, r, _, _ []float64) []float64 { return mtv(n.m, r) }

// affineCase is a one-layer model (a Conv2D is followed by Flatten so that
// the output is flat) with its matrix form and an input.
type affineCase struct {
	name      string
	m         *Model
	n         naive
	x         []float32
	low, high []float32 // explicit ZBox bounds per channel, containing x
	pooled    bool      // a max pooling follows the layer (m's node 1)
}

func affineCases(t *testing.T) []affineCase {
	r := newRand(1)
	var cases []affineCase
	spec := func(shape ...int) InputSpec { return InputSpec{Shape: shape, Low: -1, High: 1} }
	for _, c := range []struct {
		name     string
		in, out  int
		bias     bool
		low, hig []float32
	}{
		{"dense 12→7 with bias", 12, 7, true, []float32{-1.5}, []float32{1.25}},
		{"dense 9→5 without bias", 9, 5, false, []float32{-1}, []float32{2}},
	} {
		l := randDense(r, c.in, c.out, c.bias)
		cases = append(cases, affineCase{c.name, seq(t, spec(c.in), l), naiveDense(l), uniforms(r, c.in, -1, 1), c.low, c.hig, false})
	}
	pad1 := geometry(2, 3, 3, 3)
	pad1.PT, pad1.PL, pad1.PB, pad1.PR = 1, 1, 1, 1
	mixed := geometry(4, 6, 3, 2) // stride, dilation, asymmetric padding, groups
	mixed.SH, mixed.DW, mixed.PT, mixed.PB, mixed.PR, mixed.Groups = 2, 2, 1, 2, 1, 2
	depth := geometry(3, 3, 2, 3) // depthwise, dilated rows, strided columns
	depth.SW, depth.DH, depth.PL, depth.PB, depth.Groups = 2, 2, 2, 1, 3
	for _, c := range []struct {
		name      string
		geom      Conv2D
		in        []int
		bias      bool
		low, high []float32
	}{
		{"conv 3x3 padding 1", pad1, []int{2, 6, 6}, true, []float32{-1, -2}, []float32{1, 1.5}},
		{"conv stride 2x1 dilation 1x2 padding 1,0,2,1 groups 2", mixed, []int{4, 7, 8}, true, []float32{-1, -1.5, -2, -1}, []float32{1, 1, 2, 3}},
		{"conv depthwise no bias", depth, []int{3, 6, 7}, false, []float32{-1, -1.25, -1.5}, []float32{1.5, 1, 2}},
	} {
		l := randConv(r, c.geom, c.bias)
		m := seq(t, spec(c.in...), l, &Flatten{})
		x := uniforms(r, numel(c.in), -1, 1)
		cases = append(cases, affineCase{c.name, m, naiveConv2D(l, c.in), x, c.low, c.high, false})
		// Relevance routed by a max pooling (3×3, stride 3: density at
		// most 1/9) reaches the transposed passes with its support listed.
		pool := &MaxPool2D{KH: 3, KW: 3, SH: 3, SW: 3}
		pm := seq(t, spec(c.in...), l, pool, &Flatten{})
		cases = append(cases, affineCase{c.name + ", max pooling after", pm, naiveConv2D(l, c.in), x, c.low, c.high, true})
	}
	// The same layers on inputs x ≥ 0, as after a ReLU, where the rules
	// that split W by sign take their shortcuts.
	for _, c := range cases[:len(cases):len(cases)] {
		c.name += ", x ≥ 0"
		c.x = slices.Clone(c.x)
		for i, v := range c.x {
			c.x[i] = float32(math.Abs(float64(v)))
		}
		cases = append(cases, c)
	}
	return cases
}

// wellConditioned zeroes the relevance of the outputs whose sum
// z_j = Σ_i M_ji·x_i + b_j cancels: with condition number
// κ_j = (Σ_i |M_ji·x_i| + |b_j|) / |z_j| above 20, any float32 evaluation of
// R_j / z_j (PyTorch's included) is off by more than the 1e-5 these tests
// ask for, whatever the rule. The other outputs keep their random relevance.
func wellConditioned(n naive, x, r []float64) (out []float32, kept int) {
	abs := ew(n.m, math.Abs)
	mag := vadd(mv(abs, vmap(x, math.Abs)), vmap(n.b, math.Abs))
	z := vadd(mv(n.m, x), n.b)
	out = to32(r)
	for j := range out {
		if mag[j] > 20*math.Abs(z[j]) {
			out[j] = 0
		} else {
			kept++
		}
	}
	return out, kept
}

// boundsOf expands per-channel bounds to one value per input value.
func boundsOf(b []float32, n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = float64(b[i*len(b)/n])
	}
	return o
}

func TestAffineRulesMatchMatrixFormulas(t *testing.T) {
	type want func(n naive, x, r, lo, hi []float64) []float64
	for _, c := range affineCases(t) {
		rules := []struct {
			rule      Rule
			want      want
			low, high []float32 // ZBox bounds the oracle uses
			tol       float64   // relative to max|want|; 0 means 1e-5
		}{
			{Epsilon{1e-9}, wantEpsilon(1e-9), nil, nil, 0},
			{Epsilon{0.25}, wantEpsilon(0.25), nil, nil, 0},
			{Gamma{0.25, 1e-6}, wantGamma(0.25, 1e-6), nil, nil, 0},
			{Gamma{1, 1e-6}, wantGamma(1, 1e-6), nil, nil, 0}, // a second γ on the same explainer: the weight cache must follow
			{Gamma{0, 1e-6}, wantGamma(0, 1e-6), nil, nil, 0},
			{ZPlus{1e-6}, wantZPlus(1e-6), nil, nil, 0},
			{AlphaBeta{2, 1, 1e-6}, wantAlphaBeta(2, 1, 1e-6), nil, nil, 0},
			{AlphaBeta{1, 0, 1e-6}, wantAlphaBeta(1, 0, 1e-6), nil, nil, 0},
			{ZBox{Stab: 1e-6}, wantZBox(1e-6), []float32{-1}, []float32{1}, 0}, // the model's bounds
			{ZBox{Low: c.low, High: c.high, Stab: 1e-6}, wantZBox(1e-6), c.low, c.high, 0},
			{WSquare{1e-6}, wantWSquare(1e-6), nil, nil, 0},
			{Flat{1e-6}, wantFlat(1e-6), nil, nil, 0},
			{Gradient{}, wantGradient, nil, nil, 0},
		}
		e := NewExplainer(c.m) // one explainer for all rules: caches are shared
		e.forward(c.x)
		rel, kept := wellConditioned(c.n, to64(c.x), to64(normals(newRand(2), len(c.n.b), 1)))
		start := rel // the relevance at the model output
		if c.pooled {
			// Relevance only at the pooling's winners, sent there by it.
			arg := e.arg[1]
			start = make([]float32, len(arg))
			at := make([]float32, len(rel))
			kept = 0
			for o, k := range arg {
				start[o], at[k] = rel[k], rel[k]
				if rel[k] != 0 {
					kept++
				}
			}
			rel = at
		}
		t.Logf("%s: relevance on %d of %d outputs", c.name, kept, len(rel))
		for _, rc := range rules {
			name := fmt.Sprintf("%s/%s%v", c.name, rc.rule.Name(), rc.rule.Params())
			t.Run(name, func(t *testing.T) {
				require.NoError(t, rc.rule.check(c.m.Nodes[0].Layer.Kind()))
				rules := []Rule{rc.rule}
				for range c.m.Nodes[1:] {
					rules = append(rules, Gradient{}) // max pooling, Flatten: as a composite leaves them
				}
				e.backward(c.x, rules, start)
				var lo, hi []float64
				if rc.low != nil {
					lo, hi = boundsOf(rc.low, len(c.x)), boundsOf(rc.high, len(c.x))
				}
				tol := rc.tol
				if tol == 0 {
					tol = 1e-5
				}
				requireClose(t, name, e.relIn, rc.want(c.n, to64(c.x), to64(rel), lo, hi), tol)
			})
		}
	}
}

// The matrix oracle itself: the explicit matrix of a convolution applied to
// x gives the engine's forward output (a check that both read the geometry
// the same way).
func TestConvMatrixMatchesForward(t *testing.T) {
	for _, c := range affineCases(t) {
		if c.pooled {
			continue // the same layer as the case before
		}
		got, err := c.m.Forward(c.x)
		require.NoError(t, err)
		requireClose(t, c.name, got, vadd(mv(c.n.m, to64(c.x)), c.n.b), 1e-6)
	}
}

// LRP-0 (ε = 0) on a bias-free ReLU network whose activations are all
// positive conserves relevance at every layer, up to float32 rounding.
func TestLRP0ConservesWithoutBias(t *testing.T) {
	r := newRand(3)
	conv := geometry(2, 4, 3, 3)
	conv.PT, conv.PL, conv.PB, conv.PR = 1, 1, 1, 1
	c := &conv
	c.W = uniforms(r, 4*2*9, 0.01, 0.3)
	d1 := &Dense{In: 4 * 3 * 3, Out: 10, W: uniforms(r, 36*10, 0.01, 0.2)}
	d2 := &Dense{In: 10, Out: 5, W: uniforms(r, 50, 0.01, 1)}
	m := seq(t, InputSpec{Shape: []int{2, 6, 6}, Low: 0, High: 1},
		c, &ReLU{}, &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2}, &Flatten{}, d1, &ReLU{}, d2)
	x := uniforms(r, 72, 0.05, 1)
	e := NewExplainer(m)
	for _, start := range []Start{OneHot, Logit, Contrastive} {
		res, err := e.Explain(x, Options{Method: "lrp0", Params: Params{"epsilon": 0}, Start: start, Target: Class(2)})
		require.NoError(t, err)
		for i, a := range e.acts {
			for _, v := range a {
				require.Greaterf(t, v, float32(0), "node %d has a non-positive activation %v: the test needs positive ones", i, v)
			}
		}
		d := res.Diagnostics
		tol := 1e-5 * math.Max(1, math.Abs(d.StartSum))
		t.Logf("%v: start %.9g input %.9g", start, d.StartSum, d.InputSum)
		assert.InDeltaf(t, d.StartSum, d.InputSum, tol, "%v: input sum %.9g, want start sum %.9g", start, d.InputSum, d.StartSum)
		for _, l := range d.Layers {
			assert.InDeltaf(t, 0.0, l.Absorbed, tol, "%v: node %d (%s, %s) absorbed %.3g, want 0", start, l.Node, l.Kind, l.Rule, l.Absorbed)
		}
	}
}

// Add with Norm splits R in proportion to the summands; with the gradient
// it passes R to both.
func TestAddNorm(t *testing.T) {
	r := newRand(4)
	d0 := randDense(r, 6, 5, true)
	d1 := randDense(r, 5, 5, true)
	nodes := []Node{
		{"a", d0, []int{Input}},
		{"b", d1, []int{0}},
		{"add", &Add{}, []int{0, 1}},
	}
	m, err := NewModel("res", InputSpec{Shape: []int{6}, Low: 0, High: 1}, nodes, nil)
	require.NoError(t, err)
	x := normals(r, 6, 1)
	rel := normals(r, 5, 1)
	e := NewExplainer(m)
	e.forward(x)
	a, b := to64(e.acts[0]), to64(e.acts[1])
	for _, tc := range []struct {
		rule  Rule
		wantB []float64
	}{
		{Norm{1e-6}, vmul(b, divide(to64(rel), vadd(a, b), 1e-6))},
		{Gradient{}, to64(rel)},
	} {
		e.backward(x, []Rule{Gradient{}, Gradient{}, tc.rule}, rel)
		// Node 1 is read by the Add only, so its relevance is the Add's
		// second share; node 0 also receives node 1's gradient.
		requireClose(t, "add "+tc.rule.Name(), e.rel[1], tc.wantB, 1e-6)
	}
}

// TestConvConstant: zᴮ's bound term of a convolution, from the prefix sums
// of the kernel over the taps inside the input, equals two convolutions of
// the per-channel constant bounds, for geometries where padding, stride
// and dilation clip the kernel at the borders differently.
func TestConvConstant(t *testing.T) {
	r := newRand(11)
	for _, c := range []struct {
		name                   string
		inC, outC, kh, kw      int
		sh, sw, dh, dw, groups int
		pt, pl, pb, pr, h, w   int
	}{
		{"3x3 pad 1", 2, 3, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 6, 5},
		{"7x7 stride 2 pad 3", 3, 4, 7, 7, 2, 2, 1, 1, 1, 3, 3, 3, 3, 11, 10},
		{"dilated 2x3 pad 3,2", 2, 2, 3, 3, 1, 2, 2, 3, 1, 3, 2, 1, 4, 7, 9},
		{"groups 2 stride 3 pad 0,4", 4, 6, 2, 5, 3, 1, 1, 2, 2, 0, 4, 1, 4, 8, 6},
		{"kernel larger than input", 1, 2, 5, 5, 1, 1, 1, 1, 1, 4, 4, 4, 4, 2, 3},
	} {
		t.Run(c.name, func(t *testing.T) {
			g := geometry(c.inC, c.outC, c.kh, c.kw)
			g.SH, g.SW, g.DH, g.DW, g.Groups = c.sh, c.sw, c.dh, c.dw, c.groups
			g.PT, g.PL, g.PB, g.PR = c.pt, c.pl, c.pb, c.pr
			l := randConv(r, g, true)
			in := []int{c.inC, c.h, c.w}
			lc, hc := uniforms(r, c.inC, -2, 0), uniforms(r, c.inC, 0, 2)
			lt, ht := make([]float32, numel(in)), make([]float32, numel(in))
			for i := range lt {
				lt[i], ht[i] = lc[i/(c.h*c.w)], hc[i/(c.h*c.w)]
			}
			var ws weights
			wp, bp := ws.pos(l)
			wn, bn := ws.neg(l)
			m := numel(mustOut(l, in))
			var a arena
			want, t2 := make([]float32, m), make([]float32, m)
			l.forward(want, lt, wp, bp, nil, in, &pass{}, &a)
			l.forward(t2, ht, wn, bn, nil, in, &pass{}, &a)
			add(want, t2)
			got := make([]float32, m)
			l.constant(got, lc, hc, wp, wn, bp, bn, c.h, c.w)
			rel, at := maxRelDiff(got, to64(want))
			t.Logf("max rel diff %.2g over %d outputs", rel, m)
			assert.LessOrEqualf(t, rel, 1e-6, "at %d: got %v, want %v (rel diff %.2g)", at, got[at], want[at], rel)
		})
	}
}
