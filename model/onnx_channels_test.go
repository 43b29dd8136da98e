package model

import (
	"math"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The operators of ShuffleNetV2 and ConvNeXt (issue 19), each in a tiny
// hand-built graph: the layers it becomes, and the logits against a plain
// computation of the graph.

// oxChIn is the input [N, 4, 2, 2] of the graphs below, oxChX one input
// for it, and oxChW the weights of their first convolution, 1×1, 4 → 4.
var (
	oxChIn = oxValue("x", "batch", 4, 2, 2)
	oxChX  = oxSeq(16, 0.3, 0.05)
	oxChW  = oxSeq(16, 0.25, 0.1)
)

// oxChConv is the first convolution's output on oxChX: [4][4] in
// float64, channel by channel.
func oxChConv(w []float32, b []float32) [][]float64 {
	out := len(w) / 4
	y := make([][]float64, out)
	for o := range y {
		y[o] = make([]float64, 4)
		for p := range 4 {
			if b != nil {
				y[o][p] = float64(b[o])
			}
			for c := range 4 {
				y[o][p] += float64(w[o*4+c]) * float64(oxChX[c*4+p])
			}
		}
	}
	return y
}

// oxChHead is Flatten then Gemm 16→2 from in to y, and its reference.
func oxChHead(in string) ([]oxMsg, []oxMsg, func(ch [][]float64) []float32) {
	nodes, inits, w := oxHead(in, 16)
	return nodes, inits, func(ch [][]float64) []float32 {
		var v []float64
		for _, c := range ch {
			v = append(v, c...)
		}
		return oxHeadRef(w, v)
	}
}

// oxSize returns the nodes that compute Shape(of)[axis] as the scalar
// name, as PyTorch writes x.size(axis): Shape, a Constant index, Gather.
func oxSize(of, name string, axis int64) []oxMsg {
	return []oxMsg{
		oxNode("Shape", ss(of), ss(name+"_shape")),
		oxNode("Constant", nil, ss(name+"_axis"), oxAttrT("value", oxInts("", nil, axis))),
		oxNode("Gather", ss(name+"_shape", name+"_axis"), ss(name)),
	}
}

// oxVec returns Unsqueeze(name, [0]) as name+"_v", a vector of one value.
func oxVec(name string) oxMsg { return oxNode("Unsqueeze", ss(name, "axes0"), ss(name+"_v")) }

// oxShuffleUnit is a ShuffleNetV2 unit as torchvision exports it at
// opset 13: the channel split as two Slices whose ends Shape, Gather,
// Add, Div and Mul compute ((C + 1)/2 and its double), a branch on the
// second half, the halves concatenated, and the channel shuffle of 2
// groups as Reshape to [N, 2, C/2, H, W] (the sizes from Shape, Gather,
// Div, Cast, Unsqueeze, Concat), Transpose(0, 2, 1, 3, 4) and Reshape to
// [N, −1, H, W].
func oxShuffleUnit() []byte {
	head, hinit, _ := oxChHead("sh")
	nodes := []oxMsg{
		oxNode("Conv", ss("x", "cw"), ss("c")),
		oxNode("Shape", ss("c"), ss("cs")),
		oxNode("Gather", ss("cs", "one"), ss("cc")), // [C]
		oxNode("Add", ss("cc", "one"), ss("cc1")),
		oxNode("Div", ss("cc1", "two"), ss("half")),
		oxNode("Mul", ss("half", "one"), ss("end1")),
		oxNode("Slice", ss("c", "zero", "end1", "one"), ss("a")),
		oxNode("Mul", ss("half", "two"), ss("end2")),
		oxNode("Slice", ss("c", "end1", "end2", "one"), ss("b")),
		oxNode("Relu", ss("b"), ss("rb")),
		oxNode("Concat", ss("a", "rb"), ss("cat"), oxAttrI("axis", 1)),
	}
	nodes = append(nodes, oxSize("cat", "n", 0)...)
	nodes = append(nodes, oxSize("cat", "ch", 1)...)
	nodes = append(nodes, oxSize("cat", "h", 2)...)
	nodes = append(nodes, oxSize("cat", "w", 3)...)
	nodes = append(nodes,
		oxNode("Div", ss("ch", "two0"), ss("cg")),
		oxNode("Cast", ss("cg"), ss("cgi"), oxAttrI("to", 7)),
		oxVec("n"), oxVec("cgi"), oxVec("h"), oxVec("w"),
		oxNode("Concat", ss("n_v", "two", "cgi_v", "h_v", "w_v"), ss("s5"), oxAttrI("axis", 0)),
		oxNode("Reshape", ss("cat", "s5"), ss("r")),
		oxNode("Transpose", ss("r"), ss("tr"), oxAttrInts("perm", 0, 2, 1, 3, 4)),
		oxNode("Concat", ss("n_v", "minus1", "h_v", "w_v"), ss("s4"), oxAttrI("axis", 0)),
		oxNode("Reshape", ss("tr", "s4"), ss("sh")),
	)
	return oxGraph{inputs: []oxMsg{oxChIn}, nodes: append(nodes, head...), inits: append([]oxMsg{
		oxTensor("cw", []int64{4, 4, 1, 1}, oxChW),
		oxInts("zero", []int64{1}, 0), oxInts("one", []int64{1}, 1), oxInts("two", []int64{1}, 2),
		oxInts("two0", nil, 2), oxInts("minus1", []int64{1}, -1), oxInts("axes0", []int64{1}, 0),
	}, hinit...)}.bytes()
}

// The ShuffleNetV2 unit becomes two slices, a concat and a shuffle, and
// computes what the graph says.
func TestDecodeONNXShuffleNetUnit(t *testing.T) {
	_, _, ref := oxChHead("sh")
	f := oxDecode(t, oxShuffleUnit())
	require.Equal(t, "conv2d slice slice relu concat shuffle flatten dense", oxKinds(f.Model), "layers")
	assert.Equal(t, &lrp.Slice{Start: 0, Stop: 2, Step: 1}, f.Model.Nodes[1].Layer, "first half")
	assert.Equal(t, &lrp.Slice{Start: 2, Stop: 4, Step: 1}, f.Model.Nodes[2].Layer, "second half")
	assert.Equal(t, &lrp.Shuffle{Groups: 2}, f.Model.Nodes[5].Layer, "shuffle")

	c := oxChConv(oxChW, nil)
	for _, p := range c[2:] {
		for k, v := range p {
			p[k] = math.Max(v, 0)
		}
	}
	// [a0 a1 b0 b1] as a 2×2 matrix, transposed: a0 b0 a1 b1.
	want := ref([][]float64{c[0], c[2], c[1], c[3]})
	assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, oxChX), want), 1e-5, "logits")
}

