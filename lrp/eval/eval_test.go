package eval

import (
	"math/rand/v2"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// linear returns the model f(x) = w·x on a 1×h×w input, one output.
func linear(t *testing.T, h, w int, wt []float32) *lrp.Model {
	t.Helper()
	m, err := lrp.NewModel("linear", lrp.InputSpec{Shape: []int{1, h, w}, Low: 0, High: 1}, []lrp.Node{
		{Name: "flatten", Layer: &lrp.Flatten{}, Inputs: []int{lrp.Input}},
		{Name: "dense", Layer: &lrp.Dense{In: h * w, Out: 1, W: wt}, Inputs: []int{0}},
	}, nil)
	require.NoError(t, err)
	return m
}

func TestLinearCurveByHand(t *testing.T) {
	m := linear(t, 2, 2, []float32{1, 2, 3, 4})
	p, err := NewPerturber(lrp.NewExplainer(m), Config{Patch: 1, Fill: FillZero})
	require.NoError(t, err)
	x := []float32{1, 1, 1, 1}
	rel := []float32{1, 2, 3, 4} // exact LRP-0 relevance w ⊙ x
	c, err := p.Run(x, p.Order(rel, MoRF, 0), 0, 0)
	require.NoError(t, err)
	// Removing 4, 3, 2, 1 in turn: f = 10, 6, 3, 1, 0.
	want := []float64{10, 6, 3, 1, 0}
	for k := range want {
		assert.Equalf(t, want[k], c.Logit[k], "MoRF step %d: got f = %v, want %v", k, c.Logit[k], want[k])
	}
	// AOPC = (0 + 4 + 7 + 9 + 10) / 5 = 6.
	assert.Equal(t, 6.0, AOPC(c.Logit), "AOPC")
	c, _ = p.Run(x, p.Order(rel, LeRF, 0), 0, 0)
	// LeRF removes 1, 2, 3, 4: f = 10, 9, 7, 4, 0; AOPC = (0+1+3+6+10)/5 = 4.
	assert.Equal(t, 4.0, AOPC(c.Logit), "LeRF AOPC")
}

func TestRandomOrderReproducible(t *testing.T) {
	m := linear(t, 8, 8, make([]float32, 64))
	p1, _ := NewPerturber(lrp.NewExplainer(m), Config{Patch: 2, Seed: 7})
	p2, _ := NewPerturber(lrp.NewExplainer(m), Config{Patch: 2, Seed: 7})
	p3, _ := NewPerturber(lrp.NewExplainer(m), Config{Patch: 2, Seed: 8})
	a, b, c := p1.Order(nil, Random, 3), p2.Order(nil, Random, 3), p3.Order(nil, Random, 3)
	same := func(x, y []int) bool {
		for i := range x {
			if x[i] != y[i] {
				return false
			}
		}
		return true
	}
	assert.Truef(t, same(a, b), "same seed gave orders %v and %v", a, b)
	assert.Falsef(t, same(a, c), "seeds 7 and 8 gave the same order %v", a)
	assert.Len(t, a, 16, "8×8 input with 2×2 patches")
}

// permutations calls f with every permutation of 0..n-1.
func permutations(n int, f func([]int)) {
	p := make([]int, n)
	for i := range p {
		p[i] = i
	}
	var rec func(k int)
	rec = func(k int) {
		if k == n {
			f(p)
			return
		}
		for i := k; i < n; i++ {
			p[k], p[i] = p[i], p[k]
			rec(k + 1)
			p[k], p[i] = p[i], p[k]
		}
	}
	rec(0)
}

// TestMoRFSteepest: for a linear model and its exact relevance, the MoRF
// curve lies at or below the curve of every other order at every step.
func TestMoRFSteepest(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	w := make([]float32, 6)
	x := make([]float32, 6)
	rel := make([]float32, 6)
	for i := range w {
		w[i] = float32(rng.NormFloat64())
		x[i] = rng.Float32()
		rel[i] = w[i] * x[i]
	}
	m := linear(t, 2, 3, w)
	p, _ := NewPerturber(lrp.NewExplainer(m), Config{Patch: 1, Fill: FillZero})
	morf, err := p.Run(x, p.Order(rel, MoRF, 0), 0, 0)
	require.NoError(t, err)
	best := AOPC(morf.Logit)
	n := 0
	permutations(6, func(order []int) {
		n++
		c, err := p.Run(x, order, 0, 0)
		require.NoError(t, err)
		for k := range c.Logit {
			require.LessOrEqualf(t, morf.Logit[k], c.Logit[k]+1e-6, "order %v step %d: f = %v below MoRF's %v", order, k, c.Logit[k], morf.Logit[k])
		}
		a := AOPC(c.Logit)
		require.LessOrEqualf(t, a, best+1e-6, "order %v: AOPC %v above MoRF's %v", order, a, best)
	})
	assert.Equal(t, 720, n, "checked orders")
}

func TestFills(t *testing.T) {
	m := linear(t, 2, 2, []float32{1, 1, 1, 1})
	x := []float32{0.2, 0.4, 0.6, 0.8}
	for _, tc := range []struct {
		fill Fill
		want float64 // f after removing everything
	}{
		{FillZero, 0},
		{FillMean, 2}, // every value becomes the mean 0.5
	} {
		p, _ := NewPerturber(lrp.NewExplainer(m), Config{Patch: 1, Fill: tc.fill})
		c, _ := p.Run(x, []int{0, 1, 2, 3}, 0, 0)
		assert.InDeltaf(t, tc.want, c.Logit[4], 1e-6, "fill %v: got f = %v at the end, want %v", tc.fill, c.Logit[4], tc.want)
	}
	p, _ := NewPerturber(lrp.NewExplainer(m), Config{Patch: 1, Fill: FillUniform, Seed: 1})
	c, _ := p.Run(x, []int{0, 1, 2, 3}, 0, 0)
	v := c.Logit[4]
	assert.Truef(t, v >= 0 && v <= 4 && v != 2, "uniform fill: got f = %v, want a noise sum in [0, 4]", v)
}

func TestEvaluateMethods(t *testing.T) {
	m := linear(t, 4, 4, []float32{0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0})
	inputs := [][]float32{make([]float32, 16), make([]float32, 16)}
	for i := range inputs[0] {
		inputs[0][i], inputs[1][i] = 1, 0.5
	}
	sums, err := Evaluate(m, inputs, []string{"lrp0", "random", "uniform"}, Config{Patch: 1}, lrp.Options{}, 2)
	require.NoError(t, err)
	require.Equal(t, 2, sums[0].N, "N")
	require.Len(t, sums[0].CurveMoRF, 17, "MoRF curve")
	// Greater also fails when either is NaN.
	assert.Greaterf(t, sums[0].AOPCMoRF, sums[1].AOPCMoRF, "lrp0 MoRF AOPC %v not above random %v", sums[0].AOPCMoRF, sums[1].AOPCMoRF)
	_, err = Evaluate(m, inputs, []string{"nope"}, Config{}, lrp.Options{}, 1)
	assert.Error(t, err, "unknown method: no error")
}
