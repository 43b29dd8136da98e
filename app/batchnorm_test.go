package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/model"
)

// convBN is an ONNX file with Conv → BatchNormalization → Relu → Flatten →
// Gemm, as torch.onnx.export writes it without constant folding (model's
// TestDecodeONNXKeepsBatchNorm writes it).
const convBN = "../model/testdata/onnx/conv_bn.onnx"

// Open folds the BatchNorm once and reports it; the session's logits are
// the unfolded model's within float32 rounding.
func TestOpenFoldsBatchNormOnce(t *testing.T) {
	data := readFile(t, convBN)
	s, err := Open(data)
	require.NoError(t, err)
	info := s.Info()
	assert.Equal(t, 1, info.FoldedBatchNorm, "got foldedBatchNorm %d, want 1", info.FoldedBatchNorm)
	var kinds []string
	for _, l := range info.Layers {
		kinds = append(kinds, l.Kind)
	}
	assert.Equal(t, []string{"conv2d", "relu", "flatten", "dense"}, kinds, "layers after folding")

	f, err := model.Load(data)
	require.NoError(t, err)
	unfolded := f.Model
	require.Len(t, unfolded.Nodes, 5, "model.Load keeps the BatchNorm node")
	for _, x := range [][]float32{constant(16, 0.5), ramp(16)} {
		want, err := unfolded.Forward(x)
		require.NoError(t, err)
		r, err := s.Explain(Input{X: x}, nil)
		require.NoError(t, err)
		for k := range want {
			assert.InDelta(t, want[k], r.Logits[k], 1e-5, "logit %d: got %v, unfolded %v", k, r.Logits, want)
		}
	}
}

func constant(n int, v float32) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = v
	}
	return x
}

func ramp(n int) []float32 {
	x := make([]float32, n)
	for i := range x {
		x[i] = float32(i) / float32(n)
	}
	return x
}