// Slice in its forms: attributes (opset 9), inputs with steps, negative
// and clamped starts and ends; Split with sizes as an input (opset 13),
// as an attribute (opset 11), in equal parts by num_outputs (opset 18) or
// by the outputs. Each picks channels of the convolution's output, which
// Concat puts back in another order.
func TestDecodeONNXSliceSplit(t *testing.T) {
	const maxInt = math.MaxInt64
	head, hinit, ref := oxChHead("cat")
	c := oxChConv(oxChW, nil)
	for _, tc := range []struct {
		name  string
		opset int64
		nodes []oxMsg
		kinds string
		want  [][]float64
	}{
		{"slice attributes", 9, []oxMsg{
			oxNode("Slice", ss("c"), ss("a"), oxAttrInts("starts", 3), oxAttrInts("ends", 4), oxAttrInts("axes", 1)),
			oxNode("Slice", ss("c"), ss("b"), oxAttrInts("starts", 0, 0), oxAttrInts("ends", 3, maxInt), oxAttrInts("axes", 1, 2)),
			oxNode("Concat", ss("a", "b"), ss("cat"), oxAttrI("axis", 1)),
		}, "conv2d slice slice concat flatten dense", [][]float64{c[3], c[0], c[1], c[2]}},
		{"slice steps and negative indices", 13, []oxMsg{
			oxNode("Slice", ss("c", "m3", "big", "one", "two"), ss("a")),    // channels 1, 3
			oxNode("Slice", ss("c", "small", "big", "one", "two"), ss("b")), // 0, 2 (start clamped to 0)
			oxNode("Slice", ss("c", "zero", "big", "minus1"), ss("whole")),  // everything: no node
			oxNode("Concat", ss("a", "b"), ss("ab"), oxAttrI("axis", 1)),
			oxNode("Add", ss("ab", "whole"), ss("cat")),
		}, "conv2d slice slice concat add flatten dense", [][]float64{sum(c[1], c[0]), sum(c[3], c[1]), sum(c[0], c[2]), sum(c[2], c[3])}},
		{"split input", 13, []oxMsg{
			oxNode("Split", ss("c", "sizes"), ss("a", "b"), oxAttrI("axis", 1)),
			oxNode("Concat", ss("b", "a"), ss("cat"), oxAttrI("axis", 1)),
		}, "conv2d slice slice concat flatten dense", [][]float64{c[1], c[2], c[3], c[0]}},
		{"split attribute", 11, []oxMsg{
			oxNode("Split", ss("c"), ss("a", "b"), oxAttrI("axis", -3), oxAttrInts("split", 2, 2)),
			oxNode("Concat", ss("b", "a"), ss("cat"), oxAttrI("axis", 1)),
		}, "conv2d slice slice concat flatten dense", [][]float64{c[2], c[3], c[0], c[1]}},
		{"split num_outputs", 18, []oxMsg{
			oxNode("Split", ss("c"), ss("a", "b"), oxAttrI("axis", 1), oxAttrI("num_outputs", 2)),
			oxNode("Concat", ss("b", "a"), ss("cat"), oxAttrI("axis", 1)),
		}, "conv2d slice slice concat flatten dense", [][]float64{c[2], c[3], c[0], c[1]}},
		{"split by outputs", 13, []oxMsg{
			oxNode("Split", ss("c"), ss("a", "b"), oxAttrI("axis", 1)),
			oxNode("Concat", ss("b", "a"), ss("cat"), oxAttrI("axis", 1)),
		}, "conv2d slice slice concat flatten dense", [][]float64{c[2], c[3], c[0], c[1]}},
		{"split unread output", 13, []oxMsg{
			oxNode("Split", ss("c", "sizes"), ss("a", "unread"), oxAttrI("axis", 1)),
			oxNode("Concat", ss("a", "a", "a", "a"), ss("cat"), oxAttrI("axis", 1)),
		}, "conv2d slice concat flatten dense", [][]float64{c[0], c[0], c[0], c[0]}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := append([]oxMsg{oxNode("Conv", ss("x", "cw"), ss("c"))}, tc.nodes...)
			file := oxGraph{opset: tc.opset, inputs: []oxMsg{oxChIn}, nodes: append(nodes, head...), inits: append([]oxMsg{
				oxTensor("cw", []int64{4, 4, 1, 1}, oxChW),
				oxInts("zero", []int64{1}, 0), oxInts("one", []int64{1}, 1), oxInts("two", []int64{1}, 2),
				oxInts("minus1", []int64{1}, -1), oxInts("m2", []int64{1}, -2), oxInts("m3", []int64{1}, -3),
				oxInts("big", []int64{1}, maxInt), oxInts("small", []int64{1}, math.MinInt64+1), oxInts("sizes", []int64{2}, 1, 3),
			}, hinit...)}.bytes()
			f := oxDecode(t, file)
			require.Equal(t, tc.kinds, oxKinds(f.Model), "layers")
			assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, oxChX), ref(tc.want)), 1e-5, "logits")
		})
	}
}

