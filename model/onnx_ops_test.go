package model

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestDecodeONNXOperatorChecks covers the checks that node makes from an
// operator's entry in onnxOps before converting it: the attributes it
// reads, the int attributes of which only some values are supported, and
// the outputs after the first that no node may read. Each model is valid
// but for the one node named in want.
func TestDecodeONNXOperatorChecks(t *testing.T) {
	// conv is a 1×1 convolution with weight "cw", bn a BatchNormalization of
	// one channel with parameters "s".
	conv := func(in, out string) oxMsg { return oxNode("Conv", ss(in, "cw"), ss(out)) }
	bn := func(in string, outs []string, attrs ...oxMsg) oxMsg {
		return oxNode("BatchNormalization", ss(in, "s", "s", "s", "s"), outs, attrs...)
	}
	inits := []oxMsg{oxTensor("cw", []int64{1, 1, 1, 1}, []float32{1}), oxTensorTyped("s", []int64{1}, []float32{1})}
	flat := func(nodes ...oxMsg) []byte {
		head, hinit := oxFlatHead("h")
		return oxGraph{nodes: append(nodes, head...), inits: append(append([]oxMsg{}, inits...), hinit...)}.bytes()
	}
	shapeOf := func(gather, concat oxMsg) []byte {
		return oxGraph{nodes: []oxMsg{
			oxNode("Shape", ss("x"), ss("s")),
			oxNode("Constant", nil, ss("zero"), oxAttrT("value", oxInts("", nil, 0))),
			gather,
			oxNode("Unsqueeze", ss("n", "axes"), ss("nv")),
			concat,
			oxNode("Reshape", ss("x", "shape"), ss("flat")),
			oxNode("Gemm", ss("flat", "hw", "hb"), ss("y"), oxAttrI("transB", 1)),
		}, inits: []oxMsg{
			oxInts("axes", []int64{1}, 0), oxInts("minus1", []int64{1}, -1),
			oxTensor("hw", []int64{2, 16}, oxSeq(32, 0.1, 0)), oxTensor("hb", []int64{2}, []float32{0.5, -0.25}),
		}}.bytes()
	}
	gather := func(attrs ...oxMsg) oxMsg { return oxNode("Gather", ss("s", "zero"), ss("n"), attrs...) }
	concat := func(attrs ...oxMsg) oxMsg { return oxNode("Concat", ss("nv", "minus1"), ss("shape"), attrs...) }

	for _, tc := range []struct {
		name        string
		file        []byte
		want        string
		unsupported bool
	}{
		{"valid", flat(conv("x", "c"), bn("c", ss("h"))), "", false},
		{"valid shape chain", shapeOf(gather(oxAttrI("axis", -1)), concat(oxAttrI("axis", 0))), "", false},
		{"unknown attribute", flat(oxNode("Relu", ss("x"), ss("h"), oxAttrF("alpha", 0.1))), `node "Relu_h" (Relu): attribute "alpha" is not supported`, true},
		{"repeated attribute", flat(oxNode("Flatten", ss("x"), ss("h"), oxAttrI("axis", 1), oxAttrI("axis", 1))), `node "Flatten_h" (Flatten): attribute "axis" is repeated`, false},
		{"attribute type", flat(oxNode("MaxPool", ss("x"), ss("h"), oxAttrInts("kernel_shape", 1, 1), oxAttrF("ceil_mode", 1))), `node "MaxPool_h" (MaxPool): attribute "ceil_mode" has type 1, want 2`, false},
		{"storage order", flat(oxNode("MaxPool", ss("x"), ss("h"), oxAttrInts("kernel_shape", 1, 1), oxAttrI("storage_order", 1))), `node "MaxPool_h" (MaxPool): storage_order=1; only 0 is supported`, true},
		{"average pool ceil", flat(oxNode("AveragePool", ss("x"), ss("h"), oxAttrInts("kernel_shape", 1, 1), oxAttrI("ceil_mode", 1))), "", false},
		{"average pool ceil 2", flat(oxNode("AveragePool", ss("x"), ss("h"), oxAttrInts("kernel_shape", 1, 1), oxAttrI("ceil_mode", 2))), `node "AveragePool_h" (AveragePool): ceil_mode=2; only 0 or 1 is supported`, true},
		{"reduce mean keepdims", flat(oxNode("ReduceMean", ss("x"), ss("m"), oxAttrInts("axes", 2, 3), oxAttrI("keepdims", 2)), oxNode("Conv", ss("m", "cw"), ss("h"))), `keepdims=2; only 0 or 1 is supported`, true},
		{"training mode", flat(conv("x", "c"), bn("c", ss("h"), oxAttrI("training_mode", 1))), `node "BatchNormalization_h" (BatchNormalization): training_mode=1; only 0 is supported`, true},
		{"not spatial", flat(conv("x", "c"), bn("c", ss("h"), oxAttrI("spatial", 0))), `spatial=0; only 1 is supported`, true},
		{"allowzero", oxGraph{nodes: []oxMsg{oxNode("Reshape", ss("x", "shape"), ss("y"), oxAttrI("allowzero", 1))},
			inits: []oxMsg{oxInts("shape", []int64{2}, 1, -1)}}.bytes(), `node "Reshape_y" (Reshape): allowzero=1; only 0 is supported`, true},
		{"gather axis", shapeOf(gather(oxAttrI("axis", 1)), concat(oxAttrI("axis", 0))), `node "Gather_n" (Gather): axis=1; only 0 or -1 is supported`, true},
		{"concat axis", shapeOf(gather(), concat(oxAttrI("axis", 1))), `node "Concat_shape" (Concat): axis=1; only 0 or -1 is supported`, true},
		{"softmax axis", oxSimple([]oxMsg{oxGemm("x", "z"), oxNode("Softmax", ss("z"), ss("y"), oxAttrI("axis", 0))}, oxW, oxB),
			`node "Softmax_y" (Softmax): axis=0; only 1 or -1 is supported`, true},
		{"pool indices read", flat(oxNode("MaxPool", ss("x"), ss("p", "i"), oxAttrInts("kernel_shape", 1, 1)), oxNode("Add", ss("p", "i"), ss("h"))),
			`node "MaxPool_p" (MaxPool): output 1 (Indices) is not supported`, true},
		{"pool indices unread", flat(oxNode("MaxPool", ss("x"), ss("h", "i"), oxAttrInts("kernel_shape", 1, 1))), "", false},
		{"running statistics read", flat(conv("x", "c"), bn("c", ss("n", "", "var")), oxNode("Add", ss("n", "var"), ss("h"))),
			`node "BatchNormalization_n" (BatchNormalization): output 2 (running statistics) is not supported`, true},
		{"dropout mask read", oxSimple([]oxMsg{oxGemm("x", "z"), oxNode("Dropout", ss("z"), ss("d", "m")), oxNode("Add", ss("d", "m"), ss("y"))}, oxW, oxB),
			`node "Dropout_d" (Dropout): output 1 (mask) is not supported`, true},
		{"dropout mask unread", oxSimple([]oxMsg{oxGemm("x", "z"), oxNode("Dropout", ss("z"), ss("d", "m"), oxAttrF("ratio", 0.5)), oxNode("Relu", ss("d"), ss("y"))}, oxW, oxB), "", false},
		{"matmul attribute", oxSimple([]oxMsg{oxNode("MatMul", ss("x", "w"), ss("y"), oxAttrI("transB", 1))}, oxW), `node "MatMul_y" (MatMul): attribute "transB" is not supported`, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkDecode(t, tc.file, tc.want, tc.unsupported, false)
		})
	}
}

// checkDecode decodes file and checks the result: a model when want is
// "", else an error with the model: prefix that contains want, of type
// UnsupportedError (unsupported) or *FormatError, and, with onePrefix, no
// second (lrp:) prefix inside it.
func checkDecode(t *testing.T, file []byte, want string, unsupported, onePrefix bool) {
	t.Helper()
	f, err := DecodeONNX(file)
	if want == "" {
		require.NoError(t, err)
		require.NotNil(t, f.Model)
		return
	}
	require.Error(t, err, "decoded %s", oxKindsOf(f))
	assert.ErrorContains(t, err, "model: ")
	assert.ErrorContains(t, err, want)
	if onePrefix {
		assert.NotContains(t, err.Error(), "lrp: ", "one prefix")
	}
	var fe *FormatError
	var ue UnsupportedError
	if unsupported {
		assert.ErrorAs(t, err, &ue, "got %T (%v), want UnsupportedError", err, err)
	} else {
		assert.ErrorAs(t, err, &fe, "got %T (%v), want *FormatError", err, err)
	}
}

// oxKindsOf is oxKinds of f's model, or "nothing" for no file.
func oxKindsOf(f *File) string {
	if f == nil {
		return "nothing"
	}
	return oxKinds(f.Model)
}
