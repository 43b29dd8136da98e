package lrp

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the layer kinds beyond ReLU CNNs (issue 19): Concat, the gate
// Mul, the elementwise activations, pooling in ceil mode and an unfolded
// BatchNorm, each against a plain loop, and their rules' conservation.

// runLayer runs forwardLayer on l with inputs xs of shapes in.
func runLayer(t *testing.T, l Layer, xs [][]float32, in [][]int) []float32 {
	t.Helper()
	out, err := l.OutShape(in)
	require.NoError(t, err)
	y := make([]float32, numel(out))
	var arg []int32
	if _, ok := l.(*MaxPool2D); ok {
		arg = make([]int32, len(y))
	}
	forwardLayer(l, y, arg, xs, in, &pass{}, &arena{})
	return y
}

// activationCases are every elementwise activation with its formula
// written out independently of activations.go, in float64.
var activationCases = []struct {
	l Layer
	f func(x float64) float64
}{
	{&Sigmoid{}, func(x float64) float64 { return math.Exp(x) / (1 + math.Exp(x)) }},
	{&HardSigmoid{Alpha: 1.0 / 6, Beta: 0.5}, func(x float64) float64 { return math.Min(math.Max(x+3, 0), 6) / 6 }},
	{&HardSigmoid{Alpha: 0.2, Beta: 0.5}, func(x float64) float64 { return math.Max(0, math.Min(1, float64(float32(0.2))*x+0.5)) }},
	{&SiLU{}, func(x float64) float64 { return x / (1 + math.Exp(-x)) }},
	{&HardSwish{}, func(x float64) float64 { return x * math.Min(math.Max(x+3, 0), 6) / 6 }},
	{&GELU{}, func(x float64) float64 { return 0.5 * x * math.Erfc(-x/math.Sqrt2) }},
	{&LeakyReLU{Alpha: 0.01}, func(x float64) float64 { return math.Max(x, 0) + float64(float32(0.01))*math.Min(x, 0) }},
	{&ELU{Alpha: 1}, func(x float64) float64 { return math.Max(x, 0) + math.Min(math.Exp(x)-1, 0) }},
	{&ELU{Alpha: 0.5}, func(x float64) float64 { return math.Max(x, 0) + 0.5*math.Min(math.Exp(x)-1, 0) }},
	{&Tanh{}, func(x float64) float64 { return (math.Exp(2*x) - 1) / (math.Exp(2*x) + 1) }},
}

// activationInputs covers both sides of every kink and the saturations.
func activationInputs() []float32 {
	x := []float32{-30, -6, -3.5, -3, -2.9, -1, -0.5, -1e-3, 0, 1e-3, 0.25, 0.5, 1, 2.9, 3, 3.5, 6, 12}
	return append(x, uniforms(newRand(11), 30, -5, 5)...)
}

// Each activation's forward pass is its formula, and its Gradient rule
// is R·f′(x) with f′ the central difference of the formula.
func TestActivations(t *testing.T) {
	x := activationInputs()
	in := [][]int{{len(x)}}
	r := uniforms(newRand(12), len(x), -1, 1)
	for _, tc := range activationCases {
		t.Run(fmt.Sprintf("%v%+v", tc.l.Kind(), tc.l), func(t *testing.T) {
			y := runLayer(t, tc.l, [][]float32{x}, in)
			want := make([]float64, len(x))
			for i, v := range x {
				want[i] = tc.f(float64(v))
			}
			requireClose(t, "y", y, want, 1e-6)

			dst := make([]float32, len(x))
			Gradient{}.backward(&layerStep{l: tc.l, x: [][]float32{x}, in: in, y: y, r: r, dst: [][]float32{dst}, a: &arena{}})
			const h = 1e-6
			for i, v := range x {
				d := (tc.f(float64(v)+h) - tc.f(float64(v)-h)) / (2 * h)
				if k := kink(tc.l, float64(v)); k {
					continue // the one-sided derivatives differ
				}
				assert.InDeltaf(t, d*float64(r[i]), float64(dst[i]), 1e-5, "gradient at x = %v", v)
			}
			// Pass copies R: the built-in composites' rule.
			Pass{}.backward(&layerStep{l: tc.l, x: [][]float32{x}, in: in, y: y, r: r, dst: [][]float32{dst}})
			assert.Equal(t, r, dst, "pass")
		})
	}
}

