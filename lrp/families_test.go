package lrp_test

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/parity"
)

// The torchvision families of the repository's test data: the ONNX
// exports of testdata/models (written by its make.py) and of
// testdata/zennit/arch, each with two inputs and PyTorch's logits. Every
// family that today's engine loads must give torch's logits and conserve
// relevance layer by layer as its rules say; every other one must be
// refused for the operator its entry names.

// A family is one model of the test data and what the engine does with it.
type family struct {
	// file is the model under testdata/, without ".onnx"; its inputs and
	// logits are in file + ".cases.json".
	file string
	// refused is "" for a family the engine loads. For one it refuses, it
	// is the operator of the first node refused, as model.UnsupportedError
	// names it: "(Op): what". Whoever adds that operator empties the
	// entry (or names the next operator refused).
	refused string
}

var families = []family{
	{"zennit/arch/squeezenet", ""},
	{"zennit/arch/densenet", ""},
	{"models/googlenet", ""},
	{"models/densenet", ""},
	{"models/efficientnet_b0", ""},
	{"models/mobilenet_v3_small", ""},
	{"models/mobilenet_v3_small.opset17", ""},
	{"models/shufflenet_v2_x0_5", ""},
	{"models/convnext_tiny", ""},
	{"models/convnext_tiny.opset17", ""},
	{"models/regnet_x_400mf", ""},
	{"models/resnet18", ""},
	{"models/mobilenet_v2", ""},
}

// loadFamily loads f's model as lrp parity does (DecodeONNX, then
// FoldBatchNorm) and reads its case file.
func loadFamily(t *testing.T, f family) (*lrp.Model, *parity.Case, error) {
	t.Helper()
	zennit, err := refdata.Dir()
	require.NoError(t, err)
	path := filepath.Join(filepath.Dir(zennit), filepath.FromSlash(f.file))
	c, err := parity.ReadCase(path + ".cases.json")
	require.NoError(t, err)
	require.NotEmpty(t, c.Inputs)
	require.Len(t, c.Logits, len(c.Inputs))
	m, _, err := parity.LoadModel(filepath.Dir(path), filepath.Base(path), parity.PreferONNX)
	return m, c, err
}

// loaded returns the families the engine loads today.
func loaded() []family {
	var out []family
	for _, f := range families {
		if f.refused == "" {
			out = append(out, f)
		}
	}
	return out
}

func TestFamiliesLoadAndMatchTorch(t *testing.T) {
	for _, f := range families {
		t.Run(f.file, func(t *testing.T) {
			m, c, err := loadFamily(t, f)
			if f.refused != "" {
				require.Error(t, err, "the family loads now: empty its refused entry")
				var u model.UnsupportedError
				require.True(t, errors.As(err, &u), "refused with an error that is no UnsupportedError: %v", err)
				require.Contains(t, err.Error(), f.refused, "refused for another operator now: update the entry")
				return
			}
			require.NoError(t, err)
			e := lrp.NewExplainer(m)
			for i, x := range c.Inputs {
				got, err := e.Forward(x)
				require.NoError(t, err)
				want := c.Logits[i]
				require.Len(t, got, len(want))
				// Within 1e-4 of the largest |logit| of torch's.
				worst := parity.RelErr(got, want)
				t.Logf("input %d: max |ours − torch| / max |torch| = %.2g", i, worst)
				assert.LessOrEqual(t, worst, 1e-4, "input %d: logits %v, torch %v", i, got, want)
				assert.Equal(t, c.Predicted[i], lrp.Argmax(got), "input %d: predicted class", i)
			}
		})
	}
}

// Conservation, layer by layer: every rule passes down a sum of relevance
// that its formula fixes from the relevance R at the layer's output, the
// layer's input x and output z, and its parameters — what it keeps, and
// what its bias and stabilizer absorb. expectation re-derives that sum
// independently (plain float64 loops over the layer's weights), and the
// test compares it with
//
//   - the diagnostics: In of every node, and Out against the relevance
//     the node holds;
//   - the relevance buffers themselves: what arrives at each tensor is the
//     sum of the shares its readers pass.
//
// The tolerance is 1e-5 of the mass of the terms that the share adds up,
// Σ|term| (for an affine rule Σ_j |g_j|·Σ_i |w_ji·x_i| with g = R / stab(D)):
// that is the scale of float32 rounding in any order of summation, and no
// smaller than Σ|R| where nothing cancels.

// A share is the relevance sum a rule passes to each input of a node, and
// the scale of its tolerance.
type share struct {
	in    []float64 // per input of the node
	scale float64   // Σ|terms| of the sums
}

// sumIn returns Σ in.
func (s share) sumIn() float64 {
	var t float64
	for _, v := range s.in {
		t += v
	}
	return t
}

func TestFamiliesConservation(t *testing.T) {
	for _, f := range loaded() {
		t.Run(f.file, func(t *testing.T) {
			m, c, err := loadFamily(t, f)
			require.NoError(t, err)
			worst := checkConservation(t, m, c.Inputs, c.Predicted)
			t.Logf("%s: worst |In − expected| / scale over every composite %.2g", f.file, worst)
		})
	}
}

