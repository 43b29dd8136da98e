package model

import (
	"math"
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The operators of issue 19, each in a tiny hand-built graph: the layers
// it becomes, and the logits against a plain computation of the graph.

// oxAct is x [N, 3] → Gemm 3→4 (h) → nodes (h to a) → Gemm 4→2 (y), with
// the constants the activation patterns use.
func oxAct(opset int64, nodes ...oxMsg) []byte {
	all := append([]oxMsg{oxNode("Gemm", ss("x", "w1", "b1"), ss("h"), oxAttrI("transB", 1))}, nodes...)
	all = append(all, oxNode("Gemm", ss("a", "w2", "b2"), ss("y"), oxAttrI("transB", 1)))
	return oxGraph{opset: opset, inputs: []oxMsg{oxValue("x", "N", 3)}, nodes: all, inits: []oxMsg{
		oxTensor("w1", []int64{4, 3}, oxActW1), oxTensor("b1", []int64{4}, []float32{0.5, -0.25, 1, -2}),
		oxTensor("w2", []int64{2, 4}, oxSeq(8, 0.3, 0.1)), oxTensor("b2", []int64{2}, []float32{0.1, -0.1}),
		oxTensor("sqrt2", nil, []float32{math.Sqrt2}), oxTensor("rsqrt2", nil, []float32{1 / math.Sqrt2}),
		oxTensor("one", nil, []float32{1}), oxTensor("half", nil, []float32{0.5}), oxTensor("two", nil, []float32{2}),
	}}.bytes()
}

var oxActW1 = []float32{1.5, -2, 0.5, -1, 3, 2, 0.25, -0.5, -3, 2, 1, -1.5}

// oxActRef is the graph of oxAct with f between the two Gemms, in float64.
func oxActRef(x []float32, f func(h float64) float64) []float32 {
	b1 := []float64{0.5, -0.25, 1, -2}
	w2, b2 := oxSeq(8, 0.3, 0.1), []float64{0.1, -0.1}
	a := make([]float64, 4)
	for o := range a {
		h := b1[o]
		for i := range x {
			h += float64(oxActW1[o*3+i]) * float64(x[i])
		}
		a[o] = f(h)
	}
	y := make([]float32, 2)
	for o := range y {
		s := b2[o]
		for i := range a {
			s += float64(w2[o*4+i]) * a[i]
		}
		y[o] = float32(s)
	}
	return y
}

func sigmoid64(v float64) float64 { return 1 / (1 + math.Exp(-v)) }

func TestDecodeONNXActivations(t *testing.T) {
	hsig := func(alpha, beta float64) func(float64) float64 {
		return func(v float64) float64 { return math.Max(0, math.Min(1, alpha*v+beta)) }
	}
	hswish := func(v float64) float64 { return v * math.Min(math.Max(v+3, 0), 6) / 6 }
	gelu := func(v float64) float64 { return v * (1 + math.Erf(v/math.Sqrt2)) / 2 }
	leaky := func(alpha float64) func(float64) float64 {
		return func(v float64) float64 { return math.Max(v, 0) + alpha*math.Min(v, 0) }
	}
	elu := func(alpha float64) func(float64) float64 {
		return func(v float64) float64 { return math.Max(v, 0) + alpha*math.Min(math.Exp(v)-1, 0) }
	}
	for _, tc := range []struct {
		name  string
		opset int64
		nodes []oxMsg
		kinds string
		f     func(float64) float64
	}{
		{"Sigmoid", 13, []oxMsg{oxNode("Sigmoid", ss("h"), ss("a"))}, "sigmoid", sigmoid64},
		{"Tanh", 13, []oxMsg{oxNode("Tanh", ss("h"), ss("a"))}, "tanh", math.Tanh},
		{"HardSigmoid defaults", 13, []oxMsg{oxNode("HardSigmoid", ss("h"), ss("a"))}, "hardsigmoid", hsig(float64(float32(0.2)), 0.5)},
		{"HardSigmoid torch", 13, []oxMsg{oxNode("HardSigmoid", ss("h"), ss("a"), oxAttrF("alpha", 1.0/6))}, "hardsigmoid", hsig(float64(float32(1.0/6)), 0.5)},
		{"HardSigmoid beta", 13, []oxMsg{oxNode("HardSigmoid", ss("h"), ss("a"), oxAttrF("alpha", 0.5), oxAttrF("beta", 0.25))}, "hardsigmoid", hsig(0.5, 0.25)},
		{"LeakyRelu default", 13, []oxMsg{oxNode("LeakyRelu", ss("h"), ss("a"))}, "leakyrelu", leaky(float64(float32(0.01)))},
		{"LeakyRelu alpha", 13, []oxMsg{oxNode("LeakyRelu", ss("h"), ss("a"), oxAttrF("alpha", 0.25))}, "leakyrelu", leaky(0.25)},
		{"Elu default", 13, []oxMsg{oxNode("Elu", ss("h"), ss("a"))}, "elu", elu(1)},
		{"Elu alpha", 13, []oxMsg{oxNode("Elu", ss("h"), ss("a"), oxAttrF("alpha", 0.5))}, "elu", elu(0.5)},
		{"HardSwish", 14, []oxMsg{oxNode("HardSwish", ss("h"), ss("a"))}, "hardswish", hswish},
		{"Gelu", 20, []oxMsg{oxNode("Gelu", ss("h"), ss("a"))}, "gelu", gelu},
		{"Swish", 24, []oxMsg{oxNode("Swish", ss("h"), ss("a"))}, "silu", func(v float64) float64 { return v * sigmoid64(v) }},
		{"Gelu none", 20, []oxMsg{oxNode("Gelu", ss("h"), ss("a"), oxAttrS("approximate", "none"))}, "gelu", gelu},
		// The patterns of opsets before the native operators.
		{"SiLU as x·Sigmoid(x)", 13, []oxMsg{oxNode("Sigmoid", ss("h"), ss("s")), oxNode("Mul", ss("h", "s"), ss("a"))}, "silu",
			func(v float64) float64 { return v * sigmoid64(v) }},
		{"SiLU as Sigmoid(x)·x", 13, []oxMsg{oxNode("Sigmoid", ss("h"), ss("s")), oxNode("Mul", ss("s", "h"), ss("a"))}, "silu",
			func(v float64) float64 { return v * sigmoid64(v) }},
		{"HardSwish as x·HardSigmoid(x)", 13, []oxMsg{oxNode("HardSigmoid", ss("h"), ss("s"), oxAttrF("alpha", 1.0/6)), oxNode("Mul", ss("h", "s"), ss("a"))}, "hardswish", hswish},
		{"GELU as PyTorch writes it", 13, []oxMsg{
			oxNode("Div", ss("h", "sqrt2"), ss("d")), oxNode("Erf", ss("d"), ss("e")), oxNode("Add", ss("e", "one"), ss("p")),
			oxNode("Mul", ss("h", "p"), ss("q")), oxNode("Mul", ss("q", "half"), ss("a"))}, "gelu", gelu},
		{"GELU halved first", 13, []oxMsg{
			oxNode("Mul", ss("half", "h"), ss("hh")), oxNode("Mul", ss("h", "rsqrt2"), ss("d")), oxNode("Erf", ss("d"), ss("e")),
			oxNode("Add", ss("one", "e"), ss("p")), oxNode("Mul", ss("p", "hh"), ss("a"))}, "gelu", gelu},
		{"GELU divided by 2", 13, []oxMsg{
			oxNode("Div", ss("h", "sqrt2"), ss("d")), oxNode("Erf", ss("d"), ss("e")), oxNode("Add", ss("e", "one"), ss("p")),
			oxNode("Mul", ss("p", "h"), ss("q")), oxNode("Div", ss("q", "two"), ss("a"))}, "gelu", gelu},
		// A Sigmoid that another node reads too stays: the product is a
		// gate on flat features, and the sum a residual join.
		{"x·Sigmoid(x) shared", 13, []oxMsg{oxNode("Sigmoid", ss("h"), ss("s")), oxNode("Mul", ss("h", "s"), ss("m")), oxNode("Add", ss("m", "s"), ss("a"))},
			"sigmoid mul add", func(v float64) float64 { return (v + 1) * sigmoid64(v) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := oxDecode(t, oxAct(tc.opset, tc.nodes...))
			require.Equal(t, "dense "+tc.kinds+" dense", oxKinds(f.Model), "layers")
			for _, x := range [][]float32{{0.5, -1, 2}, {-1, 0.25, 0.5}, {2, 2, -1}, {0, 0, 0}} {
				got, want := oxForward(t, f.Model, x), oxActRef(x, tc.f)
				assert.LessOrEqualf(t, oxMaxDiff(got, want), 1e-5, "x %v: logits %v, want %v", x, got, want)
			}
		})
	}
}

// oxConvIn is the input [N, 2, 4, 4] of the convolutional graphs below,
// and oxConvX one input for it.
var (
	oxConvIn = oxValue("x", "batch", 2, 4, 4)
	oxConvX  = oxSeq(32, 0.2, 0.1)
)

// oxConvRef is a 1×1 convolution of x [2][4][4] with weights w [out][2].
func oxConvRef(w []float32, out int, x []float32) []float64 {
	y := make([]float64, out*16)
	for o := range out {
		for p := range 16 {
			for c := range 2 {
				y[o*16+p] += float64(w[o*2+c]) * float64(x[c*16+p])
			}
		}
	}
	return y
}

// oxHead is Flatten then Gemm n→2, from in to y.
func oxHead(in string, n int) ([]oxMsg, []oxMsg, []float32) {
	w := oxSeq(2*n, 0.05, 0.01)
	return []oxMsg{
			oxNode("Flatten", ss(in), ss("flat"), oxAttrI("axis", 1)),
			oxNode("Gemm", ss("flat", "hw", "hb"), ss("y"), oxAttrI("transB", 1)),
		}, []oxMsg{oxTensor("hw", []int64{2, int64(n)}, w), oxTensor("hb", []int64{2}, []float32{0.5, -0.25})},
		w
}

// oxHeadRef is the head of oxHead on features v.
func oxHeadRef(w []float32, v []float64) []float32 {
	y := []float64{0.5, -0.25}
	for o := range y {
		for i, x := range v {
			y[o] += float64(w[o*len(v)+i]) * x
		}
	}
	return []float32{float32(y[0]), float32(y[1])}
}

// A squeeze-and-excitation gate, written gate first as torchvision's
// blocks do (scale * input), becomes a Mul whose input 0 is the signal.
func TestDecodeONNXGate(t *testing.T) {
	cw := oxSeq(4, 0.5, 0.25)
	head, hinit, hw := oxHead("m", 32)
	for _, tc := range []struct {
		name string
		gate oxMsg
		mul  oxMsg
		g    func(float64) float64
		kind string
	}{
		{"sigmoid, gate first", oxNode("Sigmoid", ss("p"), ss("g")), oxNode("Mul", ss("g", "c"), ss("m")), sigmoid64, "sigmoid"},
		{"hardsigmoid, signal first", oxNode("HardSigmoid", ss("p"), ss("g"), oxAttrF("alpha", 1.0/6)), oxNode("Mul", ss("c", "g"), ss("m")),
			func(v float64) float64 { return math.Max(0, math.Min(1, float64(float32(1.0/6))*v+0.5)) }, "hardsigmoid"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := oxDecode(t, oxGraph{inputs: []oxMsg{oxConvIn}, nodes: append([]oxMsg{
				oxNode("Conv", ss("x", "cw"), ss("c")),
				oxNode("GlobalAveragePool", ss("c"), ss("p")),
				tc.gate, tc.mul,
			}, head...), inits: append([]oxMsg{oxTensor("cw", []int64{2, 2, 1, 1}, cw)}, hinit...)}.bytes())
			require.Equal(t, "conv2d global_avgpool2d "+tc.kind+" mul flatten dense", oxKinds(f.Model), "layers")
			assert.Equal(t, []int{0, 2}, f.Model.Nodes[3].Inputs, "mul reads the signal, then the gate")
			c := oxConvRef(cw, 2, oxConvX)
			for ch := range 2 {
				var mean float64
				for p := range 16 {
					mean += c[ch*16+p] / 16
				}
				for p := range 16 {
					c[ch*16+p] *= tc.g(mean)
				}
			}
			assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, oxConvX), oxHeadRef(hw, c)), 1e-5, "logits")
		})
	}
}

