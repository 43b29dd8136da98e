package model

import (
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
	"google.golang.org/protobuf/encoding/protowire"
)

// -update rewrites the files in testdata/onnx. Other test files of the
// package may define the same flag; the first definition wins.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func oxUpdating() bool {
	return flag.Lookup("update").Value.(flag.Getter).Get().(bool)
}

const (
	onnxDir = "testdata/onnx"
)

// A tiny protobuf encoder for hand-built ONNX files. Field numbers are
// those of onnx.proto, as in onnx_proto.go.

type oxMsg []byte

func (m oxMsg) int(num protowire.Number, v int64) oxMsg {
	m = protowire.AppendTag(m, num, protowire.VarintType)
	return protowire.AppendVarint(m, uint64(v))
}

func (m oxMsg) bytes(num protowire.Number, b []byte) oxMsg {
	m = protowire.AppendTag(m, num, protowire.BytesType)
	return protowire.AppendBytes(m, b)
}

func (m oxMsg) str(num protowire.Number, s string) oxMsg { return m.bytes(num, []byte(s)) }

func (m oxMsg) f32(num protowire.Number, v float32) oxMsg {
	m = protowire.AppendTag(m, num, protowire.Fixed32Type)
	return protowire.AppendFixed32(m, math.Float32bits(v))
}

func oxDims(name string, dtype int64, dims []int64) oxMsg {
	var t oxMsg
	for _, d := range dims {
		t = t.int(1, d)
	}
	return t.int(2, dtype).str(8, name)
}

// oxTensor is a float32 tensor in raw_data.
func oxTensor(name string, dims []int64, v []float32) oxMsg {
	raw := make([]byte, 4*len(v))
	for k, x := range v {
		binary.LittleEndian.PutUint32(raw[4*k:], math.Float32bits(x))
	}
	return oxDims(name, onnxFloat, dims).bytes(9, raw)
}

// oxTensorTyped is a float32 tensor in float_data (packed).
func oxTensorTyped(name string, dims []int64, v []float32) oxMsg {
	var p []byte
	for _, x := range v {
		p = protowire.AppendFixed32(p, math.Float32bits(x))
	}
	return oxDims(name, onnxFloat, dims).bytes(4, p)
}

// oxTensorF16 is a float16 tensor in raw_data.
func oxTensorF16(name string, dims []int64, v []float32) oxMsg {
	raw := make([]byte, 2*len(v))
	for k, x := range v {
		binary.LittleEndian.PutUint16(raw[2*k:], float16.Fromfloat32(x).Bits())
	}
	return oxDims(name, onnxFloat16, dims).bytes(9, raw)
}

// oxInts is an int64 tensor in int64_data (unpacked).
func oxInts(name string, dims []int64, v ...int64) oxMsg {
	t := oxDims(name, onnxInt64, dims)
	for _, x := range v {
		t = t.int(7, x)
	}
	return t
}

func oxAttrI(name string, v int64) oxMsg { return oxMsg{}.str(1, name).int(20, attrInt).int(3, v) }
func oxAttrF(name string, v float32) oxMsg {
	return oxMsg{}.str(1, name).int(20, attrFloat).f32(2, v)
}
func oxAttrS(name, v string) oxMsg { return oxMsg{}.str(1, name).int(20, attrString).str(4, v) }
func oxAttrT(name string, t oxMsg) oxMsg {
	return oxMsg{}.str(1, name).int(20, attrTensor).bytes(5, t)
}
func oxAttrInts(name string, v ...int64) oxMsg {
	a := oxMsg{}.str(1, name).int(20, attrInts)
	for _, x := range v {
		a = a.int(8, x)
	}
	return a
}

// oxNode is a node named after its op and first output.
func oxNode(op string, ins, outs []string, attrs ...oxMsg) oxMsg {
	n := oxMsg{}
	for _, s := range ins {
		n = n.str(1, s)
	}
	for _, s := range outs {
		n = n.str(2, s)
	}
	n = n.str(3, op+"_"+outs[0]).str(4, op)
	for _, a := range attrs {
		n = n.bytes(5, a)
	}
	return n
}

// oxValue is a float tensor value info; dims are ints or dim_param strings.
func oxValue(name string, dims ...any) oxMsg {
	var shape oxMsg
	for _, d := range dims {
		switch d := d.(type) {
		case int:
			shape = shape.bytes(1, oxMsg{}.int(1, int64(d)))
		case string:
			shape = shape.bytes(1, oxMsg{}.str(2, d))
		}
	}
	tt := oxMsg{}.int(1, onnxFloat).bytes(2, shape)
	return oxMsg{}.str(1, name).bytes(2, oxMsg{}.bytes(1, tt))
}

type oxGraph struct {
	opset   int64
	nodes   []oxMsg
	inits   []oxMsg
	inputs  []oxMsg // default: x of shape [batch, 1, 4, 4]
	outputs []oxMsg // default: y
}

func (g oxGraph) bytes() []byte {
	b := oxMsg{}.str(2, "test")
	for _, n := range g.nodes {
		b = b.bytes(1, n)
	}
	for _, t := range g.inits {
		b = b.bytes(5, t)
	}
	if g.inputs == nil {
		g.inputs = []oxMsg{oxValue("x", "batch", 1, 4, 4)}
	}
	if g.outputs == nil {
		g.outputs = []oxMsg{oxValue("y", "batch", 2)}
	}
	for _, v := range g.inputs {
		b = b.bytes(11, v)
	}
	for _, v := range g.outputs {
		b = b.bytes(12, v)
	}
	if g.opset == 0 {
		g.opset = 13
	}
	return oxMsg{}.int(1, 7).str(2, "oxtest").bytes(7, b).bytes(8, oxMsg{}.str(1, "").int(2, g.opset))
}

func ss(s ...string) []string { return s }

func oxSeq(n int, scale, off float32) []float32 {
	v := make([]float32, n)
	for k := range v {
		v[k] = off + scale*float32((k*7)%11-5)
	}
	return v
}

