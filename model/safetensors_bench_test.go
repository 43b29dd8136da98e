package model

import (
	"fmt"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/require"
)

// stChain is a file of n ReLU nodes and a dense head 4→2: a large graph
// document (68 bytes a node) with almost no weights, as app's chainFile.
func stChain(tb testing.TB, n int) []byte {
	nodes := make([]lrp.Node, 0, n+1)
	for i := range n {
		nodes = append(nodes, lrp.Node{Name: fmt.Sprintf("relu%d", i), Layer: &lrp.ReLU{}, Inputs: []int{i - 1}})
	}
	nodes[0].Inputs[0] = lrp.Input
	nodes = append(nodes, lrp.Node{Name: "head", Layer: &lrp.Dense{In: 4, Out: 2, W: []float32{1, 1, 0, 0, 0, 0, 1, 1}, B: []float32{0, 0}}, Inputs: []int{n - 1}})
	m, err := lrp.NewModel("chain", lrp.InputSpec{Shape: []int{4}, Low: 0, High: 1}, nodes, nil)
	require.NoError(tb, err)
	b, err := EncodeSafetensors(m, nil, "F32")
	require.NoError(tb, err)
	return b
}

// BenchmarkDecodeSafetensorsChain decodes a 6.8 MB file of 100,000 ReLU
// nodes (issue 15: any file under 10 MB must load in under 2 s in wasm).
func BenchmarkDecodeSafetensorsChain(b *testing.B) {
	benchmarkDecodeSafetensors(b, stChain(b, 100_000))
}

// BenchmarkDecodeSafetensorsCNN decodes a small file of every layer type.
func BenchmarkDecodeSafetensorsCNN(b *testing.B) {
	f, err := EncodeSafetensors(stCNN(b, stExact), stCard, "F32")
	require.NoError(b, err)
	benchmarkDecodeSafetensors(b, f)
}

func benchmarkDecodeSafetensors(b *testing.B, f []byte) {
	b.SetBytes(int64(len(f)))
	b.ReportAllocs()
	b.ResetTimer()
	for range b.N {
		if _, err := DecodeSafetensors(f); err != nil {
			b.Fatal(err)
		}
	}
}
