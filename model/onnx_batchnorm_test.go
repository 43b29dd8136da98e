package model

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// convBNFile is testdata/onnx/conv_bn.onnx, which the app and cmd/lrp
// tests read too.
const convBNFile = "conv_bn.onnx"

// oxConvBN is the graph torch.onnx.export writes for Conv2d(1, 2, 3,
// padding=1) → BatchNorm2d(2) → ReLU → Flatten → Linear(32, 3) with
// do_constant_folding=False: the BatchNormalization node is kept.
func oxConvBN() []byte {
	return oxGraph{
		nodes: []oxMsg{
			oxNode("Conv", ss("x", "cw", "cb"), ss("c"), oxAttrInts("kernel_shape", 3, 3), oxAttrInts("pads", 1, 1, 1, 1)),
			oxNode("BatchNormalization", ss("c", "s", "bb", "m", "v"), ss("n"), oxAttrF("epsilon", 1e-5), oxAttrF("momentum", 0.9)),
			oxNode("Relu", ss("n"), ss("r")),
			oxNode("Flatten", ss("r"), ss("flat"), oxAttrI("axis", 1)),
			oxNode("Gemm", ss("flat", "hw", "hb"), ss("y"), oxAttrI("transB", 1)),
		},
		inits: []oxMsg{
			oxTensor("cw", []int64{2, 1, 3, 3}, oxSeq(18, 0.3, 0.1)),
			oxTensor("cb", []int64{2}, []float32{0.1, -0.2}),
			oxTensor("s", []int64{2}, []float32{1.5, 0.75}),
			oxTensor("bb", []int64{2}, []float32{0.25, -0.5}),
			oxTensor("m", []int64{2}, []float32{0.2, -0.1}),
			oxTensor("v", []int64{2}, []float32{0.8, 2.5}),
			oxTensor("hw", []int64{3, 32}, oxSeq(96, 0.1, 0)),
			oxTensor("hb", []int64{3}, []float32{0.5, -0.25, 0}),
		},
		outputs: []oxMsg{oxValue("y", "batch", 3)},
	}.bytes()
}

// TestDecodeONNXKeepsBatchNorm checks that DecodeONNX returns the graph as
// the file has it, BatchNorm included, and that folding it afterwards (the
// caller's step) keeps the logits. It also checks testdata/onnx/conv_bn.onnx,
// which -update rewrites.
func TestDecodeONNXKeepsBatchNorm(t *testing.T) {
	b := oxConvBN()
	path := filepath.Join(onnxDir, convBNFile)
	if oxUpdating() {
		require.NoError(t, os.WriteFile(path, b, 0o644))
	}
	file, err := os.ReadFile(path)
	require.NoError(t, err, "run go test -update")
	require.Equal(t, b, file, "%s differs from oxConvBN (run go test -update)", path)

	m := oxDecode(t, b).Model
	const unfolded = "conv2d batchnorm2d relu flatten dense"
	require.Equal(t, unfolded, oxKinds(m), "got layers %q, want %q", oxKinds(m), unfolded)

	folded := oxDecode(t, b).Model
	n, err := folded.FoldBatchNorm()
	require.NoError(t, err)
	assert.Equal(t, 1, n, "got %d folds, want 1", n)
	assert.Equal(t, "conv2d relu flatten dense", oxKinds(folded))
	for _, x := range [][]float32{oxSeq(16, 0.1, 0.5), oxSeq(16, -0.2, 0.3)} {
		got, want := oxForward(t, folded, x), oxForward(t, m, x)
		assert.LessOrEqual(t, oxMaxDiff(got, want), 1e-5, "folded logits %v, unfolded %v", got, want)
	}
}