func oxDecode(t testing.TB, b []byte) *File {
	t.Helper()
	f, err := DecodeONNX(b)
	require.NoError(t, err)
	return f
}

func oxKinds(m *lrp.Model) string {
	var s []string
	for _, n := range m.Nodes {
		s = append(s, n.Layer.Kind().String())
	}
	return strings.Join(s, " ")
}

func oxForward(t testing.TB, m *lrp.Model, x []float32) []float32 {
	t.Helper()
	y, err := m.Forward(x)
	require.NoError(t, err)
	return y
}

func oxMaxDiff(a, b []float32) float64 {
	if len(a) != len(b) {
		return math.Inf(1)
	}
	d := 0.0
	for k := range a {
		d = max(d, math.Abs(float64(a[k])-float64(b[k])))
	}
	return d
}

// oxFlatHead is Flatten → Gemm(16→2) on a [1][4][4] tensor named in,
// producing y, for the hand-built convolutional graphs.
func oxFlatHead(in string) ([]oxMsg, []oxMsg) {
	return []oxMsg{
			oxNode("Flatten", ss(in), ss("flat"), oxAttrI("axis", 1)),
			oxNode("Gemm", ss("flat", "hw", "hb"), ss("y"), oxAttrI("transB", 1)),
		}, []oxMsg{
			oxTensor("hw", []int64{2, 16}, oxSeq(32, 0.1, 0)),
			oxTensor("hb", []int64{2}, []float32{0.5, -0.25}),
		}
}

// oxDenseRef is y = W·x + b for W in [Out][In].
func oxDenseRef(w, b, x []float32) []float32 {
	y := slices.Clone(b)
	for o := range y {
		for i := range x {
			y[o] += w[o*len(x)+i] * x[i]
		}
	}
	return y
}

func TestDecodeONNXGemm(t *testing.T) {
	// Gemm(x, B, C) with alpha 2, beta 0.5, B stored [In, Out] (transB = 0).
	B := oxSeq(6, 0.25, 0.1) // [3][2]
	C := []float32{1, -2}
	b := oxGraph{
		inputs: []oxMsg{oxValue("x", "N", 3)},
		nodes:  []oxMsg{oxNode("Gemm", ss("x", "B", "C"), ss("y"), oxAttrF("alpha", 2), oxAttrF("beta", 0.5), oxAttrI("transB", 0))},
		inits:  []oxMsg{oxTensorTyped("B", []int64{3, 2}, B), oxTensor("C", []int64{2}, C)},
	}.bytes()
	f := oxDecode(t, b)
	require.Equal(t, "dense", oxKinds(f.Model), "layers")
	x := []float32{0.5, -1, 2}
	var want []float32
	for o := 0; o < 2; o++ {
		s := float32(0)
		for i := 0; i < 3; i++ {
			s += x[i] * B[i*2+o]
		}
		want = append(want, 2*s+0.5*C[o])
	}
	assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, x), want), 1e-6, "max diff")
	assert.Equal(t, "onnx", f.Format, "format")
	assert.Equal(t, "F32", f.DType, "dtype")
	assert.Equal(t, "13", f.Card["opset"], "card %v", f.Card)
	assert.Equal(t, "oxtest", f.Card["producer"], "card %v", f.Card)
}

func TestDecodeONNXMatMulAdd(t *testing.T) {
	W := oxSeq(6, 0.5, 0) // [3][2]: MatMul weights are [In, Out]
	bias := []float32{0.25, 4}
	for _, f16 := range []bool{false, true} {
		w := oxTensor("W", []int64{3, 2}, W)
		if f16 {
			w = oxTensorF16("W", []int64{3, 2}, W)
		}
		f := oxDecode(t, oxGraph{
			// Older exporters list the initializers among the graph inputs.
			inputs: []oxMsg{oxValue("W", 3, 2), oxValue("x", 1, 3), oxValue("b", 2)},
			nodes: []oxMsg{
				oxNode("MatMul", ss("x", "W"), ss("h")),
				oxNode("Dropout", ss("h"), ss("hd", "mask"), oxAttrF("ratio", 0.5)),
				oxNode("Add", ss("b", "hd"), ss("y")), // constant first: Add commutes
			},
			inits: []oxMsg{w, oxTensor("b", []int64{2}, bias)},
		}.bytes())
		require.Equal(t, "dense", oxKinds(f.Model), "layers")
		d := f.Model.Nodes[0].Layer.(*lrp.Dense)
		wt := []float32{W[0], W[2], W[4], W[1], W[3], W[5]}
		assert.Equal(t, wt, d.W, "f16 %v: W", f16)
		assert.Equal(t, bias, d.B, "f16 %v: B", f16)
		assert.Equal(t, map[bool]string{false: "F32", true: "F16"}[f16], f.DType, "dtype")
	}
}

// TestDecodeONNXReLU6 covers Clip(0, 6) with inputs (opset 13) and with
// attributes (opset 6), Min/Max in both orders, and Clip(0) as ReLU.
func TestDecodeONNXReLU6(t *testing.T) {
	conv := oxNode("Conv", ss("x", "cw"), ss("c"), oxAttrInts("pads", 1, 1, 1, 1))
	cw := oxTensor("cw", []int64{1, 1, 3, 3}, oxSeq(9, 1, 0.5))
	zero, six := oxTensor("zero", nil, []float32{0}), oxTensor("six", nil, []float32{6})
	head, hinit := oxFlatHead("r")
	for _, c := range []struct {
		name  string
		opset int64
		nodes []oxMsg
		want  string
	}{
		{"clip inputs", 13, []oxMsg{oxNode("Clip", ss("c", "zero", "six"), ss("r"))}, "relu6"},
		{"clip attrs", 6, []oxMsg{oxNode("Clip", ss("c"), ss("r"), oxAttrF("min", 0), oxAttrF("max", 6))}, "relu6"},
		{"clip min only", 13, []oxMsg{oxNode("Clip", ss("c", "zero"), ss("r"))}, "relu"},
		{"max then min", 13, []oxMsg{oxNode("Max", ss("c", "zero"), ss("m")), oxNode("Min", ss("m", "six"), ss("r"))}, "relu6"},
		{"min then max", 13, []oxMsg{oxNode("Min", ss("six", "c"), ss("m")), oxNode("Max", ss("zero", "m"), ss("r"))}, "relu6"},
		{"relu", 13, []oxMsg{oxNode("Relu", ss("c"), ss("r"))}, "relu"},
	} {
		t.Run(c.name, func(t *testing.T) {
			f := oxDecode(t, oxGraph{
				opset: c.opset,
				nodes: append(append([]oxMsg{conv}, c.nodes...), head...),
				inits: append([]oxMsg{cw, zero, six}, hinit...),
			}.bytes())
			assert.Equal(t, "conv2d "+c.want+" flatten dense", oxKinds(f.Model), "layers")
		})
	}
}

