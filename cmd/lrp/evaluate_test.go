package main

import (
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/lrp/eval"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMeanSE(t *testing.T) {
	// Mean 2, sample sd √(((−1)² + 0 + 1²)/2) = 1, se 1/√3.
	mean, se := meanSE([]float64{1, 2, 3})
	assert.InDelta(t, 2, mean, 1e-12)
	assert.InDelta(t, 0.5773502691896258, se, 1e-12)
	_, se = meanSE([]float64{5})
	assert.Zero(t, se, "one input")
}

// TestPaired: the rows are the differences to the reference on the same
// inputs, "better" counts the inputs where the difference points the right
// way (down for LeRF), and the reference has no row.
func TestPaired(t *testing.T) {
	names := []string{"a", "random"}
	sums := []eval.Summary{
		{AOPCMoRF: 2, Inputs: []eval.Score{{AOPCMoRF: 3, AOPCLeRF: 1, Combined: 2}, {AOPCMoRF: 1, AOPCLeRF: 2, Combined: 0}}},
		{AOPCMoRF: 1, Inputs: []eval.Score{{AOPCMoRF: 1, AOPCLeRF: 2, Combined: 0}, {AOPCMoRF: 1, AOPCLeRF: 2, Combined: 0}}},
	}
	var b strings.Builder
	paired(&b, names, sums, "random")
	out := b.String()
	assert.Contains(t, out, "| a | +1.00 ± 1.00 | 1 / 2 | -0.50 ± 0.50 | 1 / 2 | +1.00 ± 1.00 | 1 / 2 |")
	assert.NotContains(t, out, "| random |")
	b.Reset()
	paired(&b, names, sums, "gradient")
	assert.Empty(t, b.String(), "no gradient among the methods")
}

// TestAxis: the patch fills count patches, ROAD its percentages.
func TestAxis(t *testing.T) {
	f, err := loadModel(refdata.Path(t, "cnn.onnx"))
	require.NoError(t, err)
	for _, tc := range []struct {
		cfg   eval.Config
		xs    []float64
		label string
	}{
		{eval.Config{Fill: eval.FillZero, Steps: 3}, []float64{0, 1, 2, 3}, "patches removed"},
		{eval.Config{Fill: eval.FillROAD, Steps: 3}, []float64{0, 25, 50, 75}, "% of pixels removed"},
		{eval.Config{Fill: eval.FillROAD, Steps: 1, Patch: 2}, []float64{0, 50}, "% of patches removed"},
	} {
		p, err := eval.NewPerturber(lrp.NewExplainer(f.Model), tc.cfg)
		require.NoError(t, err)
		xs, label := axis(p, tc.cfg.Fill)
		assert.Equal(t, tc.xs, xs, "%+v", tc.cfg)
		assert.Equal(t, tc.label, label, "%+v", tc.cfg)
	}
}