// The kinds and settings that no family of the test data has (GELU,
// LeakyReLU, ELU, Tanh; average pooling in ceil mode, with and without
// the padding in its divisor; a gate on flat features; a Concat of one
// tensor twice, and of the input) conserve as their rules say, on a small
// model with random weights that has all of them.
func TestConservationEveryKind(t *testing.T) {
	rng := rand.New(rand.NewPCG(19, 1))
	normal := func(n int, std float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * std)
		}
		return v
	}
	conv := func(in, out, k, pad int) *lrp.Conv2D {
		return &lrp.Conv2D{InC: in, OutC: out, KH: k, KW: k, SH: 1, SW: 1, DH: 1, DW: 1, PT: pad, PL: pad, PB: pad, PR: pad, Groups: 1,
			W: normal(out*in*k*k, math.Sqrt(2/float64(in*k*k))), B: normal(out, 0.1)}
	}
	dense := func(in, out int) *lrp.Dense {
		return &lrp.Dense{In: in, Out: out, W: normal(in*out, math.Sqrt(2/float64(in))), B: normal(out, 0.1)}
	}
	bn := &lrp.BatchNorm{Mean: normal(6, 0.3), Var: make([]float32, 6), Gamma: normal(6, 1), Beta: normal(6, 0.3), Eps: 1e-5}
	for c := range bn.Var {
		bn.Var[c] = 0.5 + rng.Float32()
	}
	var nodes []lrp.Node
	add := func(name string, l lrp.Layer, in ...int) int {
		nodes = append(nodes, lrp.Node{Name: name, Layer: l, Inputs: in})
		return len(nodes) - 1
	}
	x := add("conv1", conv(3, 6, 3, 1), lrp.Input) // [6 10 10]
	x = add("bn", bn, x)                           // not folded: no FoldBatchNorm here
	branches := []int{x}
	for _, l := range []lrp.Layer{&lrp.GELU{}, &lrp.LeakyReLU{Alpha: 0.1}, &lrp.ELU{Alpha: 0.7}, &lrp.Tanh{}, &lrp.Sigmoid{},
		&lrp.HardSigmoid{Alpha: 0.2, Beta: 0.5}, &lrp.SiLU{}, &lrp.HardSwish{}} {
		branches = append(branches, add(l.Kind().String(), l, x))
	}
	branches = append(branches, branches[1], lrp.Input)                                                                                       // GELU's output twice, and the input
	x = add("concat", &lrp.Concat{}, branches[1:]...)                                                                                         // [6·9+3 10 10]
	x = add("avgpool_ceil_pad", &lrp.AvgPool2D{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, CountIncludePad: true, Ceil: true}, x) // [57 6 6]
	x = add("conv2", conv(57, 8, 1, 0), x)
	x = add("relu6", &lrp.ReLU6{}, x)
	x = add("maxpool_ceil", &lrp.MaxPool2D{KH: 3, KW: 3, SH: 2, SW: 2, Ceil: true}, x) // [8 3 3]
	g := add("se_pool", &lrp.GlobalAvgPool{}, x)
	g = add("se_conv", conv(8, 8, 1, 0), g)
	g = add("se_gate", &lrp.HardSigmoid{Alpha: 1.0 / 6, Beta: 0.5}, g)
	y := add("se_mul", &lrp.Mul{}, x, g)
	x = add("residual", &lrp.Add{}, y, x)
	x = add("avgpool_ceil", &lrp.AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2, Ceil: true}, x) // [8 2 2]
	x = add("flatten", &lrp.Flatten{}, x)
	x = add("fc1", dense(32, 12), x)
	x = add("relu", &lrp.ReLU{}, x)
	g = add("gate_fc", dense(12, 12), x)
	g = add("gate", &lrp.Sigmoid{}, g)
	x = add("gate_mul", &lrp.Mul{}, x, g)
	x = add("concat_flat", &lrp.Concat{}, x, x)
	add("fc2", dense(24, 5), x)
	m, err := lrp.NewModel("every-kind", lrp.InputSpec{Shape: []int{3, 10, 10}, Low: 0, High: 1}, nodes, nil)
	require.NoError(t, err)
	require.Equal(t, []int{57, 6, 6}, m.Shape(11), "the ceil-mode average pooling has a last window past the padding")

	inputs := make([][]float32, 3)
	targets := make([]int, len(inputs))
	for i := range inputs {
		inputs[i] = make([]float32, 300)
		for k := range inputs[i] {
			inputs[i][k] = rng.Float32()
		}
		logits, err := m.Forward(inputs[i])
		require.NoError(t, err)
		targets[i] = lrp.Argmax(logits)
	}
	worst := checkConservation(t, m, inputs, targets)
	t.Logf("worst |In − expected| / scale over every composite %.2g", worst)
}