// TestDecodeONNXPadAvgPool checks that a zero Pad folds into the next
// AveragePool, whose average then counts the padded zeros.
func TestDecodeONNXPadAvgPool(t *testing.T) {
	head, hinit := oxFlatHead("p")
	f := oxDecode(t, oxGraph{
		inputs: []oxMsg{oxValue("x", "batch", 1, 6, 6)},
		nodes: append([]oxMsg{
			oxNode("Pad", ss("x", "pads"), ss("xp"), oxAttrS("mode", "constant")),
			oxNode("AveragePool", ss("xp"), ss("p"), oxAttrInts("kernel_shape", 2, 2), oxAttrInts("strides", 2, 2)),
		}, head...),
		inits: append([]oxMsg{oxInts("pads", []int64{8}, 0, 0, 1, 1, 0, 0, 1, 1)}, hinit...),
	}.bytes())
	require.Equal(t, "avgpool2d flatten dense", oxKinds(f.Model), "layers")
	l := f.Model.Nodes[0].Layer.(*lrp.AvgPool2D)
	assert.Equal(t, lrp.AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, CountIncludePad: true}, *l, "pool")
	// Forward: pooled[i][j] is the sum of the in-range pixels of the window
	// rows 2i-1..2i, columns 2j-1..2j, divided by 4.
	x := oxSeq(36, 0.1, 0.3)
	pooled := make([]float32, 16)
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
			for u := 2*i - 1; u <= 2*i; u++ {
				for v := 2*j - 1; v <= 2*j; v++ {
					if u >= 0 && u < 6 && v >= 0 && v < 6 {
						pooled[i*4+j] += x[u*6+v] / 4
					}
				}
			}
		}
	}
	want := oxDenseRef(oxSeq(32, 0.1, 0), []float32{0.5, -0.25}, pooled)
	assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, x), want), 1e-5, "max diff")
}

func TestDecodeONNXNormalization(t *testing.T) {
	mean := []float32{0.485, 0.456, 0.406}
	std := []float32{0.229, 0.224, 0.225}
	f := oxDecode(t, oxGraph{
		inputs: []oxMsg{oxValue("x", "batch", 3, 4, 4)},
		nodes: []oxMsg{
			oxNode("Sub", ss("x", "mean"), ss("xs")),
			oxNode("Div", ss("xs", "std"), ss("xn")),
			oxNode("Conv", ss("xn", "cw", "cb"), ss("c")),
			oxNode("GlobalAveragePool", ss("c"), ss("g")),
			oxNode("Flatten", ss("g"), ss("y")),
		},
		inits: []oxMsg{
			oxTensor("mean", []int64{1, 3, 1, 1}, mean),
			oxTensor("std", []int64{3, 1, 1}, std),
			oxTensor("cw", []int64{2, 3, 1, 1}, oxSeq(6, 1, 0)),
			oxTensor("cb", []int64{2}, []float32{1, 2}),
		},
	}.bytes())
	in := f.Model.Input
	for c := range mean {
		assert.LessOrEqual(t, math.Abs(float64(in.Mean[c]-mean[c])), 1e-7, "channel %d: mean %v, want %v", c, in.Mean[c], mean[c])
		assert.LessOrEqual(t, math.Abs(float64(in.Std[c]-std[c])), 1e-7, "channel %d: std %v, want %v", c, in.Std[c], std[c])
	}
	assert.Equal(t, float32(0), in.Low, "input %+v", in)
	assert.Equal(t, float32(1), in.High, "input %+v", in)
	assert.Equal(t, "conv2d global_avgpool2d flatten", oxKinds(f.Model), "layers")
}

func TestDecodeONNXSoftmaxStripped(t *testing.T) {
	for _, op := range []string{"Softmax", "LogSoftmax"} {
		f := oxDecode(t, oxGraph{
			inputs: []oxMsg{oxValue("x", "batch", 3)},
			nodes: []oxMsg{
				oxNode("Gemm", ss("x", "w", "b"), ss("z"), oxAttrI("transB", 1)),
				oxNode(op, ss("z"), ss("p"), oxAttrI("axis", 1)),
				oxNode("Identity", ss("p"), ss("y")),
			},
			inits: []oxMsg{oxTensor("w", []int64{2, 3}, oxSeq(6, 1, 0)), oxTensor("b", []int64{2}, []float32{1, 2})},
		}.bytes())
		assert.Equal(t, "dense", oxKinds(f.Model), "%s: layers", op)
		assert.Equal(t, "stripped", f.Card["softmax"], "%s: card %v", op, f.Card)
	}
}