// Concat of computed tensors on the channel axis, one of them twice and
// one the model input, with axis 1 or -3; a DenseNet block's single-input
// Concat.
func TestDecodeONNXConcat(t *testing.T) {
	cw := []float32{0.5, -1}
	head, hinit, hw := oxHead("cat", 96)
	for _, axis := range []int64{1, -3} {
		f := oxDecode(t, oxGraph{inputs: []oxMsg{oxConvIn}, nodes: append([]oxMsg{
			oxNode("Conv", ss("x", "cw"), ss("a")),
			oxNode("Relu", ss("x"), ss("b")),
			oxNode("Concat", ss("a", "b", "a", "x"), ss("cat"), oxAttrI("axis", axis)),
		}, head...), inits: append([]oxMsg{oxTensor("cw", []int64{1, 2, 1, 1}, cw)}, hinit...)}.bytes())
		require.Equal(t, "conv2d relu concat flatten dense", oxKinds(f.Model), "layers")
		assert.Equal(t, []int{0, 1, 0, lrp.Input}, f.Model.Nodes[2].Inputs, "concat inputs")
		a := oxConvRef(cw, 1, oxConvX)
		var v []float64
		v = append(v, a...)
		for _, x := range oxConvX {
			v = append(v, math.Max(float64(x), 0))
		}
		v = append(v, a...)
		for _, x := range oxConvX {
			v = append(v, float64(x))
		}
		assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, oxConvX), oxHeadRef(hw, v)), 1e-5, "axis %d: logits", axis)
	}
	head, hinit, _ = oxHead("cat", 32)
	f := oxDecode(t, oxGraph{inputs: []oxMsg{oxConvIn}, nodes: append([]oxMsg{
		oxNode("Relu", ss("x"), ss("b")),
		oxNode("Concat", ss("b"), ss("cat"), oxAttrI("axis", 1)),
	}, head...), inits: hinit}.bytes())
	assert.Equal(t, "relu concat flatten dense", oxKinds(f.Model), "one input")
}