// checkConservation explains each input of m for its target class with
// every composite of conservationComposites and checks every layer's
// relevance in and out against expectation, within 1e-5 of the scale of
// its terms. It returns the worst |In − expected| / scale.
func checkConservation(t *testing.T, m *lrp.Model, inputs [][]float32, targets []int) (worst float64) {
	t.Helper()
	const tol = 1e-5
	e := lrp.NewExplainer(m)
	cache := map[[2]int][][]float64{} // (input, node): the products of an affine node
	for _, comp := range conservationComposites(t) {
		name := comp.Name
		rules, err := comp.Assign(m)
		require.NoError(t, err)
		var compWorst float64
		for i, x := range inputs {
			r, err := e.Explain(x, lrp.Options{Composite: comp, Target: lrp.Class(targets[i])})
			require.NoError(t, err)
			d := r.Diagnostics
			require.Len(t, d.Layers, len(m.Nodes))
			require.False(t, d.NaN)
			arrived := make([]float64, len(m.Nodes)+1) // per tensor (input first): the sum of the shares passed to it
			scales := make([]float64, len(m.Nodes)+1)
			arrived[len(m.Nodes)], scales[len(m.Nodes)] = sums(r.Start) // the output holds the start vector
			for _, ld := range d.Layers {
				n := ld.Node
				require.Equal(t, rules[n].Name(), ld.Rule, "node %d", n)
				rel := e.NodeRelevance(n)
				s, err := expectation(m, e, x, n, rules[n], rel, func(a affine, x []float32) [][]float64 {
					k := [2]int{i, n}
					if cache[k] == nil {
						cache[k] = a.terms(x)
					}
					return cache[k]
				})
				require.NoError(t, err, "node %d %s (%v, %s)", n, ld.Name, ld.Kind, ld.Rule)
				out, mass := sums(rel)
				where := fmt.Sprintf("%s input %d node %d %s (%v, %s %v)", name, i, n, ld.Name, ld.Kind, ld.Rule, rules[n].Params())
				require.InDelta(t, out, ld.Out, tol*mass+1e-30, "%s: Out", where)
				require.InDelta(t, s.sumIn(), ld.In, tol*s.scale+1e-30, "%s: In (Out %g)", where, ld.Out)
				if s.scale > 0 {
					compWorst = math.Max(compWorst, math.Abs(s.sumIn()-ld.In)/s.scale)
				}
				// Each input's share, as LayerDiag.Inputs reports it.
				require.Len(t, ld.Inputs, len(s.in), "%s: Inputs", where)
				for k, j := range m.Nodes[n].Inputs {
					require.InDelta(t, s.in[k], ld.Inputs[k], tol*s.scale+1e-30, "%s: Inputs[%d]", where, k)
					arrived[j+1] += s.in[k]
					scales[j+1] += s.scale
				}
			}
			// What each tensor holds is what its readers passed.
			for j := lrp.Input; j < len(m.Nodes); j++ {
				var have []float32
				if j == lrp.Input {
					have = r.Relevance
				} else {
					have = e.NodeRelevance(j)
				}
				got, _ := sums(have)
				require.InDelta(t, arrived[j+1], got, tol*scales[j+1]+1e-30, "%s input %d: relevance at tensor %d", name, i, j)
			}
		}
		t.Logf("%s: worst |In − expected| / scale %.2g", name, compWorst)
		worst = math.Max(worst, compWorst)
	}
	return worst
}

// conservationComposites returns the built-in composites, and
// alternatives: EpsilonGammaBox with the rules that the new layer kinds
// take besides their default (the uniform rule on a gate, Pass on a
// BatchNorm that could not be folded), which no built-in composite
// assigns. The composite gradient gives every layer the plain gradient.
func conservationComposites(t *testing.T) []*lrp.Composite {
	var out []*lrp.Composite
	for _, name := range lrp.Composites() {
		c, err := lrp.Builtin(name, nil)
		require.NoError(t, err)
		out = append(out, c)
	}
	c, err := lrp.Builtin("epsilon_gamma_box", nil)
	require.NoError(t, err)
	alt := &lrp.Composite{Name: "epsilon_gamma_box+alternatives", Entries: append([]lrp.Entry{
		{Select: lrp.Selector{Kinds: []lrp.Kind{lrp.KindMul}}, Rule: lrp.Uniform{}},
		{Select: lrp.Selector{Kinds: []lrp.Kind{lrp.KindBatchNorm}}, Rule: lrp.Pass{}},
	}, c.Entries...)}
	return append(out, alt)
}

// sums returns Σ v and Σ |v| in float64.
func sums(v []float32) (sum, abs float64) {
	for _, x := range v {
		sum += float64(x)
		abs += math.Abs(float64(x))
	}
	return sum, abs
}