// kink reports whether x is where l's derivative jumps.
func kink(l Layer, x float64) bool {
	switch l := l.(type) {
	case *HardSigmoid:
		v := float64(l.Alpha)*x + float64(l.Beta)
		return math.Abs(v) < 1e-5 || math.Abs(v-1) < 1e-5
	case *HardSwish:
		return math.Abs(x+3) < 1e-5 || math.Abs(x-3) < 1e-5
	case *LeakyReLU, *ELU:
		return math.Abs(x) < 1e-5
	}
	return false
}

// A parameter that is not finite is refused.
func TestActivationParams(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, l := range []Layer{&HardSigmoid{Alpha: nan, Beta: 0.5}, &HardSigmoid{Alpha: 0.2, Beta: inf}, &LeakyReLU{Alpha: inf}, &ELU{Alpha: nan}} {
		_, err := l.OutShape([][]int{{3}})
		requireErr(t, err, l.Kind().String(), "parameter")
	}
}

// Concat puts its inputs one after the other on the first axis; Pass and
// Gradient give each input its own block of R: they conserve exactly.
func TestConcat(t *testing.T) {
	r := newRand(13)
	in := [][]int{{2, 3, 3}, {1, 3, 3}, {3, 3, 3}}
	xs := [][]float32{normals(r, 18, 1), normals(r, 9, 1), normals(r, 27, 1)}
	l := &Concat{}
	y := runLayer(t, l, xs, in)
	want := make([]float64, 0, len(y))
	for c := range 6 { // output channel c: input k's channel c − its offset
		k, off := 0, 0
		for c-off >= in[k][0] {
			off += in[k][0]
			k++
		}
		for p := range 9 {
			want = append(want, float64(xs[k][(c-off)*9+p]))
		}
	}
	requireClose(t, "y", y, want, 0)

	rel := normals(r, len(y), 1)
	for _, rule := range []layerRule{Pass{}, Gradient{}} {
		dst := [][]float32{make([]float32, 18), make([]float32, 9), make([]float32, 27)}
		rule.backward(&layerStep{l: l, x: xs, in: in, y: y, r: rel, dst: dst})
		assert.Equal(t, rel, append(append(append([]float32(nil), dst[0]...), dst[1]...), dst[2]...), "%s: the blocks of R", rule.Name())
		assert.False(t, rule.copies(l), "%s copies through a concat", rule.Name())
	}

	for _, tc := range []struct {
		in   [][]int
		want string
	}{
		{nil, "concat takes 1 to 1024 inputs, got 0"},
		{[][]int{{2, 3, 3}, {2, 3, 4}}, "concat input 1 has shape [2 3 4], input 0 [2 3 3]"},
		{[][]int{{2, 3, 3}, {6}}, "concat input 1 has shape [6]"},
		{make([][]int, MaxInputs+1), "concat takes 1 to 1024 inputs, got 1025"},
	} {
		_, err := l.OutShape(tc.in)
		requireErr(t, err, tc.want)
	}
	out, err := l.OutShape([][]int{{4}, {3}})
	require.NoError(t, err)
	assert.Equal(t, []int{7}, out, "flat inputs")
}

// A node that reads more than MaxInputs inputs is refused by NewModel.
func TestConcatMaxInputs(t *testing.T) {
	ins := make([]int, MaxInputs+1)
	for i := range ins {
		ins[i] = Input
	}
	_, err := NewModel("wide", InputSpec{Shape: []int{1, 2, 2}, Low: 0, High: 1}, []Node{
		{Name: "cat", Layer: &Concat{}, Inputs: ins},
		{Name: "flat", Layer: &Flatten{}, Inputs: []int{0}},
	}, nil)
	requireErr(t, err, "node 0 (cat) reads 1025 inputs, more than the 1024 allowed")
}