// ReduceMean over height and width is a global average pooling, flattened
// without keepdims; opset 18 gives the axes as an input.
func TestDecodeONNXReduceMean(t *testing.T) {
	cw := oxSeq(4, 0.5, 0.25)
	for _, tc := range []struct {
		name  string
		opset int64
		node  oxMsg
		keep  bool
	}{
		{"keepdims", 13, oxNode("ReduceMean", ss("c"), ss("r"), oxAttrInts("axes", 2, 3)), true},
		{"no keepdims", 13, oxNode("ReduceMean", ss("c"), ss("r"), oxAttrInts("axes", -1, -2), oxAttrI("keepdims", 0)), false},
		{"axes input", 18, oxNode("ReduceMean", ss("c", "axes"), ss("r"), oxAttrI("keepdims", 0)), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := []oxMsg{oxNode("Conv", ss("x", "cw"), ss("c")), tc.node}
			if tc.keep {
				nodes = append(nodes, oxNode("Flatten", ss("r"), ss("f"), oxAttrI("axis", 1)))
			} else {
				nodes = append(nodes, oxNode("Identity", ss("r"), ss("f")))
			}
			nodes = append(nodes, oxNode("Gemm", ss("f", "hw", "hb"), ss("y"), oxAttrI("transB", 1)))
			hw := oxSeq(4, 0.5, 0)
			f := oxDecode(t, oxGraph{opset: tc.opset, inputs: []oxMsg{oxConvIn}, nodes: nodes, inits: []oxMsg{
				oxTensor("cw", []int64{2, 2, 1, 1}, cw), oxInts("axes", []int64{2}, 2, 3),
				oxTensor("hw", []int64{2, 2}, hw), oxTensor("hb", []int64{2}, []float32{0.5, -0.25}),
			}}.bytes())
			require.Equal(t, "conv2d global_avgpool2d flatten dense", oxKinds(f.Model), "layers")
			c := oxConvRef(cw, 2, oxConvX)
			mean := make([]float64, 2)
			for p := range 32 {
				mean[p/16] += c[p] / 16
			}
			assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, oxConvX), oxHeadRef(hw, mean)), 1e-5, "logits")
		})
	}
}