// sum returns a + b, value by value.
func sum(a, b []float64) []float64 {
	s := make([]float64, len(a))
	for k := range s {
		s[k] = a[k] + b[k]
	}
	return s
}

// oxConvNeXt is a ConvNeXt block as torchvision exports it, on a 1×1
// convolution's output c [N, 4, 2, 2]: Transpose to channels-last,
// LayerNorm (opset 17's operator, or opset 13's pattern), Linear 4 → 8
// (MatMul, then Add with the bias first), GELU (its pattern), Linear 8 →
// 4, the Transpose back, the layer scale ls [4, 1, 1] and the residual
// Add.
func oxConvNeXt(opset int64, ls []float32) []byte {
	head, hinit, _ := oxChHead("res")
	ln := []oxMsg{oxNode("LayerNormalization", ss("t", "g", "b"), ss("ln"), oxAttrI("axis", -1), oxAttrF("epsilon", 1e-6))}
	if opset < 17 {
		ln = []oxMsg{
			oxNode("ReduceMean", ss("t"), ss("m"), oxAttrInts("axes", -1)),
			oxNode("Sub", ss("t", "m"), ss("d")),
			oxNode("Pow", ss("d", "twof"), ss("p")),
			oxNode("ReduceMean", ss("p"), ss("v"), oxAttrInts("axes", -1)),
			oxNode("Add", ss("v", "eps"), ss("ve")),
			oxNode("Sqrt", ss("ve"), ss("sd")),
			oxNode("Div", ss("d", "sd"), ss("nrm")),
			oxNode("Mul", ss("nrm", "g"), ss("ng")),
			oxNode("Add", ss("ng", "b"), ss("ln")),
		}
	}
	nodes := append([]oxMsg{
		oxNode("Conv", ss("x", "cw", "cb"), ss("c")),
		oxNode("Transpose", ss("c"), ss("t"), oxAttrInts("perm", 0, 2, 3, 1)),
	}, ln...)
	nodes = append(nodes,
		oxNode("MatMul", ss("ln", "w1"), ss("m1")),
		oxNode("Add", ss("b1", "m1"), ss("h")),
		oxNode("Div", ss("h", "sqrt2"), ss("gd")), oxNode("Erf", ss("gd"), ss("ge")), oxNode("Add", ss("ge", "onef"), ss("gp")),
		oxNode("Mul", ss("h", "gp"), ss("gq")), oxNode("Mul", ss("gq", "halff"), ss("gelu")),
		oxNode("MatMul", ss("gelu", "w2"), ss("m2")),
		oxNode("Add", ss("m2", "b2"), ss("o")),
		oxNode("Transpose", ss("o"), ss("ob"), oxAttrInts("perm", 0, 3, 1, 2)),
		oxNode("Mul", ss("ls", "ob"), ss("sc")),
		oxNode("Add", ss("sc", "c"), ss("res")),
	)
	return oxGraph{opset: opset, inputs: []oxMsg{oxChIn}, nodes: append(nodes, head...), inits: append([]oxMsg{
		oxTensor("cw", []int64{4, 4, 1, 1}, oxChW), oxTensor("cb", []int64{4}, oxNxCB),
		oxTensor("g", []int64{4}, oxNxG), oxTensor("b", []int64{4}, oxNxB),
		oxTensor("w1", []int64{4, 8}, oxNxW1), oxTensor("b1", []int64{8}, oxNxB1),
		oxTensor("w2", []int64{8, 4}, oxNxW2), oxTensor("b2", []int64{4}, oxNxB2),
		oxTensor("ls", []int64{4, 1, 1}, ls),
		oxTensor("twof", nil, []float32{2}), oxTensor("eps", nil, []float32{1e-6}),
		oxTensor("sqrt2", nil, []float32{math.Sqrt2}), oxTensor("onef", nil, []float32{1}), oxTensor("halff", nil, []float32{0.5}),
	}, hinit...)}.bytes()
}