// Mul multiplies every channel of the signal by its gate value. Gradient
// is R·g to the signal and Σ R·x per channel to the gate; Signal gives
// all of R to the signal and conserves exactly; Uniform gives half to
// each.
func TestMul(t *testing.T) {
	r := newRand(14)
	for _, in := range [][][]int{{{3, 2, 2}, {3, 1, 1}}, {{4}, {4}}} {
		x, g := normals(r, numel(in[0]), 1), uniforms(r, in[1][0], 0, 1)
		l := &Mul{}
		y := runLayer(t, l, [][]float32{x, g}, in)
		hw := len(x) / len(g)
		want := make([]float64, len(x))
		for i := range x {
			want[i] = float64(x[i]) * float64(g[i/hw])
		}
		requireClose(t, fmt.Sprint("y ", in), y, want, 1e-7)

		rel := normals(r, len(y), 1)
		step := func(rule layerRule) (dx, dg []float32) {
			dx, dg = make([]float32, len(x)), make([]float32, len(g))
			rule.backward(&layerStep{l: l, x: [][]float32{x, g}, in: in, y: y, r: rel, dst: [][]float32{dx, dg}})
			return dx, dg
		}
		dx, dg := step(Gradient{})
		wantX, wantG := make([]float64, len(x)), make([]float64, len(g))
		for i := range x {
			wantX[i] = float64(rel[i]) * float64(g[i/hw])
			wantG[i/hw] += float64(rel[i]) * float64(x[i])
		}
		requireClose(t, "gradient to the signal", dx, wantX, 1e-7)
		requireClose(t, "gradient to the gate", dg, wantG, 1e-6)

		dx, dg = step(Signal{})
		assert.Equal(t, rel, dx, "signal-take-all: R to the signal")
		assert.Equal(t, make([]float32, len(g)), dg, "signal-take-all: nothing to the gate")
		assert.Equal(t, sum64(rel), sum64(dx)+sum64(dg), "signal-take-all conserves exactly")

		dx, dg = step(Uniform{})
		assert.Equal(t, sum64(rel)/2, sum64(dx), "uniform: half to the signal")
		assert.InDelta(t, sum64(rel)/2, sum64(dg), 1e-6, "uniform: half to the gate")
		for c := range g {
			var s float64
			for i := c * hw; i < (c+1)*hw; i++ {
				assert.Equal(t, rel[i]/2, dx[i], "uniform: R/2 at %d", i)
				s += float64(rel[i])
			}
			assert.InDelta(t, s/2, float64(dg[c]), 1e-6, "uniform: gate %d", c)
		}
	}
	for _, in := range [][][]int{{{3, 2, 2}, {3, 2, 2}}, {{3, 2, 2}, {2, 1, 1}}, {{3, 2, 2}, {3, 1}}, {{4}, {1}}} {
		_, err := (&Mul{}).OutShape(in)
		requireErr(t, err, "want a gate of one value per channel")
	}
	_, err := (&Mul{}).OutShape([][]int{{3, 2, 2}})
	requireErr(t, err, "mul takes 2 inputs, got 1")
}

// An unfolded BatchNorm under LRP-ε is a diagonal affine layer: R_in =
// x·s·R / stab(y), and what it absorbs is the shift's share t·R / stab(y).
func TestBatchNormEpsilon(t *testing.T) {
	r := newRand(15)
	bn := randBN(16, 3)
	in := [][]int{{3, 2, 2}}
	x := normals(r, 12, 1)
	y := runLayer(t, bn, [][]float32{x}, in)
	rel := normals(r, 12, 1)
	dst := make([]float32, 12)
	rule := Epsilon{1e-6}
	require.NoError(t, rule.check(KindBatchNorm))
	rule.backward(&layerStep{l: bn, x: [][]float32{x}, in: in, y: y, r: rel, dst: [][]float32{dst}})
	want := make([]float64, 12)
	var shift float64
	for i := range x {
		c := i / 4
		s := float64(bn.Gamma[c]) / math.Sqrt(float64(bn.Var[c])+float64(bn.Eps))
		t := float64(bn.Beta[c]) - float64(bn.Mean[c])*s
		z := s*float64(x[i]) + t
		want[i] = float64(x[i]) * s * float64(rel[i]) / (z + 1e-6*sign(z))
		shift += t * float64(rel[i]) / (z + 1e-6*sign(z))
	}
	requireClose(t, "R_in", dst, want, 1e-5)
	assert.InDelta(t, sum64(rel)-shift, sum64(dst), 1e-4*math.Abs(shift), "R_in sums to R less the shift's share")
}

func sign(z float64) float64 {
	if z < 0 {
		return -1
	}
	return 1
}

// naivePool is PyTorch's pooling loop, written out: window i spans
// [i·s − p0, i·s − p0 + k) clipped to the padded input [−p0, n + p1) for
// the divisor with countPad, to the input for the values.
func naivePool(x []float64, n, k, s, p0, p1, out int, max, countPad bool) []float64 {
	y := make([]float64, out*out)
	for i := range out {
		for j := range out {
			hs, ws := i*s-p0, j*s-p0
			he, we := min(hs+k, n+p1), min(ws+k, n+p1)
			size := float64((he - hs) * (we - ws))
			hs, ws, he, we = max0(hs), max0(ws), min(he, n), min(we, n)
			best, sum := math.Inf(-1), 0.0
			for a := hs; a < he; a++ {
				for b := ws; b < we; b++ {
					best = math.Max(best, x[a*n+b])
					sum += x[a*n+b]
				}
			}
			switch {
			case max:
				y[i*out+j] = best
			case countPad:
				y[i*out+j] = sum / size
			default:
				y[i*out+j] = sum / float64((he-hs)*(we-ws))
			}
		}
	}
	return y
}