// MaxPool and AveragePool in ceil mode, and the AveragePool that adaptive
// pooling to 2×2 exports (kernel = stride = input/output).
func TestDecodeONNXPoolModes(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   int
		node oxMsg
		want lrp.Layer
	}{
		{"maxpool ceil", 5, oxNode("MaxPool", ss("x"), ss("p"), oxAttrInts("kernel_shape", 2, 2), oxAttrInts("strides", 2, 2), oxAttrI("ceil_mode", 1)),
			&lrp.MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, Ceil: true}},
		{"maxpool squeezenet", 7, oxNode("MaxPool", ss("x"), ss("p"), oxAttrInts("kernel_shape", 3, 3), oxAttrInts("strides", 2, 2), oxAttrInts("pads", 0, 0, 0, 0), oxAttrI("ceil_mode", 1)),
			&lrp.MaxPool2D{KH: 3, KW: 3, SH: 2, SW: 2, Ceil: true}},
		{"avgpool ceil include pad", 5, oxNode("AveragePool", ss("x"), ss("p"), oxAttrInts("kernel_shape", 3, 3), oxAttrInts("strides", 2, 2), oxAttrInts("pads", 1, 1, 1, 1),
			oxAttrI("ceil_mode", 1), oxAttrI("count_include_pad", 1)),
			&lrp.AvgPool2D{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, Ceil: true, CountIncludePad: true}},
		{"adaptive avgpool to 2x2", 4, oxNode("AveragePool", ss("x"), ss("p"), oxAttrInts("kernel_shape", 2, 2), oxAttrInts("strides", 2, 2)),
			&lrp.AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			out, err := tc.want.OutShape([][]int{{1, tc.in, tc.in}})
			require.NoError(t, err)
			n := out[0] * out[1] * out[2]
			head, hinit, _ := oxHead("p", n)
			f := oxDecode(t, oxGraph{inputs: []oxMsg{oxValue("x", "batch", 1, tc.in, tc.in)}, nodes: append([]oxMsg{tc.node}, head...), inits: hinit}.bytes())
			require.Equal(t, tc.want.Kind().String()+" flatten dense", oxKinds(f.Model), "layers")
			assert.Equal(t, tc.want, f.Model.Nodes[0].Layer, "pooling")
		})
	}
}