// TestDecodeONNXResidual builds y = head(relu(conv2(relu(conv1(x))) + relu(conv1(x)))).
func TestDecodeONNXResidual(t *testing.T) {
	head, hinit := oxFlatHead("s")
	f := oxDecode(t, oxGraph{
		nodes: append([]oxMsg{
			oxNode("Conv", ss("x", "w1", "b1"), ss("c1"), oxAttrInts("pads", 1, 1, 1, 1)),
			oxNode("Relu", ss("c1"), ss("r1")),
			oxNode("Conv", ss("r1", "w2"), ss("c2"), oxAttrInts("pads", 1, 1, 1, 1), oxAttrInts("kernel_shape", 3, 3)),
			oxNode("Add", ss("c2", "b2"), ss("c2b")), // a bias Add after a Conv without bias
			oxNode("Add", ss("c2b", "r1"), ss("a")),
			oxNode("Relu", ss("a"), ss("s")),
		}, head...),
		inits: append([]oxMsg{
			oxTensor("w1", []int64{1, 1, 3, 3}, oxSeq(9, 0.3, 0.1)), oxTensor("b1", []int64{1}, []float32{0.1}),
			oxTensor("w2", []int64{1, 1, 3, 3}, oxSeq(9, -0.2, 0.05)), oxTensor("b2", []int64{1, 1, 1}, []float32{-0.3}),
		}, hinit...),
	}.bytes())
	m := f.Model
	require.Equal(t, "conv2d relu conv2d add relu flatten dense", oxKinds(m), "layers")
	assert.Equal(t, []int{2, 1}, m.Nodes[3].Inputs, "add reads")
	assert.Equal(t, []float32{-0.3}, m.Nodes[2].Layer.(*lrp.Conv2D).B, "conv2 bias")
}

// TestDecodeONNXBatchNorm checks that a BatchNormalization node is kept
// after the Conv before it and computes the same as the reference layers.
func TestDecodeONNXBatchNorm(t *testing.T) {
	head, hinit := oxFlatHead("r")
	w := oxSeq(9, 0.3, 0.1)
	bn := [4][]float32{{1.5}, {0.25}, {0.2}, {0.8}} // scale, B, mean, var
	f := oxDecode(t, oxGraph{
		nodes: append([]oxMsg{
			oxNode("Conv", ss("x", "w"), ss("c"), oxAttrInts("pads", 1, 1, 1, 1)),
			oxNode("BatchNormalization", ss("c", "s", "bb", "m", "v"), ss("n"), oxAttrF("epsilon", 1e-3)),
			oxNode("Relu", ss("n"), ss("r")),
		}, head...),
		inits: append([]oxMsg{
			oxTensor("w", []int64{1, 1, 3, 3}, w),
			oxTensor("s", []int64{1}, bn[0]), oxTensor("bb", []int64{1}, bn[1]),
			oxTensor("m", []int64{1}, bn[2]), oxTensor("v", []int64{1}, bn[3]),
		}, hinit...),
	}.bytes())
	require.Equal(t, "conv2d batchnorm2d relu flatten dense", oxKinds(f.Model), "layers")
	ref, err := lrp.NewModel("ref", lrp.InputSpec{Shape: []int{1, 4, 4}, Low: 0, High: 1}, []lrp.Node{
		{Layer: &lrp.Conv2D{InC: 1, OutC: 1, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, PL: 1, PB: 1, PR: 1, Groups: 1, W: w}, Inputs: []int{lrp.Input}},
		{Layer: &lrp.BatchNorm{Gamma: bn[0], Beta: bn[1], Mean: bn[2], Var: bn[3], Eps: 1e-3}, Inputs: []int{0}},
		{Layer: &lrp.ReLU{}, Inputs: []int{1}},
		{Layer: &lrp.Flatten{}, Inputs: []int{2}},
		{Layer: &lrp.Dense{In: 16, Out: 2, W: oxSeq(32, 0.1, 0), B: []float32{0.5, -0.25}}, Inputs: []int{3}},
	}, nil)
	require.NoError(t, err)
	x := oxSeq(16, 0.1, 0.5)
	assert.LessOrEqual(t, oxMaxDiff(oxForward(t, f.Model, x), oxForward(t, ref, x)), 1e-5, "max diff to the unfolded model")
}

// TestDecodeONNXReshapeFlatten covers x.view(x.size(0), -1) as PyTorch
// exports it: Shape → Gather → Unsqueeze → Concat → Reshape.
func TestDecodeONNXReshapeFlatten(t *testing.T) {
	for _, opset := range []int64{11, 13} {
		unsq := oxNode("Unsqueeze", ss("n", "axes"), ss("nv"))
		if opset < 13 {
			unsq = oxNode("Unsqueeze", ss("n"), ss("nv"), oxAttrInts("axes", 0))
		}
		f := oxDecode(t, oxGraph{
			opset: opset,
			nodes: []oxMsg{
				oxNode("Relu", ss("x"), ss("r")),
				oxNode("Shape", ss("r"), ss("s")),
				oxNode("Constant", nil, ss("zero"), oxAttrT("value", oxInts("", nil, 0))),
				oxNode("Gather", ss("s", "zero"), ss("n"), oxAttrI("axis", 0)),
				unsq,
				oxNode("Concat", ss("nv", "minus1"), ss("shape"), oxAttrI("axis", 0)),
				oxNode("Reshape", ss("r", "shape"), ss("flat")),
				oxNode("Gemm", ss("flat", "hw", "hb"), ss("y"), oxAttrI("transB", 1)),
			},
			inits: []oxMsg{
				oxInts("axes", []int64{1}, 0), oxInts("minus1", []int64{1}, -1),
				oxTensor("hw", []int64{2, 16}, oxSeq(32, 0.1, 0)), oxTensor("hb", []int64{2}, []float32{0.5, -0.25}),
			},
		}.bytes())
		assert.Equal(t, "relu flatten dense", oxKinds(f.Model), "opset %d: layers", opset)
	}
}

// oxCases is the part of NAME.cases.json that the ONNX tests use.
type oxCases struct {
	Inputs [][]float32 `json:"inputs"`
	Logits [][]float32 `json:"logits"`
}