func max0(v int) int { return max(v, 0) }

// Pooling in ceil mode: PyTorch's output sizes (a last window that would
// start in the trailing padding is dropped) and values, for max and
// average pooling with and without the padding in the divisor.
func TestPoolCeil(t *testing.T) {
	for _, tc := range []struct {
		n, k, s, p, floor, ceil int
	}{
		{6, 3, 2, 0, 2, 3},
		{5, 3, 2, 0, 2, 2},
		{5, 2, 2, 1, 3, 3}, // ⌈5/2⌉ + 1 = 4 would start at 6 = n + p0: dropped
		{4, 3, 2, 1, 2, 3},
		{7, 2, 3, 1, 3, 3},
		{111, 3, 2, 0, 55, 55}, // SqueezeNet at 224
		{8, 3, 3, 1, 3, 3},
	} {
		assert.Equalf(t, tc.floor, poolLen(tc.n, tc.k, tc.s, tc.p, tc.p, false), "floor %+v", tc)
		assert.Equalf(t, tc.ceil, poolLen(tc.n, tc.k, tc.s, tc.p, tc.p, true), "ceil %+v", tc)
		x := normals(newRand(uint64(tc.n)), tc.n*tc.n, 1)
		in := [][]int{{1, tc.n, tc.n}}
		mp := &MaxPool2D{KH: tc.k, KW: tc.k, SH: tc.s, SW: tc.s, PT: tc.p, PL: tc.p, PB: tc.p, PR: tc.p, Ceil: true}
		requireClose(t, fmt.Sprint("max ", tc), runLayer(t, mp, [][]float32{x}, in), naivePool(to64(x), tc.n, tc.k, tc.s, tc.p, tc.p, tc.ceil, true, false), 0)
		for _, cp := range []bool{false, true} {
			ap := &AvgPool2D{KH: tc.k, KW: tc.k, SH: tc.s, SW: tc.s, PT: tc.p, PL: tc.p, PB: tc.p, PR: tc.p, Ceil: true, CountIncludePad: cp}
			requireClose(t, fmt.Sprint("avg ", tc, cp), runLayer(t, ap, [][]float32{x}, in), naivePool(to64(x), tc.n, tc.k, tc.s, tc.p, tc.p, tc.ceil, false, cp), 1e-6)
		}
	}
}

// archModel has a layer of every kind of issue 19 and reads one tensor
// twice: fire-module branches concatenated (one of them twice), SiLU,
// HardSwish, a squeeze-and-excitation gate with GELU and Sigmoid, an
// unfolded BatchNorm before a convolution, LeakyReLU, ELU, Tanh,
// HardSigmoid, and pooling in ceil mode.
func archModel(t testing.TB) *Model {
	r := newRand(17)
	conv := func(in, out, k, pad int) *Conv2D {
		g := geometry(in, out, k, k)
		g.PT, g.PL, g.PB, g.PR = pad, pad, pad, pad
		return randConv(r, g, true)
	}
	m, err := NewModel("arch", InputSpec{Shape: []int{3, 9, 9}, Low: 0, High: 1}, []Node{
		{"stem", conv(3, 4, 3, 1), []int{Input}},                                   // 0
		{"silu", &SiLU{}, []int{0}},                                                // 1
		{"e1", conv(4, 2, 1, 0), []int{1}},                                         // 2
		{"relu", &ReLU{}, []int{2}},                                                // 3
		{"e3", conv(4, 2, 3, 1), []int{1}},                                         // 4
		{"hswish", &HardSwish{}, []int{4}},                                         // 5
		{"cat", &Concat{}, []int{3, 5, 3}},                                         // 6: [6 9 9]
		{"squeeze", &GlobalAvgPool{}, []int{6}},                                    // 7
		{"fc1", conv(6, 3, 1, 0), []int{7}},                                        // 8
		{"gelu", &GELU{}, []int{8}},                                                // 9
		{"fc2", conv(3, 6, 1, 0), []int{9}},                                        // 10
		{"gate", &Sigmoid{}, []int{10}},                                            // 11
		{"scale", &Mul{}, []int{6, 11}},                                            // 12
		{"bn", randBN(18, 6), []int{12}},                                           // 13
		{"leaky", &LeakyReLU{Alpha: 0.1}, []int{13}},                               // 14
		{"conv", conv(6, 4, 3, 1), []int{14}},                                      // 15
		{"elu", &ELU{Alpha: 1}, []int{15}},                                         // 16
		{"tanh", &Tanh{}, []int{16}},                                               // 17
		{"hsig", &HardSigmoid{Alpha: 0.2, Beta: 0.5}, []int{17}},                   // 18
		{"maxpool", &MaxPool2D{KH: 3, KW: 3, SH: 2, SW: 2, Ceil: true}, []int{18}}, // 19: [4 4 4]
		{"avgpool", &AvgPool2D{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, Ceil: true, CountIncludePad: true}, []int{19}}, // 20: [4 3 3]
		{"flat", &Flatten{}, []int{20}},              // 21
		{"fc", randDense(r, 36, 5, true), []int{21}}, // 22
	}, nil)
	require.NoError(t, err)
	return m
}