var (
	oxNxCB = []float32{0.1, -0.2, 0.3, 0}
	oxNxG  = []float32{1.5, 0.5, 1, 0.75}
	oxNxB  = []float32{0.1, 0, -0.1, 0.2}
	oxNxW1 = oxSeq(32, 0.2, 0.05)
	oxNxB1 = oxSeq(8, 0.1, 0)
	oxNxW2 = oxSeq(32, 0.15, -0.02)
	oxNxB2 = []float32{0.05, -0.05, 0.1, 0}
)

// oxConvNeXtRef is the block of oxConvNeXt in float64, channels of [4][4].
func oxConvNeXtRef(ls []float32) [][]float64 {
	c := oxChConv(oxChW, oxNxCB)
	out := make([][]float64, 4)
	for o := range out {
		out[o] = make([]float64, 4)
	}
	for p := range 4 {
		var mu, v float64
		for ch := range 4 {
			mu += c[ch][p] / 4
		}
		for ch := range 4 {
			v += (c[ch][p] - mu) * (c[ch][p] - mu) / 4
		}
		ln := make([]float64, 4)
		for ch := range 4 {
			ln[ch] = (c[ch][p]-mu)/math.Sqrt(v+float64(float32(1e-6)))*float64(oxNxG[ch]) + float64(oxNxB[ch])
		}
		h := make([]float64, 8)
		for o := range 8 {
			h[o] = float64(oxNxB1[o])
			for i := range 4 {
				h[o] += float64(oxNxW1[i*8+o]) * ln[i]
			}
			h[o] = h[o] * (1 + math.Erf(h[o]/math.Sqrt2)) / 2
		}
		for o := range 4 {
			y := float64(oxNxB2[o])
			for i := range 8 {
				y += float64(oxNxW2[i*4+o]) * h[i]
			}
			out[o][p] = y*float64(ls[o]) + c[o][p]
		}
	}
	return out
}

// A ConvNeXt block at opsets 13 and 17: the Transposes make no node, the
// LayerNorm is one, the Linear layers on the last axis are 1×1
// convolutions, and a positive layer scale folds into the second one; a
// scale with a negative factor stays, a scale layer.
func TestDecodeONNXConvNeXtBlock(t *testing.T) {
	_, _, ref := oxChHead("res")
	positive, mixed := []float32{0.5, 1.25, 2, 0.75}, []float32{0.5, -1.25, 2, 0.75}
	for _, tc := range []struct {
		name  string
		opset int64
		ls    []float32
		kinds string
	}{
		{"opset 17", 17, positive, "conv2d layernorm conv2d gelu conv2d add flatten dense"},
		{"opset 13", 13, positive, "conv2d layernorm conv2d gelu conv2d add flatten dense"},
		{"opset 17, negative scale", 17, mixed, "conv2d layernorm conv2d gelu conv2d scale add flatten dense"},
		{"opset 13, negative scale", 13, mixed, "conv2d layernorm conv2d gelu conv2d scale add flatten dense"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			f := oxDecode(t, oxConvNeXt(tc.opset, tc.ls))
			require.Equal(t, tc.kinds, oxKinds(f.Model), "layers")
			ln := f.Model.Nodes[1].Layer.(*lrp.LayerNorm)
			assert.Equal(t, oxNxG, ln.Gamma, "γ")
			assert.Equal(t, oxNxB, ln.Beta, "β")
			assert.Equal(t, float32(1e-6), ln.Eps, "ε")
			assert.Equal(t, []int{4, 2, 2}, f.Model.Shape(1), "LayerNorm in the model's layout")
			assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, oxChX), ref(oxConvNeXtRef(tc.ls))), 1e-5, "logits")
		})
	}
}

