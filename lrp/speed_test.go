package lrp_test

import (
	"math"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// After the first call, explaining with an LRP composite allocates nothing:
// activations, relevance, modified weights, rules and scratch buffers all
// live in the Explainer.
func TestExplainZeroAllocs(t *testing.T) {
	m, x := fixtureCNN(t)
	e := lrp.NewExplainer(m)
	for _, method := range lrp.Composites() {
		o := lrp.Options{Method: method}
		_, err := e.Explain(x, o)
		require.NoError(t, err)
		n := testing.AllocsPerRun(10, func() { e.Explain(x, o) })
		assert.Zerof(t, n, "%s: %v allocations per Explain, want 0", method, n)
	}
	n := testing.AllocsPerRun(10, func() { e.Forward(x) })
	assert.Zerof(t, n, "Forward: %v allocations, want 0", n)
}

// The synthetic ResNet-18 explains without NaN or Inf, and conserves
// relevance to within what its nodes absorb: the start sum is the input
// sum plus every node's Absorbed (Out − In), so none is lost between
// nodes, at the residual joins included.
func TestResNet18EpsilonGammaBox(t *testing.T) {
	if testing.Short() {
		t.Skip("ResNet-18 at 224×224 takes a second")
	}
	m := resnet()
	e := lrp.NewExplainer(m)
	res, err := e.Explain(imageInput(m, 1), lrp.Options{Method: "epsilon_gamma_box"})
	require.NoError(t, err)
	d := res.Diagnostics
	t.Logf("predicted %d (logit %.3g), start %.4g, input sum %.4g, positive share %.3f",
		res.Predicted, res.Logits[res.Predicted], d.StartSum, d.InputSum, d.PositiveShare)
	if d.NaN {
		for _, l := range d.Layers {
			assert.Falsef(t, l.NaN, "NaN or Inf after node %d (%s, %s)", l.Node, l.Name, l.Rule)
		}
	}
	require.False(t, d.NaN, "relevance has NaN or Inf")
	assert.NotZero(t, d.InputSum, "no relevance reached the input")
	var absorbed float64
	for _, l := range d.Layers {
		absorbed += l.Absorbed
	}
	gap := d.StartSum - absorbed - d.InputSum
	assert.LessOrEqualf(t, math.Abs(gap), 1e-6*math.Abs(d.StartSum),
		"start %.7g − absorbed %.7g − input %.7g = %.3g, want 0 within 1e-6", d.StartSum, absorbed, d.InputSum, gap)
}
