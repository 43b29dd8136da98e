package app

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/internal/cpu"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

// chainFile is a safetensors model of n blocks before a small dense head:
// each block one ReLU, or a Dense 4→4 and a BatchNorm (which the session
// folds). It is valid by the format's rules and tiny per node: the recipe of
// a file that costs time quadratic in its size when a graph algorithm is.
func chainFile(tb testing.TB, n int, block string) []byte {
	tb.Helper()
	nodes := make([]lrp.Node, 0, 2*n+1)
	add := func(name string, l lrp.Layer) {
		prev := lrp.Input
		if len(nodes) > 0 {
			prev = len(nodes) - 1
		}
		nodes = append(nodes, lrp.Node{Name: name, Layer: l, Inputs: []int{prev}})
	}
	for i := range n {
		switch block {
		case "relu":
			add(fmt.Sprintf("relu%d", i), &lrp.ReLU{})
		case "dense+bn":
			add(fmt.Sprintf("fc%d", i), &lrp.Dense{In: 4, Out: 4, W: []float32{1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1}})
			add(fmt.Sprintf("bn%d", i), &lrp.BatchNorm{Mean: make([]float32, 4), Var: []float32{1, 1, 1, 1}, Gamma: []float32{1, 1, 1, 1}, Beta: make([]float32, 4), Eps: 1e-5})
		}
	}
	add("head", &lrp.Dense{In: 4, Out: 2, W: []float32{1, 1, 0, 0, 0, 0, 1, 1}, B: []float32{0, 0}})
	m, err := lrp.NewModel("chain", lrp.InputSpec{Shape: []int{4}, Low: 0, High: 1}, nodes, nil)
	require.NoError(tb, err)
	b, err := model.EncodeSafetensors(m, nil, "F32")
	require.NoError(tb, err)
	return b
}

// loadAndExplain is what a user's first call costs: decode, fold, open a
// session and explain with the default options.
func loadAndExplain(tb testing.TB, b []byte) {
	tb.Helper()
	s, err := Open(b)
	require.NoError(tb, err)
	r, err := s.Explain(Input{X: []float32{0.1, 0.2, 0.9, 0.3}}, nil)
	require.NoError(tb, err)
	require.Equal(tb, 1, r.Predicted)
}

// TestGraphSizeLinear loads and explains chains of 10,000 to 80,000
// ReLUs (and 2,000 to 16,000 Dense+BatchNorm pairs), in CPU time, the
// best of three rounds over the sizes (cpu.Growth): the time must grow
// linearly with the graph (composite selectors and BatchNorm folding once
// took time quadratic in it: 15 s for 40,000 ReLUs). The times are logged;
// the assertion is on the ratio of the largest to the smallest chain, 8 for
// linear growth and 64 for quadratic: it must be nearer the first than the
// second (below their geometric mean, 22.6), whatever the machine's speed.
func TestGraphSizeLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 500,000 nodes")
	}
	for _, block := range []string{"relu", "dense+bn"} {
		t.Run(block, func(t *testing.T) {
			sizes := []int{10000, 20000, 40000, 80000}
			if block == "dense+bn" {
				sizes = []int{2000, 4000, 8000, 16000}
			}
			files := make([][]byte, len(sizes))
			for i, n := range sizes {
				files[i] = chainFile(t, n, block)
			}
			took := cpu.Growth(len(sizes), 3, func(i int) { loadAndExplain(t, files[i]) })
			for i, n := range sizes {
				t.Logf("%6d blocks (%8d bytes): %v CPU", n, len(files[i]), took[i])
			}
			ratio := float64(took[len(took)-1]) / float64(took[0])
			t.Logf("ratio %d/%d blocks: %.1f (linear 8, quadratic 64)", sizes[len(sizes)-1], sizes[0], ratio)
			assert.Less(t, ratio, 22.6, "time grows faster than linearly with the graph")
		})
	}
}

// A graph of exactly lrp.MaxNodes nodes loads and explains (one more is
// refused by lrp.NewModel: TestNewModelNodeCap).
func TestGraphNodeCap(t *testing.T) {
	if testing.Short() {
		t.Skip("loads 131,072 nodes")
	}
	b := chainFile(t, lrp.MaxNodes-1, "relu")
	t.Logf("%d nodes, %d bytes: %v CPU", lrp.MaxNodes, len(b), cpu.Measure(func() { loadAndExplain(t, b) }))
}