// TestDecodeONNXFixtures checks that each fixture ONNX file decodes to the
// layers of NAME.layers.json (BatchNorm folded, as the exporter does) and
// reproduces the PyTorch logits.
func TestDecodeONNXFixtures(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "cnn_bn"} {
		t.Run(name, func(t *testing.T) {
			f := oxDecode(t, refdata.Read(t, name+".onnx"))
			want, err := DecodeLayersJSON(name, refdata.Read(t, name+".layers.json"))
			require.NoError(t, err)
			_, err = want.FoldBatchNorm()
			require.NoError(t, err)
			require.Equal(t, oxKinds(want), oxKinds(f.Model), "layers")
			for i, n := range f.Model.Nodes {
				assert.Empty(t, oxSameLayer(n.Layer, want.Nodes[i].Layer), "layer %d (%s)", i, n.Name)
				assert.Equal(t, want.Nodes[i].Inputs, n.Inputs, "layer %d reads", i)
			}
			assert.Equal(t, want.Input.Shape, f.Model.Input.Shape, "input %+v, want %+v", f.Model.Input, want.Input)
			assert.Nil(t, f.Model.Input.Mean, "input %+v, want %+v", f.Model.Input, want.Input)

			var cases oxCases
			require.NoError(t, json.Unmarshal(refdata.Read(t, name+".cases.json"), &cases))
			worst := 0.0
			for k, x := range cases.Inputs {
				worst = max(worst, oxMaxDiff(oxForward(t, f.Model, x), cases.Logits[k]))
			}
			t.Logf("%s: max |logit − PyTorch| over %d inputs: %.3g", name, len(cases.Inputs), worst)
			assert.LessOrEqual(t, worst, 1e-4, "max logit difference")
			assert.Len(t, cases.Inputs, 10, "inputs")
		})
	}
}

// oxSameLayer compares two layers: geometry exactly, weights within 1e-5
// relative (PyTorch folded BatchNorm into the ONNX file in its own order of
// operations).
func oxSameLayer(a, b lrp.Layer) string {
	close := func(x, y []float32) bool {
		if len(x) != len(y) {
			return false
		}
		for k := range x {
			if math.Abs(float64(x[k]-y[k])) > 1e-5*max(1, math.Abs(float64(y[k]))) {
				return false
			}
		}
		return true
	}
	switch a := a.(type) {
	case *lrp.Conv2D:
		b := b.(*lrp.Conv2D)
		x, y := *a, *b
		x.W, x.B, y.W, y.B = nil, nil, nil, nil
		if fmt.Sprint(x) != fmt.Sprint(y) || !close(a.W, b.W) || !close(a.B, b.B) {
			return fmt.Sprintf("conv %+v, want %+v (or weights differ)", x, y)
		}
	case *lrp.Dense:
		b := b.(*lrp.Dense)
		if a.In != b.In || a.Out != b.Out || !close(a.W, b.W) || !close(a.B, b.B) {
			return fmt.Sprintf("dense %d→%d, want %d→%d (or weights differ)", a.In, a.Out, b.In, b.Out)
		}
	case *lrp.AvgPool2D:
		x, y := *a, *b.(*lrp.AvgPool2D)
		if x.PT+x.PL+x.PB+x.PR == 0 { // no padding: the divisor is the window either way
			x.CountIncludePad = y.CountIncludePad
		}
		if x != y {
			return fmt.Sprintf("%+v, want %+v", x, y)
		}
	default:
		if fmt.Sprint(a) != fmt.Sprint(b) {
			return fmt.Sprintf("%+v, want %+v", a, b)
		}
	}
	return ""
}

// oxValidSeeds are the hand-built models of the tests above, as fuzz seeds.
func oxValidSeeds() [][]byte {
	head, hinit := oxFlatHead("r")
	return [][]byte{
		oxGraph{
			nodes: append([]oxMsg{
				oxNode("Sub", ss("x", "m"), ss("xs")),
				oxNode("Pad", ss("xs", "pads"), ss("xp")),
				oxNode("Conv", ss("xp", "w"), ss("c")),
				oxNode("BatchNormalization", ss("c", "s", "s", "s", "s"), ss("n")),
				oxNode("Clip", ss("n", "zero", "six"), ss("r")),
			}, head...),
			inits: append([]oxMsg{
				oxTensor("m", nil, []float32{0.5}), oxInts("pads", []int64{8}, 0, 0, 1, 1, 0, 0, 1, 1),
				oxTensorF16("w", []int64{1, 1, 3, 3}, oxSeq(9, 0.3, 0.1)), oxTensorTyped("s", []int64{1}, []float32{1}),
				oxTensor("zero", nil, []float32{0}), oxTensor("six", nil, []float32{6}),
			}, hinit...),
		}.bytes(),
		oxGraph{
			inputs: []oxMsg{oxValue("x", "N", 3)},
			nodes: []oxMsg{
				oxNode("MatMul", ss("x", "W"), ss("h")),
				oxNode("Add", ss("h", "b"), ss("z")),
				oxNode("Softmax", ss("z"), ss("y")),
			},
			inits: []oxMsg{oxTensor("W", []int64{3, 2}, oxSeq(6, 1, 0)), oxTensor("b", []int64{2}, []float32{1, 2})},
		}.bytes(),
		// The operators of issue 19: SiLU, GELU and HardSwish patterns,
		// the native activations, a gate, a Concat, ReduceMean and
		// pooling in ceil mode.
		oxAct(13, oxNode("Sigmoid", ss("h"), ss("s")), oxNode("Mul", ss("h", "s"), ss("m")),
			oxNode("Div", ss("m", "sqrt2"), ss("d")), oxNode("Erf", ss("d"), ss("e")), oxNode("Add", ss("e", "one"), ss("p")),
			oxNode("Mul", ss("m", "p"), ss("q")), oxNode("Mul", ss("q", "half"), ss("g")),
			oxNode("HardSigmoid", ss("g"), ss("hs"), oxAttrF("alpha", 1.0/6)), oxNode("Mul", ss("g", "hs"), ss("a"))),
		oxAct(20, oxNode("Gelu", ss("h"), ss("g")), oxNode("LeakyRelu", ss("g"), ss("l")), oxNode("Elu", ss("l"), ss("e")),
			oxNode("Tanh", ss("e"), ss("t")), oxNode("HardSwish", ss("t"), ss("a"))),
		oxGraph{inputs: []oxMsg{oxValue("x", "batch", 2, 5, 5)}, nodes: []oxMsg{
			oxNode("Conv", ss("x", "cw"), ss("c")),
			oxNode("ReduceMean", ss("c"), ss("r"), oxAttrInts("axes", 2, 3)),
			oxNode("Sigmoid", ss("r"), ss("g")),
			oxNode("Mul", ss("g", "c"), ss("m")),
			oxNode("Concat", ss("m", "x"), ss("cat"), oxAttrI("axis", 1)),
			oxNode("MaxPool", ss("cat"), ss("p"), oxAttrInts("kernel_shape", 2, 2), oxAttrInts("strides", 2, 2), oxAttrI("ceil_mode", 1)),
			oxNode("ReduceMean", ss("p"), ss("f"), oxAttrInts("axes", -2, -1), oxAttrI("keepdims", 0)),
			oxNode("Gemm", ss("f", "hw", "hb"), ss("y"), oxAttrI("transB", 1)),
		}, inits: []oxMsg{oxTensor("cw", []int64{2, 2, 1, 1}, oxSeq(4, 0.5, 0.1)), oxTensor("hw", []int64{2, 4}, oxSeq(8, 0.3, 0)), oxTensor("hb", []int64{2}, []float32{1, -1})}}.bytes(),
		// ShuffleNetV2's unit (a channel split whose sizes a shape
		// computation gives, a shuffle) and ConvNeXt's block
		// (channels-last LayerNorm and Linear layers, a layer scale that
		// folds and one that stays) at opsets 13 and 17.
		oxShuffleUnit(),
		oxConvNeXt(13, []float32{0.5, 1.25, 2, 0.75}),
		oxConvNeXt(17, []float32{0.5, -1.25, 2, 0.75}),
	}
}