// A BatchNormalization before a convolution (DenseNet's) stays a
// batchnorm2d layer after folding, explained with LRP-ε.
func TestDecodeONNXBatchNormBeforeConv(t *testing.T) {
	head, hinit, _ := oxHead("c", 16)
	f := oxDecode(t, oxGraph{inputs: []oxMsg{oxConvIn}, nodes: append([]oxMsg{
		oxNode("Relu", ss("x"), ss("r")),
		oxNode("BatchNormalization", ss("r", "s", "b", "m", "v"), ss("n")),
		oxNode("Conv", ss("n", "cw"), ss("c")),
	}, head...), inits: append([]oxMsg{
		oxTensor("s", []int64{2}, []float32{1.5, 0.5}), oxTensor("b", []int64{2}, []float32{0.1, -0.2}),
		oxTensor("m", []int64{2}, []float32{0.3, 0.2}), oxTensor("v", []int64{2}, []float32{2, 0.5}),
		oxTensor("cw", []int64{1, 2, 1, 1}, []float32{1, -1}),
	}, hinit...)}.bytes())
	m := f.Model
	n, err := m.FoldBatchNorm()
	require.NoError(t, err)
	assert.Zero(t, n, "folded")
	require.Equal(t, "relu batchnorm2d conv2d flatten dense", oxKinds(m), "layers")
	res, err := lrp.NewExplainer(m).Explain(oxConvX, lrp.Options{})
	require.NoError(t, err)
	for _, d := range res.Diagnostics.Layers {
		if d.Kind == lrp.KindBatchNorm {
			assert.Equal(t, "epsilon", d.Rule, "the unfolded BatchNorm's rule")
		}
	}
}