// expectation returns what rule passes to the inputs of node n, from the
// relevance rel at its output and the activations of the explainer's last
// forward pass on x; terms returns the products of an affine node on its
// input (affine.terms). It has one case per layer kind, each of which
// knows the rules that kind takes; a pair it does not know is an error
// that names it.
func expectation(m *lrp.Model, e *lrp.Explainer, x []float32, n int, rule lrp.Rule, rel []float32, terms func(affine, []float32) [][]float64) (share, error) {
	nd := m.Nodes[n]
	in := func(k int) []float32 {
		if j := nd.Inputs[k]; j != lrp.Input {
			return e.Activation(j)
		}
		return x
	}
	z := e.Activation(n)
	out, mass := sums(rel)
	one := share{[]float64{out}, mass} // everything, unchanged, to the one input
	if s, ok := channelsShare(nd.Layer, rule, in(0), z, rel, one); ok {
		return s, nil
	}
	var s share
	var ok bool
	switch l := nd.Layer.(type) {
	case *lrp.Dense, *lrp.Conv2D:
		a, _ := affineOf(m, n)
		return affineShare(m, a, rule, in(0), z, rel, terms(a, in(0)))
	case *lrp.BatchNorm:
		// One that could not be folded: Pass copies; the affine rules
		// (ε, its default, and Gradient) see a diagonal affine layer.
		if _, pass := rule.(lrp.Pass); pass {
			return one, nil
		}
		a, _ := affineOf(m, n)
		return affineShare(m, a, rule, in(0), z, rel, terms(a, in(0)))
	case *lrp.ReLU, *lrp.ReLU6, *lrp.Sigmoid, *lrp.HardSigmoid, *lrp.SiLU, *lrp.HardSwish, *lrp.GELU, *lrp.LeakyReLU, *lrp.ELU, *lrp.Tanh:
		s, ok = activationShare(l, rule, in(0), rel, one)
	case *lrp.MaxPool2D, *lrp.Flatten:
		// Gradient: each output's R to one input (the window's first
		// maximum); Flatten's Pass and Gradient copy.
		switch rule.(type) {
		case lrp.Gradient:
			s, ok = one, true
		case lrp.Pass:
			_, ok = l.(*lrp.Flatten)
			s = one
		}
	case *lrp.AvgPool2D, *lrp.GlobalAvgPool:
		s, ok = poolShare(m, n, rule, in(0), z, rel)
	case *lrp.Add:
		s, ok = addShare(rule, in(0), in(1), z, rel)
	case *lrp.Concat:
		s, ok = concatShare(m, nd, rule, rel)
	case *lrp.Mul:
		s, ok = gateShare(rule, in(0), in(1), rel)
	}
	if !ok {
		return share{}, fmt.Errorf("no conservation property for a %v layer under rule %s: add it to expectation", nd.Layer.Kind(), rule.Name())
	}
	if len(s.in) != len(nd.Inputs) {
		return share{}, fmt.Errorf("expectation of a %v layer under rule %s has %d shares for %d inputs", nd.Layer.Kind(), rule.Name(), len(s.in), len(nd.Inputs))
	}
	return s, nil
}

// activationShare is what rule passes through the elementwise activation
// l with input x: Pass everything; Gradient Σ_t f′(x_t)·R_t, with f′ in
// float64 from its own formula (derivative). one is Pass's share.
func activationShare(l lrp.Layer, rule lrp.Rule, x, rel []float32, one share) (share, bool) {
	switch rule.(type) {
	case lrp.Pass:
		return one, true
	case lrp.Gradient:
		df := derivative(l)
		s := share{in: make([]float64, 1)}
		for t, v := range x {
			g := df(float64(v)) * float64(rel[t])
			s.in[0] += g
			s.scale += math.Abs(g)
		}
		s.scale = math.Max(s.scale, one.scale)
		return s, true
	}
	return share{}, false
}