// An oxInvalidCase is one file of testdata/onnx/invalid-*.onnx: how to
// make it and the error it must give.
type oxInvalidCase struct {
	name        string
	make        func(t testing.TB, seed []byte) []byte
	want        string
	unsupported bool
}

// oxSimple is a valid one-layer model whose parts the invalid cases vary.
func oxSimple(nodes []oxMsg, inits ...oxMsg) []byte {
	return oxGraph{inputs: []oxMsg{oxValue("x", "batch", 3)}, nodes: nodes, inits: inits}.bytes()
}

func oxGemm(in, out string) oxMsg {
	return oxNode("Gemm", ss(in, "w", "b"), ss(out), oxAttrI("transB", 1))
}

var (
	oxW = oxTensor("w", []int64{2, 3}, oxSeq(6, 1, 0))
	oxB = oxTensor("b", []int64{2}, []float32{1, 2})
)

func oxConst(b []byte) func(testing.TB, []byte) []byte {
	return func(testing.TB, []byte) []byte { return b }
}

func oxTruncate(n int) func(testing.TB, []byte) []byte {
	return func(t testing.TB, seed []byte) []byte { return seed[:min(n, len(seed)-1)] }
}

var oxInvalidCases = []oxInvalidCase{
	{"empty", oxConst(nil), "empty file", false},
	{"random", func(testing.TB, []byte) []byte {
		b := make([]byte, 512)
		r := rand.New(rand.NewPCG(3, 4))
		for k := range b {
			b[k] = byte(r.Uint32())
		}
		return b
	}, "invalid format", false},
	{"text", oxConst([]byte("this is not an ONNX file\n")), "invalid format", false},
	{"truncated-10", oxTruncate(10), "runs past the end", false},
	{"truncated-100", oxTruncate(100), "runs past the end", false},
	{"truncated-1000", oxTruncate(1000), "runs past the end", false},
	{"truncated-5000", oxTruncate(5000), "runs past the end", false},
	{"truncated-last-byte", oxTruncate(1 << 30), "runs past the end", false},
	{"long-varint", oxConst(append([]byte{0x08}, slices.Repeat([]byte{0xff}, 11)...)), "variable length integer overflow", false},
	{"length-past-end", oxConst(append(oxMsg{}.int(1, 7), 0x3a, 0xff, 0xff, 0x03, 0x0a)), "runs past the end", false},
	{"nested-length-past-end", oxConst(oxMsg{}.bytes(7, []byte{0x0a, 0x40, 0x01})), "runs past the end", false},
	{"wire-type", oxConst(oxMsg{}.int(7, 5)), "wire type", false},
	{"no-graph", oxConst(oxMsg{}.int(1, 7).str(2, "pytorch")), "no graph", false},
	{"unsupported-op", oxConst(oxSimple([]oxMsg{oxNode("LSTM", ss("x", "w", "b"), ss("y"))}, oxW, oxB)), `"LSTM_y" (LSTM): operator LSTM is not supported`, true},
	{"custom-domain", oxConst(oxSimple([]oxMsg{oxGemm("x", "y").str(7, "com.microsoft")}, oxW, oxB)), `domain "com.microsoft"`, true},
	{"external-data", oxConst(oxSimple([]oxMsg{oxGemm("x", "y")},
		oxDims("w", onnxFloat, []int64{2, 3}).bytes(13, oxMsg{}.str(1, "location").str(2, "../../etc/passwd")).int(14, 1), oxB)), "external file", true},
	{"raw-length", oxConst(oxSimple([]oxMsg{oxGemm("x", "y")}, oxDims("w", onnxFloat, []int64{2, 3}).bytes(9, make([]byte, 20)), oxB)), "raw_data has 20 bytes, dims [2 3] need 24", false},
	{"typed-count", oxConst(oxSimple([]oxMsg{oxGemm("x", "y")}, oxTensorTyped("w", []int64{2, 3}, []float32{1, 2, 3}), oxB)), "has 3 values, dims [2 3] need 6", false},
	{"huge-dims", oxConst(oxSimple([]oxMsg{oxGemm("x", "y")}, oxDims("w", onnxFloat, []int64{1 << 40, 1 << 40}).bytes(9, make([]byte, 24)), oxB)), "more than 268435456 values", false},
	{"negative-dim", oxConst(oxSimple([]oxMsg{oxGemm("x", "y")}, oxDims("w", onnxFloat, []int64{-2, -3}).bytes(9, make([]byte, 24)), oxB)), "negative", false},
	{"nan-weight", oxConst(oxSimple([]oxMsg{oxGemm("x", "y")}, oxTensor("w", []int64{2, 3}, []float32{1, 2, float32(math.NaN()), 4, 5, 6}), oxB)), "weights must be finite", false},
	{"inf-f16-weight", oxConst(oxSimple([]oxMsg{oxGemm("x", "y")}, oxTensorF16("w", []int64{2, 3}, []float32{1, 2, 1e6, 4, 5, 6}), oxB)), "weights must be finite", false},
	{"cycle", oxConst(oxSimple([]oxMsg{
		oxGemm("x", "h"),
		oxNode("Add", ss("h", "y"), ss("a")),
		oxNode("Relu", ss("a"), ss("y")),
	}, oxW, oxB)), "cycle", false},
	{"self-loop", oxConst(oxSimple([]oxMsg{oxNode("Relu", ss("y"), ss("y"))})), "cycle", false},
	{"undefined-tensor", oxConst(oxSimple([]oxMsg{oxNode("Gemm", ss("x", "nowhere", "b"), ss("y"))}, oxB)), `reads tensor "nowhere", which nothing defines`, false},
	{"duplicate-output", oxConst(oxSimple([]oxMsg{oxGemm("x", "y"), oxGemm("x", "y")}, oxW, oxB)), "output of two nodes", false},
	{"two-inputs", oxConst(oxGraph{inputs: []oxMsg{oxValue("x", "N", 3), oxValue("x2", "N", 3)}, nodes: []oxMsg{oxGemm("x", "y")}, inits: []oxMsg{oxW, oxB}}.bytes()), "more than one input", true},
	{"input-batch", oxConst(oxGraph{inputs: []oxMsg{oxValue("x", 8, 3)}, nodes: []oxMsg{oxGemm("x", "y")}, inits: []oxMsg{oxW, oxB}}.bytes()), "batch size 8", true},
	{"input-rank", oxConst(oxGraph{inputs: []oxMsg{oxValue("x", "N", 3, 2)}, nodes: []oxMsg{oxGemm("x", "y")}, inits: []oxMsg{oxW, oxB}}.bytes()), "want [batch, C, H, W] or [batch, N]", true},
	{"gemm-transA", oxConst(oxSimple([]oxMsg{oxNode("Gemm", ss("x", "w", "b"), ss("y"), oxAttrI("transA", 1))}, oxW, oxB)), "transA=1", true},
	{"gemm-shape", oxConst(oxSimple([]oxMsg{oxNode("Gemm", ss("x", "w", "b"), ss("y"))}, oxW, oxB)), "weight dims [2 3] do not fit input [3]", false},
	{"maxpool-ceil", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("MaxPool", ss("x"), ss("p"), oxAttrInts("kernel_shape", 2, 2), oxAttrI("ceil_mode", 2)),
		oxNode("Flatten", ss("p"), ss("y")),
	}}.bytes()), "ceil_mode=2; only 0 or 1 is supported", true},
	{"maxpool-dilation", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("MaxPool", ss("x"), ss("p"), oxAttrInts("kernel_shape", 2, 2), oxAttrInts("dilations", 2, 2)),
		oxNode("Flatten", ss("p"), ss("y")),
	}}.bytes()), "dilations [2 2]", true},
	{"conv-wide-pads", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("Conv", ss("x", "cw"), ss("c"), oxAttrInts("pads", 3, 0, 0, 0)),
		oxNode("Flatten", ss("c"), ss("y")),
	}, inits: []oxMsg{oxTensor("cw", []int64{1, 1, 3, 3}, oxSeq(9, 1, 0))}}.bytes()), "padding [3 0 0 0] is not smaller than the 3x3 window", true},
	{"conv-pointwise-wide-pads", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("Conv", ss("x", "cw"), ss("c"), oxAttrInts("pads", 1024, 1024, 1024, 1024)),
		oxNode("Flatten", ss("c"), ss("y")),
	}, inits: []oxMsg{oxTensor("cw", []int64{1, 1, 1, 1}, []float32{1})}}.bytes()), "padding [1024 1024 1024 1024] is not smaller than the 1x1 window", true},
	{"conv-auto-pad", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("Conv", ss("x", "cw"), ss("c"), oxAttrS("auto_pad", "SAME_UPPER")),
		oxNode("Flatten", ss("c"), ss("y")),
	}, inits: []oxMsg{oxTensor("cw", []int64{1, 1, 3, 3}, oxSeq(9, 1, 0))}}.bytes()), "auto_pad=SAME_UPPER", true},
	{"pad-reflect", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("Pad", ss("x", "pads"), ss("xp"), oxAttrS("mode", "reflect")),
		oxNode("AveragePool", ss("xp"), ss("p"), oxAttrInts("kernel_shape", 2, 2)),
		oxNode("Flatten", ss("p"), ss("y")),
	}, inits: []oxMsg{oxInts("pads", []int64{8}, 0, 0, 1, 1, 0, 0, 1, 1)}}.bytes()), `mode "reflect"`, true},
	{"pad-value", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("Pad", ss("x", "pads", "v"), ss("xp")),
		oxNode("AveragePool", ss("xp"), ss("p"), oxAttrInts("kernel_shape", 2, 2)),
		oxNode("Flatten", ss("p"), ss("y")),
	}, inits: []oxMsg{oxInts("pads", []int64{8}, 0, 0, 1, 1, 0, 0, 1, 1), oxTensor("v", nil, []float32{1})}}.bytes()), "pad value 1", true},
	{"clip-range", oxConst(oxSimple([]oxMsg{oxGemm("x", "h"), oxNode("Clip", ss("h", "lo", "hi"), ss("y"))},
		oxW, oxB, oxTensor("lo", nil, []float32{-1}), oxTensor("hi", nil, []float32{1}))), "Clip(-1, 1)", true},
	{"add-const-after-relu", oxConst(oxSimple([]oxMsg{oxGemm("x", "h"), oxNode("Relu", ss("h"), ss("r")), oxNode("Add", ss("r", "b"), ss("y"))}, oxW, oxB)), "Add of a constant", true},
	{"mul-inside", oxConst(oxSimple([]oxMsg{oxGemm("x", "h"), oxNode("Mul", ss("h", "w"), ss("y"))}, oxW, oxB)), "Mul of a constant", true},
	{"softmax-inside", oxConst(oxSimple([]oxMsg{oxGemm("x", "h"), oxNode("Softmax", ss("h"), ss("p")), oxNode("Relu", ss("p"), ss("y"))}, oxW, oxB)), "only a final Softmax", true},
	{"reshape", oxConst(oxGraph{nodes: []oxMsg{
		oxNode("Reshape", ss("x", "s"), ss("y")),
	}, inits: []oxMsg{oxInts("s", []int64{3}, 1, 4, 4)}}.bytes()), "Reshape to [1, 4, 4]", true},
	{"output-is-input", oxConst(oxSimple([]oxMsg{oxNode("Identity", ss("x"), ss("y"))})), "not the output of a layer", true},
	{"sparse-initializer", oxConst(oxMsg{}.bytes(7, oxMsg{}.bytes(15, oxMsg{}))), "sparse initializers", true},
}