// ConvNeXt's classifier: LayerNorm of the pooled [N, C, 1, 1] between two
// Transposes, and a LayerNorm of flat features at opset 17.
func TestDecodeONNXLayerNormClassifier(t *testing.T) {
	g, b := []float32{1.5, 0.5, 1, 0.75}, []float32{0.1, 0, -0.1, 0.2}
	hw := oxSeq(8, 0.3, 0.1)
	c := oxChConv(oxChW, nil)
	pooled := make([]float64, 4)
	for ch := range 4 {
		for _, v := range c[ch] {
			pooled[ch] += v / 4
		}
	}
	var mu, v float64
	for _, x := range pooled {
		mu += x / 4
	}
	for _, x := range pooled {
		v += (x - mu) * (x - mu) / 4
	}
	for ch := range pooled {
		pooled[ch] = (pooled[ch]-mu)/math.Sqrt(v+float64(float32(1e-5)))*float64(g[ch]) + float64(b[ch])
	}
	want := oxHeadRef(hw, pooled)
	for _, tc := range []struct {
		name  string
		nodes []oxMsg
		kinds string
	}{
		{"channels-last", []oxMsg{
			oxNode("GlobalAveragePool", ss("c"), ss("p")),
			oxNode("Transpose", ss("p"), ss("t"), oxAttrInts("perm", 0, 2, 3, 1)),
			oxNode("LayerNormalization", ss("t", "g", "b"), ss("ln")),
			oxNode("Transpose", ss("ln"), ss("tb"), oxAttrInts("perm", 0, 3, 1, 2)),
			oxNode("Flatten", ss("tb"), ss("f")),
		}, "conv2d global_avgpool2d layernorm flatten dense"},
		{"flat", []oxMsg{
			oxNode("GlobalAveragePool", ss("c"), ss("p")),
			oxNode("Flatten", ss("p"), ss("pf")),
			oxNode("LayerNormalization", ss("pf", "g", "b"), ss("f"), oxAttrI("axis", 1)),
		}, "conv2d global_avgpool2d flatten layernorm dense"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			nodes := append([]oxMsg{oxNode("Conv", ss("x", "cw"), ss("c"))}, tc.nodes...)
			nodes = append(nodes, oxNode("Gemm", ss("f", "hw", "hb"), ss("y"), oxAttrI("transB", 1)))
			f := oxDecode(t, oxGraph{opset: 17, inputs: []oxMsg{oxChIn}, nodes: nodes, inits: []oxMsg{
				oxTensor("cw", []int64{4, 4, 1, 1}, oxChW), oxTensor("g", []int64{4}, g), oxTensor("b", []int64{4}, b),
				oxTensor("hw", []int64{2, 4}, hw), oxTensor("hb", []int64{2}, []float32{0.5, -0.25}),
			}}.bytes())
			require.Equal(t, tc.kinds, oxKinds(f.Model), "layers")
			assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, oxChX), want), 1e-5, "logits")
		})
	}
}

