package main

import (
	"bytes"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// lrp info prints how many BatchNorm layers were folded, and the layers
// after folding (the node indices of rules).
func TestInfoFoldedBatchNorm(t *testing.T) {
	f, err := readModel("../../model/testdata/onnx/conv_bn.onnx")
	require.NoError(t, err)
	var buf bytes.Buffer
	printInfo(&buf, f)
	out := buf.String()
	for _, want := range []string{"batchnorm:  1 folded into the layer before", "layers:     4\n"} {
		assert.Contains(t, out, want, "info output:\n%s", out)
	}
	assert.NotContains(t, out, "batchnorm2d", "a BatchNorm layer is listed:\n%s", out)
}