// TestDecodeONNXTestdata checks the files of testdata/onnx: the seed model
// decodes, and every invalid-* file fails with its error. -update rewrites
// them from the table.
func TestDecodeONNXTestdata(t *testing.T) {
	seed := oxRead(t, "cnn_bn.onnx")
	if oxUpdating() {
		for _, c := range oxInvalidCases {
			require.NoError(t, os.WriteFile(filepath.Join(onnxDir, "invalid-"+c.name+".onnx"), c.make(t, seed), 0o644))
		}
	}
	oxDecode(t, seed)
	for _, c := range oxInvalidCases {
		t.Run(c.name, func(t *testing.T) {
			b := oxRead(t, "invalid-"+c.name+".onnx")
			f, err := DecodeONNX(b)
			if err == nil {
				require.FailNowf(t, "no error", "got model %s, want error %q", oxKinds(f.Model), c.want)
			}
			assert.ErrorContains(t, err, c.want)
			var fe *FormatError
			var ue UnsupportedError
			if c.unsupported {
				assert.ErrorAs(t, err, &ue, "got %T (%v), want UnsupportedError", err, err)
			} else if assert.ErrorAs(t, err, &fe, "got %T (%v), want *FormatError", err, err) {
				assert.True(t, fe.Offset >= 0 && fe.Offset <= int64(len(b)), "error offset %d outside the %d-byte file", fe.Offset, len(b))
			}
		})
	}
	files, _ := filepath.Glob(filepath.Join(onnxDir, "invalid-*.onnx"))
	assert.Len(t, files, len(oxInvalidCases), "%s: invalid files against the table (run with -update)", onnxDir)
}