// The refusals of the new operators, hostile values among them: each
// model is valid ONNX (or says which rule it breaks) but for the node
// named.
func TestDecodeONNXChannelsErrors(t *testing.T) {
	head, hinit, _ := oxChHead("o")
	const maxInt = math.MaxInt64
	graph := func(opset int64, nodes ...oxMsg) []byte {
		return oxGraph{opset: opset, inputs: []oxMsg{oxChIn}, nodes: append(append([]oxMsg{oxNode("Conv", ss("x", "cw"), ss("c"))}, nodes...), head...),
			inits: append([]oxMsg{oxTensor("cw", []int64{4, 4, 1, 1}, oxChW),
				oxInts("zero", []int64{1}, 0), oxInts("one", []int64{1}, 1), oxInts("two", []int64{1}, 2), oxInts("four", []int64{1}, 4),
				oxInts("big", []int64{1}, maxInt), oxInts("neg", []int64{1}, -1), oxInts("huge", []int64{1}, 1<<62),
				oxInts("axis2", []int64{1}, 2), oxInts("axes11", []int64{2}, 1, 1), oxInts("zero2", []int64{2}, 0, 0), oxInts("four2", []int64{2}, 4, 4),
				oxTensor("twof", nil, []float32{2}), oxTensor("threef", nil, []float32{3}), oxTensor("w48", []int64{4, 8}, oxSeq(32, 1, 0)),
				oxTensor("w38", []int64{3, 8}, oxSeq(24, 1, 0)), oxTensor("g4", []int64{4}, oxSeq(4, 1, 0)),
				oxTensor("zerof", nil, []float32{0}), oxTensor("sixf", nil, []float32{6}),
			}, hinit...)}.bytes()
	}
	shape := func(name string, dims ...int64) oxMsg {
		return oxNode("Constant", nil, ss(name), oxAttrT("value", oxInts("", []int64{int64(len(dims))}, dims...)))
	}
	toLast := oxNode("Transpose", ss("c"), ss("t"), oxAttrInts("perm", 0, 2, 3, 1))
	for _, tc := range []struct {
		name        string
		file        []byte
		want        string
		unsupported bool
	}{
		// Slice.
		{"slice step 0", graph(13, oxNode("Slice", ss("c", "zero", "two", "one", "zero"), ss("s")), oxNode("Concat", ss("s", "s"), ss("o"), oxAttrI("axis", 1))), "step 0", false},
		{"slice negative step", graph(13, oxNode("Slice", ss("c", "two", "zero", "one", "neg"), ss("s")), oxNode("Concat", ss("s", "s"), ss("o"), oxAttrI("axis", 1))),
			"step -1; only positive steps are supported", true},
		{"slice huge start", graph(13, oxNode("Slice", ss("c", "big", "big", "one"), ss("o"))), "Slice 9223372036854775807:9223372036854775807 of 4 values on axis 1 selects nothing", true},
		{"slice huge step", graph(13, oxNode("Slice", ss("c", "zero", "big", "one", "big"), ss("s")), oxNode("Concat", ss("s", "s", "s", "s"), ss("o"), oxAttrI("axis", 1))), "", false},
		{"slice height", graph(13, oxNode("Slice", ss("c", "zero", "one", "axis2"), ss("o"))), "Slice of axis 2; only slices of the channel axis, 1, are supported", true},
		{"slice axes repeated", graph(13, oxNode("Slice", ss("c", "zero2", "four2", "axes11"), ss("o"))), "axes [1, 1] are not distinct axes", false},
		{"slice lengths", graph(13, oxNode("Slice", ss("c", "zero2", "one", "axes11"), ss("o"))), "starts, ends, axes and steps have 2, 1, 2 and 0 values", false},
		{"slice axis out of range", graph(13, oxNode("Slice", ss("c", "zero", "one", "four"), ss("o"))), "are not distinct axes of a tensor of rank 4", false},
		{"slice no ends", graph(9, oxNode("Slice", ss("c"), ss("o"), oxAttrInts("starts", 0))), "ends are missing", false},
		// Split.
		{"split sizes", graph(13, oxNode("Split", ss("c", "two"), ss("a", "b"), oxAttrI("axis", 1)), oxNode("Concat", ss("a", "b"), ss("o"), oxAttrI("axis", 1))),
			"split has 1 sizes for 2 outputs", false},
		{"split sum", graph(11, oxNode("Split", ss("c"), ss("a", "b"), oxAttrI("axis", 1), oxAttrInts("split", 1, 2)), oxNode("Concat", ss("a", "b"), ss("o"), oxAttrI("axis", 1))),
			"split [1, 2] does not add up to the 4 channels", false},
		{"split empty part", graph(11, oxNode("Split", ss("c"), ss("a", "b"), oxAttrI("axis", 1), oxAttrInts("split", 0, 4)), oxNode("Concat", ss("a", "b"), ss("o"), oxAttrI("axis", 1))),
			"split [0, 4] of 4 channels: every part must hold 1 to 4", true},
		{"split height", graph(13, oxNode("Split", ss("c"), ss("a", "b"), oxAttrI("axis", 2)), oxNode("Concat", ss("a", "b"), ss("o"), oxAttrI("axis", 2))),
			"axis=2; only the channel axis, 1, is supported", true},
		{"split num_outputs", graph(18, oxNode("Split", ss("c"), ss("a", "b"), oxAttrI("axis", 1), oxAttrI("num_outputs", 3)), oxNode("Concat", ss("a", "b"), ss("o"), oxAttrI("axis", 1))),
			"num_outputs=3 for 2 outputs", false},
		// Reshape.
		{"reshape absurd", graph(13, shape("s", 1, 1<<40, 1<<40), oxNode("Reshape", ss("c", "s"), ss("o"))), "Reshape to [1, 1099511627776, 1099511627776] of a tensor of 16 values", true},
		{"reshape product overflow", graph(13, shape("s", 1, 4, 1<<31, 1<<31, 1<<31), oxNode("Reshape", ss("c", "s"), ss("o"))), "of a tensor of 16 values", true},
		{"reshape two -1", graph(13, shape("s", 1, -1, -1), oxNode("Reshape", ss("c", "s"), ss("o"))), "Reshape to [1, -1, -1] has more than one -1", false},
		{"reshape negative", graph(13, shape("s", 1, -4, -4), oxNode("Reshape", ss("c", "s"), ss("o"))), "Reshape to [1, -4, -4]: dimension 1 is -4", false},
		{"reshape batch", graph(13, shape("s", 2, -1), oxNode("Reshape", ss("c", "s"), ss("o"))), "Reshape to [2, -1] changes the batch axis", true},
		{"reshape not dividing", graph(13, shape("s", 1, 3, -1), oxNode("Reshape", ss("c", "s"), ss("o"))), "Reshape to [1, 3, -1] of a tensor of 16 values", true},
		{"reshape other", graph(13, shape("s", 1, 2, 8), oxNode("Reshape", ss("c", "s"), ss("o"))), "Reshape to [1, 2, 8]; only flattening to [batch, -1] and the channel shuffle's", true},
		{"shuffle step read", graph(13, shape("s", 1, 2, 2, 2, 2), oxNode("Reshape", ss("c", "s"), ss("r")), oxNode("Relu", ss("r"), ss("o"))),
			"reads a step of the channel shuffle", true},
		// Transpose.
		{"transpose repeated axis", graph(13, oxNode("Transpose", ss("c"), ss("o"), oxAttrInts("perm", 0, 1, 1, 2))), "perm [0, 1, 1, 2] is not a permutation of 4 axes", false},
		{"transpose axis out of range", graph(13, oxNode("Transpose", ss("c"), ss("o"), oxAttrInts("perm", 0, 1, 2, 4))), "perm [0, 1, 2, 4] is not a permutation of 4 axes", false},
		{"transpose negative axis", graph(13, oxNode("Transpose", ss("c"), ss("o"), oxAttrInts("perm", 0, -1, 2, 3))), "is not a permutation", false},
		{"transpose rank", graph(13, oxNode("Transpose", ss("c"), ss("o"), oxAttrInts("perm", 0, 2, 1))), "perm [0, 2, 1] has 3 values for a tensor of rank 4", false},
		{"transpose batch", graph(13, oxNode("Transpose", ss("c"), ss("o"), oxAttrInts("perm", 1, 0, 2, 3))), "perm [1, 0, 2, 3] of a tensor of shape [4, 2, 2]; only the Transposes to channels-last", true},
		{"transpose default", graph(13, oxNode("Transpose", ss("c"), ss("o"))), "perm [3, 2, 1, 0]", true},
		{"channels-last conv", graph(13, toLast, oxNode("Conv", ss("t", "cw"), ss("o"))), "reads a channels-last tensor", true},
		{"channels-last global pool", graph(13, toLast, oxNode("GlobalAveragePool", ss("t"), ss("o"))), "reads a channels-last tensor", true},
		{"channels-last activations", graph(13, toLast, oxNode("LeakyRelu", ss("t"), ss("l"), oxAttrF("alpha", 0.1)), oxNode("Elu", ss("l"), ss("e")),
			oxNode("HardSigmoid", ss("e"), ss("h")), oxNode("Tanh", ss("h"), ss("r")), oxNode("Transpose", ss("r"), ss("o"), oxAttrInts("perm", 0, 3, 1, 2))), "", false},
		{"channels-last silu", graph(13, toLast, oxNode("Sigmoid", ss("t"), ss("s")), oxNode("Mul", ss("t", "s"), ss("m")), oxNode("Relu", ss("m"), ss("r")),
			oxNode("Clip", ss("r", "zerof", "sixf"), ss("l")), oxNode("Transpose", ss("l"), ss("o"), oxAttrInts("perm", 0, 3, 1, 2))), "", false},
		{"silu across layouts", graph(13, toLast, oxNode("Sigmoid", ss("c"), ss("s")), oxNode("Mul", ss("t", "s"), ss("m")),
			oxNode("Transpose", ss("m"), ss("o"), oxAttrInts("perm", 0, 3, 1, 2))), "reads a channels-last tensor", true},
		{"add across layouts", graph(13, toLast, oxNode("Transpose", ss("t"), ss("b"), oxAttrInts("perm", 0, 3, 1, 2)), oxNode("Add", ss("t", "b"), ss("o"))),
			"Add of shapes [2, 2, 4] and [4, 2, 2]", true},
		{"channels-last output", graph(13, toLast, oxNode("Relu", ss("t"), ss("o")), oxNode("Flatten", ss("o"), ss("f"))), "reads a channels-last tensor", true},
		// Shape arithmetic.
		{"shape overflow", graph(13, oxNode("Shape", ss("c"), ss("s")), oxNode("Gather", ss("s", "one"), ss("ch")), oxNode("Mul", ss("ch", "huge"), ss("m")),
			oxNode("Slice", ss("c", "zero", "m", "one"), ss("o"))), "Mul of 4 and 4611686018427387904 overflows", true},
		{"shape division by zero", graph(13, oxNode("Shape", ss("c"), ss("s")), oxNode("Gather", ss("s", "one"), ss("ch")), oxNode("Div", ss("ch", "zero"), ss("m")),
			oxNode("Slice", ss("c", "zero", "m", "one"), ss("o"))), "division by zero", false},
		{"shape batch arithmetic", graph(13, oxNode("Shape", ss("c"), ss("s")), oxNode("Gather", ss("s", "zero"), ss("n")), oxNode("Add", ss("n", "one"), ss("m")),
			oxNode("Slice", ss("c", "zero", "m", "one"), ss("o"))), "Add of the batch size", true},
		{"cast of a tensor", graph(13, oxNode("Cast", ss("c"), ss("o"), oxAttrI("to", 1))), "Cast to type 1; only Cast of a shape computation", true},
		// LayerNorm, MatMul and the per-channel Mul.
		{"layernorm over C, H, W", graph(17, oxNode("LayerNormalization", ss("c", "g4"), ss("o"), oxAttrI("axis", 1))),
			"axis=1 of a tensor of shape [4, 2, 2]; only LayerNorm over the channels", true},
		{"layernorm of width", graph(17, oxNode("LayerNormalization", ss("c", "g4"), ss("o"))), "axis=3 of a tensor of shape [4, 2, 2]", true},
		{"layernorm epsilon", graph(17, toLast, oxNode("LayerNormalization", ss("t", "g4"), ss("l"), oxAttrF("epsilon", 0)), oxNode("Transpose", ss("l"), ss("o"), oxAttrInts("perm", 0, 3, 1, 2))),
			"epsilon 0; want a positive number", true},
		{"layernorm scale dims", graph(17, toLast, oxNode("LayerNormalization", ss("t", "w48"), ss("l")), oxNode("Transpose", ss("l"), ss("o"), oxAttrInts("perm", 0, 3, 1, 2))),
			"input 1 has dims [4 8], want one value per channel, [4]", false},
		{"pow alone", graph(13, oxNode("Pow", ss("c", "twof"), ss("o"))), "Pow is supported only as part of LayerNorm", true},
		{"pow of 3", graph(13, toLast, oxNode("ReduceMean", ss("t"), ss("m"), oxAttrInts("axes", -1)), oxNode("Sub", ss("t", "m"), ss("d")), oxNode("Pow", ss("d", "threef"), ss("o"))),
			"Pow is supported only as part of LayerNorm", true},
		{"sqrt alone", graph(13, oxNode("Sqrt", ss("c"), ss("o"))), "Sqrt is supported only as part of LayerNorm", true},
		{"centered read", graph(13, toLast, oxNode("ReduceMean", ss("t"), ss("m"), oxAttrInts("axes", -1)), oxNode("Sub", ss("t", "m"), ss("d")),
			oxNode("Transpose", ss("d"), ss("o"), oxAttrInts("perm", 0, 3, 1, 2))), "reads x − mean, which is supported only as part of LayerNorm", true},
		{"sub of tensors", graph(13, oxNode("Relu", ss("c"), ss("r")), oxNode("Sub", ss("c", "r"), ss("o"))), "Sub of two computed tensors; only LayerNorm's", true},
		{"matmul channels", graph(13, toLast, oxNode("MatMul", ss("t", "w38"), ss("m")), oxNode("Transpose", ss("m"), ss("o"), oxAttrInts("perm", 0, 3, 1, 2))),
			"weight dims [3 8] for a channels-last input of 4 channels", true},
		{"matmul of width", graph(13, oxNode("MatMul", ss("c", "w48"), ss("o"))), "input shape [4 2 2]; want a flat [batch, N] input", true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDecode(t, tc.file, tc.want, tc.unsupported, true)
		})
	}
}