// derivative returns f′ of the activation l, with PyTorch's value at a
// kink: ReLU 0 at 0 (ReLU6 also at 6), LeakyReLU α at 0, HardSigmoid 0 at
// the ends of its ramp, HardSwish x/3 + 1/2 on [−3, 3].
func derivative(l lrp.Layer) func(x float64) float64 {
	sigma := func(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
	switch l := l.(type) {
	case *lrp.ReLU:
		return func(x float64) float64 { return step(x > 0) }
	case *lrp.ReLU6:
		return func(x float64) float64 { return step(x > 0 && x < 6) }
	case *lrp.Sigmoid:
		// σ′ = e^−x / (1 + e^−x)², written as σ(x)·σ(−x).
		return func(x float64) float64 { return sigma(x) * sigma(-x) }
	case *lrp.HardSigmoid:
		a, b := float64(l.Alpha), float64(l.Beta)
		return func(x float64) float64 { return a * step(a*x+b > 0 && a*x+b < 1) }
	case *lrp.SiLU:
		// (x·σ(x))′ = σ(x) + x·σ(x)·σ(−x).
		return func(x float64) float64 { return sigma(x) + x*sigma(x)*sigma(-x) }
	case *lrp.HardSwish:
		// x·relu6(x + 3)/6: (relu6(x + 3) + x·[−3 < x < 3])/6, x/3 + 1/2 at ±3.
		return func(x float64) float64 {
			if x >= -3 && x <= 3 {
				return x/3 + 0.5
			}
			return step(x > 3)
		}
	case *lrp.GELU:
		// (x·Φ(x))′ = Φ(x) + x·φ(x).
		return func(x float64) float64 {
			return 0.5*math.Erfc(-x/math.Sqrt2) + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
		}
	case *lrp.LeakyReLU:
		a := float64(l.Alpha)
		return func(x float64) float64 { return a + (1-a)*step(x > 0) }
	case *lrp.ELU:
		a := float64(l.Alpha)
		return func(x float64) float64 {
			if x > 0 {
				return 1
			}
			return a * math.Exp(x)
		}
	case *lrp.Tanh:
		// tanh′ = 1/cosh².
		return func(x float64) float64 { return 1 / (math.Cosh(x) * math.Cosh(x)) }
	}
	panic(fmt.Sprintf("derivative of a %v layer", l.Kind()))
}

// size is the number of values of a tensor of the given shape.
func size(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

// step is 1 where c holds, else 0.
func step(c bool) float64 {
	if c {
		return 1
	}
	return 0
}

// poolShare is what rule passes through average pooling node n (an
// AvgPool2D, ceil mode included, or a GlobalAvgPool: also a ReduceMean
// over H and W) with input x and output z.
func poolShare(m *lrp.Model, n int, rule lrp.Rule, x, z, rel []float32) (share, bool) {
	count, absPool := pooled(m, n, x)
	s := share{in: make([]float64, 1)}
	switch r := rule.(type) {
	case lrp.Norm:
		// Each input's share of its windows, stabilized: Σ_o R_o·y_o /
		// stab(y_o) in all, the stabilizer absorbing the rest.
		for j, v := range rel {
			g := float64(v) / stab(z[j], r.Stab)
			s.in[0] += g * float64(z[j])
			s.scale += math.Abs(g) * math.Max(absPool[j], math.Abs(float64(z[j])))
		}
		return s, true
	case lrp.Gradient:
		// R_o/k_o to each of the window's inputs that are not padding.
		for j, v := range rel {
			s.in[0] += float64(v) * count[j]
			s.scale += math.Abs(float64(v))
		}
		return s, true
	}
	return share{}, false
}

// addShare is what rule passes through the residual join z = a + b.
func addShare(rule lrp.Rule, a, b, z, rel []float32) (share, bool) {
	switch r := rule.(type) {
	case lrp.Norm:
		// R·a/stab(z) and R·b/stab(z): the stabilizer absorbs.
		s := share{in: make([]float64, 2)}
		for j, v := range rel {
			g := float64(v) / stab(z[j], r.Stab)
			s.in[0] += g * float64(a[j])
			s.in[1] += g * float64(b[j])
			s.scale += math.Abs(g) * (math.Abs(float64(a[j])) + math.Abs(float64(b[j])))
		}
		return s, true
	case lrp.Gradient:
		// R to both: twice what arrives.
		out, mass := sums(rel)
		return share{[]float64{out, out}, 2 * mass}, true
	}
	return share{}, false
}

// concatShare is what rule passes through the Concat nd: under Pass and
// Gradient alike each input receives exactly the relevance of its own
// block of channels, the next len(input) values of rel.
func concatShare(m *lrp.Model, nd lrp.Node, rule lrp.Rule, rel []float32) (share, bool) {
	switch rule.(type) {
	case lrp.Pass, lrp.Gradient:
	default:
		return share{}, false
	}
	var s share
	o := 0
	for _, j := range nd.Inputs {
		k := size(m.Shape(j))
		sum, mass := sums(rel[o : o+k])
		s.in = append(s.in, sum)
		s.scale += mass
		o += k
	}
	if o != len(rel) {
		panic(fmt.Sprintf("concat of %d values has %d at its output", o, len(rel)))
	}
	return s, true
}

// gateShare is what rule passes through the gate y = x ⊙ g, one g_c per
// channel of x: Signal R to the signal, 0 to the gate; Uniform half to
// each; Gradient Σ R·g to the signal and Σ R·x to the gate.
func gateShare(rule lrp.Rule, x, g, rel []float32) (share, bool) {
	out, mass := sums(rel)
	switch rule.(type) {
	case lrp.Signal:
		return share{[]float64{out, 0}, mass}, true
	case lrp.Uniform:
		return share{[]float64{out / 2, out / 2}, mass}, true
	case lrp.Gradient:
		s := share{in: make([]float64, 2)}
		hw := len(x) / len(g)
		for t, v := range rel {
			r, gx := float64(v)*float64(g[t/hw]), float64(v)*float64(x[t])
			s.in[0] += r
			s.in[1] += gx
			s.scale += math.Abs(r) + math.Abs(gx)
		}
		return s, true
	}
	return share{}, false
}

// stab is Zennit's stabilizer in float64, for a float32 denominator d.
func stab(d, eps float32) float64 { return stab64(float64(d), eps) }

func stab64(d float64, eps float32) float64 {
	if d < 0 {
		return d - float64(eps)
	}
	return d + float64(eps)
}

// pooled returns, for each output of average pooling node n with input
// x, the number of positions of its window that lie inside the input
// divided by the pooling's divisor, and the mean of |x| over the window.
// The divisor is that number, or with CountIncludePad the number of
// positions inside the padded input: the whole window, but for a ceil
// mode's last window of an axis, which may reach past the padding.
func pooled(m *lrp.Model, n int, x []float32) (count, absMean []float64) {
	in, out := m.Shape(m.Nodes[n].Inputs[0]), m.Shape(n)
	c, h, w, oh, ow := in[0], in[1], in[2], out[1], out[2]
	kh, kw, sh, sw, pt, pl, pb, pr, includePad := h, w, 1, 1, 0, 0, 0, 0, false
	if l, ok := m.Nodes[n].Layer.(*lrp.AvgPool2D); ok {
		kh, kw, sh, sw, pt, pl, pb, pr, includePad = l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.PB, l.PR, l.CountIncludePad
	}
	count, absMean = make([]float64, c*oh*ow), make([]float64, c*oh*ow)
	for ch := range c {
		for oy := range oh {
			for ox := range ow {
				var valid, padded, abs float64
				for u := range kh {
					for v := range kw {
						iy, ix := oy*sh+u-pt, ox*sw+v-pl
						if iy >= -pt && iy < h+pb && ix >= -pl && ix < w+pr {
							padded++
						}
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							valid++
							abs += math.Abs(float64(x[(ch*h+iy)*w+ix]))
						}
					}
				}
				k := valid
				if includePad {
					k = padded
				}
				o := (ch*oh+oy)*ow + ox
				count[o], absMean[o] = valid/k, abs/k
			}
		}
	}
	return count, absMean
}

// An affine is a Dense, Conv2D or BatchNorm node as plain loops: its weights and
// biases, and the input positions each output reads.
type affine struct {
	w, b []float32
	out  int
	// taps calls f(i, k) for every input index i and weight index k that
	// output o reads (padding skipped).
	taps func(o int, f func(i, k int))
}

// affineOf returns node n as an affine, if it is one.
func affineOf(m *lrp.Model, n int) (affine, bool) {
	switch l := m.Nodes[n].Layer.(type) {
	case *lrp.Dense:
		return affine{l.W, l.B, l.Out, func(o int, f func(i, k int)) {
			for i := range l.In {
				f(i, o*l.In+i)
			}
		}}, true
	case *lrp.Conv2D:
		in, out := m.Shape(m.Nodes[n].Inputs[0]), m.Shape(n)
		h, w, oh, ow := in[1], in[2], out[1], out[2]
		cg, og := l.InC/l.Groups, l.OutC/l.Groups
		return affine{l.W, l.B, l.OutC * oh * ow, func(o int, f func(i, k int)) {
			// y[oc][oy][ox] reads x[g·cg+c][oy·SH+u·DH−PT][ox·SW+v·DW−PL] with W[oc][c][u][v].
			oc, oy, ox := o/(oh*ow), o/ow%oh, o%ow
			g := oc / og
			for c := range cg {
				for u := range l.KH {
					iy := oy*l.SH + u*l.DH - l.PT
					if iy < 0 || iy >= h {
						continue
					}
					for v := range l.KW {
						ix := ox*l.SW + v*l.DW - l.PL
						if ix < 0 || ix >= w {
							continue
						}
						f(((g*cg+c)*h+iy)*w+ix, ((oc*cg+c)*l.KH+u)*l.KW+v)
					}
				}
			}
		}}, true
	case *lrp.BatchNorm:
		// A diagonal affine layer: y_t = s_c·x_t + t_c over channel c, with
		// s = γ/√(σ² + ε) and t = β − μ·s.
		hw := size(m.Shape(n)) / len(l.Mean)
		sc, sh := make([]float32, len(l.Mean)), make([]float32, len(l.Mean))
		for c := range l.Mean {
			v := float64(l.Gamma[c]) / math.Sqrt(float64(l.Var[c])+float64(l.Eps))
			sc[c], sh[c] = float32(v), float32(float64(l.Beta[c])-float64(l.Mean[c])*v)
		}
		return affine{sc, sh, len(l.Mean) * hw, func(o int, f func(i, k int)) { f(o, o/hw) }}, true
	}
	return affine{}, false
}

// bias returns b_j of output o.
func (a affine) bias(o int) float64 {
	if a.b == nil {
		return 0
	}
	return float64(a.b[o*len(a.b)/a.out])
}

// products returns, per output, Σ_i ρ(w)·ξ(x_i) for each pair (ρ, ξ) of
// fs, in one pass over the taps.
func (a affine) products(x []float64, fs ...func(w, x float64) float64) [][]float64 {
	out := make([][]float64, len(fs))
	for k := range out {
		out[k] = make([]float64, a.out)
	}
	for o := range a.out {
		a.taps(o, func(i, k int) {
			w := float64(a.w[k])
			for f, fn := range fs {
				out[f][o] += fn(w, x[i])
			}
		})
	}
	return out
}

func pos(v float64) float64 { return math.Max(v, 0) }
func neg(v float64) float64 { return math.Min(v, 0) }

// terms returns the products of the layer on input x32 that the rules'
// sums are made of, per output: W⁺x⁺, W⁻x⁺, W⁺x⁻, W⁻x⁻, W·x, |W|·|x|,
// W·1, W²·1, 1·1 (the count of taps) and |W|·1, where 1 is ones inside the
// input (padding stays 0).
func (a affine) terms(x []float32) [][]float64 {
	t := make([][]float64, 10)
	for k := range t {
		t[k] = make([]float64, a.out)
	}
	P, N, Pn, Nn, Wx, A, W1, W2, F, absW1 := t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9]
	for o := range a.out {
		a.taps(o, func(i, k int) {
			w, v := float64(a.w[k]), float64(x[i])
			P[o] += pos(w) * pos(v)
			N[o] += neg(w) * pos(v)
			Pn[o] += pos(w) * neg(v)
			Nn[o] += neg(w) * neg(v)
			Wx[o] += w * v
			A[o] += math.Abs(w * v)
			W1[o] += w
			W2[o] += w * w
			F[o]++
			absW1[o] += math.Abs(w)
		})
	}
	return t
}