func oxRead(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join(onnxDir, name))
	require.NoError(t, err)
	return b
}

// TestDecodeONNXHugeClaims checks that a tensor claiming many values fails
// before anything of its size is allocated.
func TestDecodeONNXHugeClaims(t *testing.T) {
	for _, w := range []oxMsg{
		oxDims("w", onnxFloat, []int64{1 << 14, 1 << 14}).bytes(9, make([]byte, 24)),
		oxDims("w", onnxFloat, []int64{1 << 14, 1 << 14}).bytes(4, make([]byte, 24)),
		oxDims("w", onnxInt64, []int64{1 << 27}).bytes(7, make([]byte, 24)),
	} {
		b := oxSimple([]oxMsg{oxGemm("x", "y")}, w, oxB)
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := DecodeONNX(b)
		runtime.ReadMemStats(&after)
		require.Error(t, err)
		assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "bytes allocated before failing (%v)", err)
	}
}

func FuzzDecodeONNX(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(onnxDir, "*.onnx"))
	require.NoError(f, err)
	require.NotEmpty(f, files, "no seed files in %s", onnxDir)
	fixtures, _ := filepath.Glob(filepath.Join(refdata.Path(f, "."), "*.onnx"))
	arch, _ := filepath.Glob(filepath.Join(refdata.Path(f, "."), "*", "*.onnx"))
	for _, name := range append(append(files, fixtures...), arch...) {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		if len(b) > 256<<10 { // a seed the fuzzer can still mutate quickly
			continue
		}
		f.Add(b)
	}
	for _, b := range oxValidSeeds() {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := DecodeONNX(b)
		if err != nil {
			var fe *FormatError
			var ue UnsupportedError
			require.True(t, errors.As(err, &fe) || errors.As(err, &ue), "error %T is neither FormatError nor UnsupportedError: %v", err, err)
			if fe != nil {
				require.True(t, fe.Offset >= 0 && fe.Offset <= int64(len(b)), "error offset %d outside the %d-byte file: %v", fe.Offset, len(b), err)
			}
			return
		}
		m := file.Model
		acts := 0
		for i := range m.Nodes {
			n := 1
			for _, d := range m.Shape(i) {
				n *= d
			}
			acts += n
		}
		if m.InputLen() <= 1<<12 && m.Params() <= 1<<20 && acts <= 1<<20 {
			_, err := m.Forward(make([]float32, m.InputLen()))
			require.NoError(t, err, "decoded model does not run")
		}
	})
}