// The new operators' refusals: each model is valid but for the node named.
func TestDecodeONNXArchErrors(t *testing.T) {
	head, hinit, _ := oxHead("o", 32)
	conv := func(nodes ...oxMsg) []byte {
		return oxGraph{inputs: []oxMsg{oxConvIn}, nodes: append(append([]oxMsg{oxNode("Conv", ss("x", "cw"), ss("c"))}, nodes...), head...),
			inits: append([]oxMsg{oxTensor("cw", []int64{2, 2, 1, 1}, oxSeq(4, 1, 0)), oxTensor("cs", []int64{2, 2, 1, 1}, oxSeq(4, 1, 0)),
				oxTensor("c1w", []int64{1, 2, 1, 1}, []float32{1, 1}), oxTensor("k", nil, []float32{3}), oxTensor("half", nil, []float32{0.5})}, hinit...)}.bytes()
	}
	for _, tc := range []struct {
		name        string
		file        []byte
		want        string
		unsupported bool
	}{
		{"concat axis", conv(oxNode("Concat", ss("c", "x"), ss("o"), oxAttrI("axis", 2))), "axis=2; only the channel axis, 1, is supported", true},
		{"concat shapes", conv(oxNode("Conv", ss("x", "cs"), ss("s"), oxAttrInts("strides", 2, 2)), oxNode("Concat", ss("c", "s"), ss("o"), oxAttrI("axis", 1))),
			"concat input 1 has shape [2 2 2], input 0 [2 4 4]", false},
		{"concat constant", conv(oxNode("Concat", ss("c", "cw"), ss("o"), oxAttrI("axis", 1))), `input 1 ("cw") is a constant`, true},
		{"gate of the wrong shape", conv(oxNode("Mul", ss("c", "x"), ss("o"))), "Mul of computed tensors of shapes [2 4 4] and [2 4 4]; only a gate of one value per channel", true},
		{"gate of other channels", conv(oxNode("Conv", ss("x", "c1w"), ss("c1")), oxNode("GlobalAveragePool", ss("c1"), ss("p")),
			oxNode("Sigmoid", ss("p"), ss("g")), oxNode("Mul", ss("g", "c"), ss("o"))), "shapes [1 1 1] and [2 4 4]; only a gate of one value per channel", true},
		{"div of a tensor", conv(oxNode("Div", ss("c", "k"), ss("o"))), "Div of a constant is supported only", true},
		{"erf alone", conv(oxNode("Erf", ss("c"), ss("o"))), "Erf is supported only as part of GELU", true},
		{"gelu part read", conv(oxNode("Mul", ss("c", "half"), ss("d")), oxNode("Relu", ss("d"), ss("o"))), "reads x/2, which is supported only as part of GELU", true},
		{"swish alpha", conv(oxNode("Swish", ss("c"), ss("o"), oxAttrF("alpha", 2))), "alpha=2; only Swish with alpha 1 (SiLU)", true},
		{"gelu approximate", conv(oxNode("Gelu", ss("c"), ss("o"), oxAttrS("approximate", "tanh"))), `approximate="tanh"; only the exact GELU`, true},
		{"reduce mean channels", conv(oxNode("ReduceMean", ss("c"), ss("o"), oxAttrInts("axes", 1))), "reads mean(x), which is supported only as part of LayerNorm", true},
		{"reduce mean channels no keepdims", conv(oxNode("ReduceMean", ss("c"), ss("o"), oxAttrInts("axes", 1), oxAttrI("keepdims", 0))), "keepdims=0 over the channel axis", true},
		{"reduce mean all", conv(oxNode("ReduceMean", ss("c"), ss("o"))), "only the mean over height and width", true},
		{"reduce mean twice", conv(oxNode("ReduceMean", ss("c"), ss("o"), oxAttrInts("axes", 2, -2))), "axes [2 -2]", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			require.NotEmpty(t, tc.want)
			checkDecode(t, tc.file, tc.want, tc.unsupported, true)
		})
	}
}

// oxConcatMany is a Concat of the model input n times.
func oxConcatMany(n int) []byte {
	return oxGraph{nodes: []oxMsg{
		oxNode("Concat", strings.Split(strings.Repeat("x,", n-1)+"x", ","), ss("c"), oxAttrI("axis", 1)),
		oxNode("Flatten", ss("c"), ss("y")),
	}}.bytes()
}

// The hand-built fuzz seeds are valid models.
func TestDecodeONNXValidSeeds(t *testing.T) {
	for i, b := range oxValidSeeds() {
		_, err := DecodeONNX(b)
		assert.NoError(t, err, "seed %d", i)
	}
}