// affineShare returns what rule passes down through affine node a for
// output z (from the forward pass), relevance rel at its output and the
// products p of a.terms on its input: the relevance of every output j,
// R_j·num_j/stab(D_j), where D_j is the rule's denominator and num_j the
// part of it that the inputs contribute; the bias part and the stabilizer
// stay (the formulas of testdata/zennit/README.md).
func affineShare(m *lrp.Model, a affine, rule lrp.Rule, x32, z, rel []float32, p [][]float64) (share, error) {
	P, N, Pn, Nn, Wx, A, W1, W2, F, absW1 := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
	s := share{in: make([]float64, 1)}
	// add passes R_j·num/stab(den) with terms of mass |R_j|·mass/|stab(den)|.
	add := func(j int, num, den float64, eps float32, mass float64) {
		g := float64(rel[j]) / stab64(den, eps)
		s.in[0] += g * num
		s.scale += math.Abs(g) * mass
	}
	switch r := rule.(type) {
	case lrp.Epsilon:
		// D = z from the forward pass; the bias share b_j/stab(z_j) and ε's stay.
		for j := range rel {
			add(j, Wx[j], float64(z[j]), r.Eps, A[j])
		}
	case lrp.Gamma:
		// Positive outputs: D⁺ = (W + γW⁺)·x⁺ + (W + γW⁻)·x⁻ + b + γb⁺; negative
		// ones: D⁻ = (W + γW⁻)·x⁺ + (W + γW⁺)·x⁻ + b + γb⁻; z_j = 0 passes nothing.
		g := float64(r.Gamma)
		for j := range rel {
			b := a.bias(j)
			switch {
			case z[j] > 0:
				num := (1+g)*P[j] + N[j] + Pn[j] + (1+g)*Nn[j]
				add(j, num, num+b+g*pos(b), r.Stab, (1+g)*A[j])
			case z[j] < 0:
				num := P[j] + (1+g)*N[j] + (1+g)*Pn[j] + Nn[j]
				add(j, num, num+b+g*neg(b), r.Stab, (1+g)*A[j])
			}
		}
	case lrp.ZPlus:
		// D = W⁺x⁺ + W⁻x⁻ + b⁺: b⁺ absorbs.
		for j := range rel {
			num := P[j] + Nn[j]
			add(j, num, num+pos(a.bias(j)), r.Stab, A[j])
		}
	case lrp.AlphaBeta:
		// α·(W⁺x⁺ + W⁻x⁻)/stab(… + b⁺) − β·(W⁻x⁺ + W⁺x⁻)/stab(… + b⁻).
		for j := range rel {
			b := a.bias(j)
			num := P[j] + Nn[j]
			add(j, float64(r.Alpha)*num, num+pos(b), r.Stab, float64(r.Alpha)*A[j])
			num = N[j] + Pn[j]
			add(j, -float64(r.Beta)*num, num+neg(b), r.Stab, float64(r.Beta)*A[j])
		}
	case lrp.ZBox:
		// D = z − (W⁺L + b⁺) − (W⁻H + b⁻); the bias cancels, the stabilizer absorbs.
		low, high := r.Low, r.High
		if low == nil {
			low, high = m.Bounds()
		}
		lo, hi := make([]float64, len(x32)), make([]float64, len(x32))
		for i := range lo {
			lo[i], hi[i] = float64(low[i*len(low)/len(lo)]), float64(high[i*len(high)/len(hi)])
		}
		q := a.products(lo, func(w, l float64) float64 { return pos(w) * l }, func(w, l float64) float64 { return math.Abs(w * l) })
		u := a.products(hi, func(w, h float64) float64 { return neg(w) * h }, func(w, h float64) float64 { return math.Abs(w * h) })
		for j := range rel {
			b := a.bias(j)
			num := Wx[j] - q[0][j] - u[0][j]
			add(j, num, float64(z[j])-q[0][j]-pos(b)-u[0][j]-neg(b), r.Stab, A[j]+q[1][j]+u[1][j])
		}
	case lrp.WSquare:
		// D = W²·1 + b²: b² absorbs.
		for j := range rel {
			b := a.bias(j)
			add(j, W2[j], W2[j]+b*b, r.Stab, W2[j])
		}
	case lrp.Flat:
		// D = 1·1, the number of inputs output j reads.
		for j := range rel {
			add(j, F[j], F[j], r.Stab, F[j])
		}
	case lrp.Gradient:
		// Wᵀ·R summed: Σ_j R_j·(W·1)_j.
		for j, v := range rel {
			s.in[0] += float64(v) * W1[j]
			s.scale += math.Abs(float64(v)) * absW1[j]
		}
	default:
		return share{}, fmt.Errorf("no conservation property for rule %s on an affine layer: add it to affineShare", rule.Name())
	}
	return s, nil
}

