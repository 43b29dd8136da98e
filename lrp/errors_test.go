package lrp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
)

// Bad arguments return errors that start with "lrp: " once and say what is
// wrong; nothing panics.

func TestExplainErrors(t *testing.T) {
	r := newRand(8)
	m := seq(t, InputSpec{Shape: []int{4}, Low: 0, High: 1}, randDense(r, 4, 3, true), &ReLU{}, randDense(r, 3, 2, true))
	e := NewExplainer(m)
	x := []float32{0.1, 0.2, 0.3, 0.4}
	nan := []float32{0.1, float32(math.NaN()), 0.3, 0.4}
	inf := []float32{0.1, 0.2, 0.3, float32(math.Inf(1))}
	for _, tc := range []struct {
		name string
		x    []float32
		o    Options
		want []string
	}{
		{"alpha minus beta not 1", x, Options{Method: "alpha2beta1", Params: Params{"alpha": 3, "beta": 1}}, []string{"alphabeta needs α − β = 1", "α=3 β=1"}},
		{"alphabeta override not 1", x, Options{Rules: map[int]Rule{0: AlphaBeta{1, 1, 1e-6}}}, []string{"node 0", "alphabeta needs α − β = 1"}},
		{"negative epsilon", x, Options{Method: "epsilon", Params: Params{"epsilon": -0.1}}, []string{"epsilon must be ≥ 0", "-0.1"}},
		{"negative epsilon override", x, Options{Rules: map[int]Rule{2: Epsilon{-1}}}, []string{"node 2", "epsilon must be ≥ 0"}},
		{"negative gamma", x, Options{Method: "gamma", Params: Params{"gamma": -1}}, []string{"gamma must be ≥ 0"}},
		{"negative stabilizer", x, Options{Method: "zplus", Params: Params{"stabilizer": -1e-6}}, []string{"zplus stabilizer must be ≥ 0"}},
		{"NaN parameter", x, Options{Method: "epsilon", Params: Params{"epsilon": math.NaN()}}, []string{"composite parameter epsilon is NaN"}},
		{"unknown parameter", x, Options{Method: "epsilon", Params: Params{"eps": 0.1}}, []string{`unknown composite parameter "eps"`}},
		{"zbox low without high", x, Options{Method: "montavon", Params: Params{"low": 0}}, []string{"zbox needs both low and high"}},
		{"zbox low above high", x, Options{Method: "montavon", Params: Params{"low": 1, "high": 0}}, []string{"zbox bounds [1, 0] invalid"}},
		{"unknown composite", x, Options{Method: "epsilon_gamma_bux"}, []string{`unknown composite "epsilon_gamma_bux"`, "epsilon_gamma_box"}},
		{"target too large", x, Options{Target: Class(2)}, []string{"target 2 out of range", "classes 0..1"}},
		{"target negative", x, Options{Target: Class(-2)}, []string{"target -2 out of range"}},
		{"target too large for a baseline", x, Options{Method: "gradient", Target: Class(5)}, []string{"target 5 out of range"}},
		{"unknown start", x, Options{Start: Contrastive + 1}, []string{"unknown start 5"}},
		{"short input", x[:3], Options{}, []string{"input has 3 values", "wants 4"}},
		{"long input", append(x, 0), Options{}, []string{"input has 5 values", "wants 4"}},
		{"NaN input", nan, Options{}, []string{"input value 1 is NaN"}},
		{"Inf input", inf, Options{}, []string{"input value 3 is +Inf"}},
		{"NaN input for a baseline", nan, Options{Method: "smoothgrad"}, []string{"input value 1 is NaN"}},
		{"zbox on relu", x, Options{Rules: map[int]Rule{1: ZBox{}}}, []string{"node 1 (relu)", "rule zbox applies to dense and conv2d layers, not relu"}},
		{"epsilon on relu", x, Options{Rules: map[int]Rule{1: Epsilon{0.1}}}, []string{"rule epsilon applies to dense, conv2d, batchnorm2d and scale layers, not relu"}},
		{"pass on dense", x, Options{Rules: map[int]Rule{0: Pass{}}}, []string{"node 0 (dense)", "rule pass applies to activations", "not dense"}},
		{"norm on relu", x, Options{Rules: map[int]Rule{1: Norm{1e-6}}}, []string{"rule norm applies to average pooling and add, not relu"}},
		{"override out of range", x, Options{Rules: map[int]Rule{3: Pass{}}}, []string{"rule override for node 3", "nodes 0..2"}},
		{"override negative", x, Options{Rules: map[int]Rule{-1: Pass{}}}, []string{"rule override for node -1"}},
		{"override nil", x, Options{Rules: map[int]Rule{0: nil}}, []string{"rule override for node 0 is nil"}},
		{"baseline with rules", x, Options{Method: "integrated_gradients", Rules: map[int]Rule{0: Gradient{}}}, []string{"method integrated_gradients takes no rules"}},
		{"baseline with params", x, Options{Method: "smoothgrad", Params: Params{"epsilon": 1}}, []string{"method smoothgrad takes no rules or composite parameters"}},
		{"composite with a misplaced rule", x, Options{Composite: &Composite{Name: "mine", Entries: []Entry{{Selector{}, Flat{1e-6}}}}}, []string{"composite mine, node 1 (relu)", "rule flat applies to dense and conv2d layers"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := e.Explain(tc.x, tc.o)
			assert.Nil(t, res, "got a result with the error")
			requireErr(t, err, tc.want...)
		})
	}
	_, err := e.Forward(x[:2])
	assert.Error(t, err, "Forward with a short input: no error")
}

func TestRuleErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    map[string]float64
		want []string
	}{
		{"alphabeta", map[string]float64{"alpha": 2, "beta": 2}, []string{"alphabeta needs α − β = 1"}},
		{"alphabeta", map[string]float64{"alpha": 0.5}, []string{"alphabeta needs α − β = 1 with β ≥ 0", "β=-0.5"}},
		{"epsilon", map[string]float64{"epsilon": -1e-9}, []string{"epsilon must be ≥ 0"}},
		{"epsilon", map[string]float64{"epsilon": math.Inf(1)}, []string{"rule epsilon parameter epsilon is +Inf"}},
		{"gamma", map[string]float64{"gamma": -0.25}, []string{"gamma must be ≥ 0"}},
		{"zbox", map[string]float64{"low": 0}, []string{"zbox needs both low and high"}},
		{"zbox", map[string]float64{"low": 2, "high": 1}, []string{"zbox bounds [2, 1] invalid"}},
		{"flat", map[string]float64{"stabilizer": -1}, []string{"flat stabilizer must be ≥ 0"}},
		{"norm", map[string]float64{"stabilizer": -1}, []string{"norm stabilizer must be ≥ 0"}},
		{"lrp1", nil, []string{`unknown rule "lrp1"`, "known: gradient"}},
		{"", nil, []string{`unknown rule ""`}},
	} {
		_, err := NewRule(tc.name, tc.p)
		requireErr(t, err, tc.want...)
	}
	for _, tc := range []struct {
		name string
		p    Params
		want string
	}{
		{"nope", nil, `unknown composite "nope"`},
		{"alpha2beta1", Params{"alpha": 2, "beta": 2}, "alphabeta needs α − β = 1"},
		{"epsilon_plus", Params{"epsilon": -1}, "epsilon must be ≥ 0"},
		{"gamma", Params{"gamma": math.Inf(-1)}, "composite parameter gamma is -Inf"},
	} {
		_, err := Builtin(tc.name, tc.p)
		requireErr(t, err, tc.want)
	}
	_, err := ParseKind("conv3d")
	requireErr(t, err, `unknown layer kind "conv3d"`)
	_, err = ParseStart("logits")
	requireErr(t, err, `unknown start "logits"`)
}

