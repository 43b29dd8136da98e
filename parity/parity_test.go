package parity

import (
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestFixtures runs every fixture config and requires Zennit's relevance to
// 1e-5 of max|ref|, and the logits of every case file to 1e-5 of the
// largest, printing each figure. Both model sources are checked: the ONNX
// exports and the JSON layers (the arch sets have ONNX only).
func TestFixtures(t *testing.T) {
	for _, src := range []Source{PreferONNX, LayersJSON} {
		check(t, src)
	}
}

func check(t *testing.T, src Source) {
	lines, err := Run(refdata.Path(t, "."), src)
	require.NoError(t, err)
	logits := 0
	for _, l := range lines {
		if l.Logits {
			logits++
		}
	}
	assert.Equal(t, 5, logits, "case files whose logits are checked: mlp, cnn, cnn_bn, arch/squeezenet, arch/densenet")
	for _, l := range lines {
		t.Logf("%-16s %-26s %.3g (%s vs %s)", l.Model, l.Config, l.Err, l.Source, l.Reference)
		if !assert.False(t, l.Unknown, "%s/%s: unknown config", l.Model, l.Config) ||
			!assert.NoError(t, l.Fail, "%s/%s", l.Model, l.Config) {
			continue
		}
		assert.LessOrEqual(t, l.Err, 1e-5, "%s/%s: max rel diff", l.Model, l.Config)
	}
}