// The rules of the new kinds in every composite, through Explain's
// diagnostics: Pass and Concat conserve exactly, the gate Mul gives all
// of R to the signal (signal-take-all) and, with the uniform rule, half
// to each input; the unfolded BatchNorm's LRP-ε absorbs the shift's share.
// The model input's relevance is the sum of what every path sends it.
func TestArchConservation(t *testing.T) {
	m := archModel(t)
	x := uniforms(newRand(19), m.InputLen(), 0, 1)
	e := NewExplainer(m)
	for _, method := range Composites() {
		for _, rules := range []map[int]Rule{nil, {12: Uniform{}}, {13: Pass{}}} {
			if method == "gradient" && rules != nil {
				continue // the baseline takes no rules
			}
			res, err := e.Explain(x, Options{Method: method, Rules: rules})
			require.NoError(t, err, method)
			require.False(t, res.Diagnostics.NaN, method)
			for _, d := range res.Diagnostics.Layers {
				what := fmt.Sprintf("%s %v: node %d (%s) rule %s", method, rules, d.Node, d.Name, d.Rule)
				if assert.Lenf(t, d.Inputs, len(m.Nodes[d.Node].Inputs), "%s: one sum per input", what) {
					var in float64
					for _, v := range d.Inputs {
						in += v
					}
					assert.Equalf(t, d.In, in, "%s: the inputs' sums add up to In", what)
				}
				switch d.Rule {
				case "signal":
					assert.Equalf(t, d.Out, d.Inputs[0], "%s: all to the signal", what)
					assert.Zerof(t, d.Inputs[1], "%s: nothing to the gate", what)
				case "uniform":
					assert.Equalf(t, d.Out/2, d.Inputs[0], "%s: half to the signal", what)
					assert.InDeltaf(t, d.Out/2, d.Inputs[1], 1e-6*math.Abs(d.Out), "%s: half to the gate", what)
				}
				switch d.Rule {
				case "pass", "signal":
					assert.InDeltaf(t, d.Out, d.In, 1e-12*math.Abs(d.Out), "%s conserves", what)
				case "uniform":
					assert.InDeltaf(t, d.Out, d.In, 1e-6*math.Abs(d.Out), "%s conserves", what)
				}
				if method == "gradient" {
					assert.Equal(t, "gradient", d.Rule, what)
					continue
				}
				switch d.Kind {
				case KindConcat, KindSiLU, KindHardSwish, KindGELU, KindSigmoid, KindLeakyReLU, KindELU, KindTanh, KindHardSigmoid:
					assert.Equal(t, "pass", d.Rule, what)
				case KindMul:
					assert.Contains(t, []string{"signal", "uniform"}, d.Rule, what)
				case KindBatchNorm:
					assert.Contains(t, []string{"epsilon", "pass"}, d.Rule, what)
				}
			}
		}
	}
	// Signal-take-all: the squeeze-and-excitation branch gets nothing,
	// with the uniform rule half of the gate's relevance.
	for _, tc := range []struct {
		rules map[int]Rule
		gate  func(out float64) float64
	}{
		{nil, func(float64) float64 { return 0 }},
		{map[int]Rule{12: Uniform{}}, func(out float64) float64 { return out / 2 }},
	} {
		res, err := e.Explain(x, Options{Method: "epsilon", Rules: tc.rules})
		require.NoError(t, err)
		byNode := map[int]LayerDiag{}
		for _, d := range res.Diagnostics.Layers {
			byNode[d.Node] = d
		}
		assert.InDelta(t, tc.gate(byNode[12].Out), byNode[11].Out, 1e-6*math.Abs(byNode[12].Out), "relevance at the gate %v", tc.rules)
	}
}

// The Gradient composite's relevance through the new kinds is the
// gradient: it matches central differences of the forward pass.
func TestArchGradient(t *testing.T) { checkGradient(t, archModel(t), 20, 2) }