func TestNewModelErrors(t *testing.T) {
	r := newRand(9)
	flat := InputSpec{Shape: []int{4}, Low: 0, High: 1}
	img := InputSpec{Shape: []int{2, 5, 5}, Low: 0, High: 1}
	d := func(in, out int) *Dense { return randDense(r, in, out, true) }
	conv := randConv(r, geometry(2, 3, 3, 3), true)
	for _, tc := range []struct {
		name   string
		in     InputSpec
		nodes  []Node
		labels []string
		want   []string
	}{
		{"forward reference", flat, []Node{{"a", d(4, 3), []int{1}}, {"b", d(3, 2), []int{0}}}, nil,
			[]string{"node 0 (a) reads node 1: not an earlier node"}},
		{"self loop", flat, []Node{{"a", d(4, 4), []int{Input}}, {"b", d(4, 4), []int{1}}}, nil,
			[]string{"node 1 (b) reads node 1", "cycle"}},
		{"bad index", flat, []Node{{"a", d(4, 2), []int{-2}}}, nil, []string{"node 0 (a) reads node -2"}},
		{"wrong weight count", flat, []Node{{"a", &Dense{In: 4, Out: 3, W: make([]float32, 11)}, []int{Input}}}, nil,
			[]string{"node 0 (a, dense): dense 4→3 has 11 weights"}},
		{"wrong bias count", flat, []Node{{"a", &Dense{In: 4, Out: 3, W: make([]float32, 12), B: make([]float32, 2)}, []int{Input}}}, nil,
			[]string{"dense 4→3 has 12 weights and 2 biases"}},
		{"wrong conv weight count", img, []Node{{"c", &Conv2D{InC: 2, OutC: 3, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1, W: make([]float32, 53)}, []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"node 0 (c, conv2d): conv2d has 53 weights"}},
		{"unused node", flat, []Node{{"a", d(4, 3), []int{Input}}, {"dead", &ReLU{}, []int{0}}, {"b", d(3, 2), []int{0}}}, nil,
			[]string{"node 1 (dead) output is never used"}},
		{"dense on an image", img, []Node{{"a", d(50, 3), []int{Input}}}, nil,
			[]string{"node 0 (a, dense): dense layer needs a flat input of 50, got shape [2 5 5]"}},
		{"dense of the wrong width", flat, []Node{{"a", d(5, 3), []int{Input}}}, nil,
			[]string{"dense layer needs a flat input of 5, got shape [4]"}},
		{"conv on a flat input", flat, []Node{{"c", conv, []int{Input}}}, nil,
			[]string{"layer needs a [C][H][W] input, got shape [4]"}},
		{"conv channels", InputSpec{Shape: []int{3, 5, 5}, Low: 0, High: 1}, []Node{{"c", conv, []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"conv2d with 2 input channels and 1 groups cannot take 3 channels"}},
		{"conv groups", img, []Node{{"c", &Conv2D{InC: 2, OutC: 3, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 2, W: make([]float32, 3)}, []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"conv2d with 2 input channels and 2 groups"}},
		{"kernel larger than input", img, []Node{{"c", randConv(r, geometry(2, 1, 7, 7), false), []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"window 7 stride 1 padding 0,0 does not fit input 5"}},
		{"zero stride", img, []Node{{"p", &MaxPool2D{KH: 2, KW: 2}, []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"node 0 (p, maxpool2d)", "stride 0"}},
		{"pool padding as large as the kernel", img, []Node{{"p", &AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PT: 2}, []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"node 0 (p, avgpool2d): padding [2 0 0 0] is not smaller than the 2x2 window"}},
		{"conv padding as large as the kernel", img, []Node{{"c", randConv(r, Conv2D{InC: 2, OutC: 1, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, Groups: 1}, false), []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"node 0 (c, conv2d): padding [1 0 0 0] is not smaller than the 1x1 window"}},
		{"conv padding as large as the dilated kernel", img, []Node{{"c", randConv(r, Conv2D{InC: 2, OutC: 1, KH: 2, KW: 2, SH: 1, SW: 1, DH: 3, DW: 3, PR: 4, Groups: 1}, false), []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"padding [0 0 0 4] is not smaller than the 4x4 window"}},
		{"add of two shapes", flat, []Node{{"a", d(4, 3), []int{Input}}, {"add", &Add{}, []int{Input, 0}}}, nil,
			[]string{"node 1 (add, add): add of shapes [4] and [3]"}},
		{"add of one input", flat, []Node{{"add", &Add{}, []int{Input}}}, nil, []string{"add takes 2 inputs, got 1"}},
		{"relu of two inputs", flat, []Node{{"r", &ReLU{}, []int{Input, Input}}}, nil, []string{"layer takes 1 input, got 2"}},
		{"batchnorm parameters", img, []Node{{"bn", &BatchNorm{Mean: make([]float32, 2), Var: make([]float32, 2), Gamma: make([]float32, 3), Beta: make([]float32, 2)}, []int{Input}}, {"f", &Flatten{}, []int{0}}}, nil,
			[]string{"batchnorm with 2/2/3/2 parameters for 2 channels"}},
		{"output not flat", img, []Node{{"r", &ReLU{}, []int{Input}}}, nil, []string{"model output has shape [2 5 5], want a flat vector"}},
		{"labels", flat, []Node{{"a", d(4, 3), []int{Input}}}, []string{"x", "y"}, []string{"2 labels for 3 outputs"}},
		{"no layers", flat, nil, nil, []string{"model has no layers"}},
		{"nil layer", flat, []Node{{"a", nil, []int{Input}}}, nil, []string{"node 0 (a) has no layer"}},
		{"empty input shape", InputSpec{Low: 0, High: 1}, []Node{{"a", d(4, 3), []int{Input}}}, nil, []string{"input shape []"}},
		{"zero dimension", InputSpec{Shape: []int{0}, Low: 0, High: 1}, []Node{{"a", d(4, 3), []int{Input}}}, nil, []string{"a dimension < 1"}},
		{"huge input", InputSpec{Shape: []int{3, 2048, 2048}, Low: 0, High: 1}, []Node{{"f", &Flatten{}, []int{Input}}}, nil, []string{"more than"}},
		{"empty pixel range", InputSpec{Shape: []int{4}, Low: 1, High: 1}, []Node{{"a", d(4, 3), []int{Input}}}, nil, []string{"pixel range [1, 1] is empty"}},
		{"std without mean", InputSpec{Shape: []int{2, 5, 5}, Low: 0, High: 1, Std: []float32{1, 1}}, []Node{{"f", &Flatten{}, []int{Input}}}, nil, []string{"normalization needs both mean and std"}},
		{"zero std", InputSpec{Shape: []int{2, 5, 5}, Low: 0, High: 1, Mean: []float32{0, 0}, Std: []float32{1, 0}}, []Node{{"f", &Flatten{}, []int{Input}}}, nil, []string{"normalization channel 1"}},
		{"normalization channels", InputSpec{Shape: []int{2, 5, 5}, Low: 0, High: 1, Mean: []float32{0}, Std: []float32{1}}, []Node{{"f", &Flatten{}, []int{Input}}}, nil, []string{"normalization has 1 channels, input has 2"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m, err := NewModel("bad", tc.in, tc.nodes, tc.labels)
			assert.Nil(t, m, "got a model with the error")
			requireErr(t, err, tc.want...)
		})
	}
}

// Explain documents that nothing panics on user data: rules built by hand
// that no constructor would produce must come back as errors too.
func TestExplainDoesNotPanic(t *testing.T) {
	m := startModel(t)
	e := NewExplainer(m)
	x := make([]float32, m.InputLen())
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"nil rule in a composite", Options{Composite: &Composite{Name: "mine", Entries: []Entry{{Selector{}, nil}}}}, "nil"},
		{"zbox with empty bounds", Options{Rules: map[int]Rule{0: ZBox{Low: []float32{}, High: []float32{}, Stab: 1e-6}}}, "zbox"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var err error
			if assert.NotPanics(t, func() { _, err = e.Explain(x, tc.o) }, "Explain panics") {
				requireErr(t, err, tc.want)
			}
		})
	}
}