// The family table names every model file of testdata/models once.
func TestFamiliesCoverTestdataModels(t *testing.T) {
	zennit, err := refdata.Dir()
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(zennit), "models", "*.onnx"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	listed := map[string]bool{}
	for _, f := range families {
		listed[f.file] = true
	}
	for _, p := range files {
		name := "models/" + strings.TrimSuffix(filepath.Base(p), ".onnx")
		assert.True(t, listed[name], "%s is not in the family table", name)
	}
}

// channelsShare returns what rule passes through the channel kinds of
// ShuffleNetV2 and ConvNeXt, Slice, Shuffle, LayerNorm and Scale, for
// input x, output z and relevance rel at the output (one: all of it), and
// whether l is one of them under a rule it knows:
//
//   - Slice and Shuffle route each value's relevance back to where it
//     came from (Pass and Gradient alike): exact, everything passes;
//   - LayerNorm under Pass (AttnLRP's identity rule): everything passes;
//     under Gradient the sum of its gradient, with x̂ = (x − μ)/σ and
//     g = γ ⊙ R per position, Σ (g − mean g − x̂·mean(g ⊙ x̂))/σ;
//   - Scale under LRP-ε, a diagonal affine layer y = W·x + B: Σ x·W·R /
//     stab(y), the bias's and ε's shares absorbed; under Gradient Σ W·R.
func channelsShare(l lrp.Layer, rule lrp.Rule, x, z, rel []float32, one share) (share, bool) {
	switch l := l.(type) {
	case *lrp.Slice, *lrp.Shuffle:
		switch rule.(type) {
		case lrp.Pass, lrp.Gradient:
			return one, true
		}
	case *lrp.LayerNorm:
		switch rule.(type) {
		case lrp.Pass:
			return one, true
		case lrp.Gradient:
			C := len(l.Gamma)
			hw := len(x) / C
			s := share{in: make([]float64, 1)}
			for p := range hw {
				var mu, v, mg, mgx float64
				for c := range C {
					mu += float64(x[c*hw+p]) / float64(C)
				}
				for c := range C {
					d := float64(x[c*hw+p]) - mu
					v += d * d / float64(C)
				}
				sd := math.Sqrt(v + float64(l.Eps))
				for c := range C {
					g := float64(l.Gamma[c]) * float64(rel[c*hw+p])
					mg += g / float64(C)
					mgx += g * (float64(x[c*hw+p]) - mu) / sd / float64(C)
				}
				for c := range C {
					g := float64(l.Gamma[c]) * float64(rel[c*hw+p])
					xh := (float64(x[c*hw+p]) - mu) / sd
					s.in[0] += (g - mg - xh*mgx) / sd
					s.scale += (math.Abs(g) + math.Abs(mg) + math.Abs(xh*mgx)) / sd
				}
			}
			return s, true
		}
	case *lrp.Scale:
		hw := len(x) / len(l.W)
		s := share{in: make([]float64, 1)}
		switch r := rule.(type) {
		case lrp.Epsilon:
			for t, v := range rel {
				g := float64(v) / stab(z[t], r.Eps)
				s.in[0] += g * float64(x[t]) * float64(l.W[t/hw])
				s.scale += math.Abs(g * float64(x[t]) * float64(l.W[t/hw]))
			}
			return s, true
		case lrp.Gradient:
			for t, v := range rel {
				s.in[0] += float64(v) * float64(l.W[t/hw])
				s.scale += math.Abs(float64(v) * float64(l.W[t/hw]))
			}
			return s, true
		}
	}
	return share{}, false
}
