package model

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/internal/cpu"
)

// Hostile files: valid by ONNX's rules, a few kilobytes to megabytes long,
// built to cost time or memory out of proportion to their size. Each must
// end in a short, clear error or a correct model, in time linear in the
// file.

// maxMessage bounds the length of any error a hostile file gets.
const maxMessage = 1024

// oxReshapeTo is a model whose Reshape target is the constant shape dims.
func oxReshapeTo(dims []int64) []byte {
	return oxGraph{nodes: []oxMsg{
		oxNode("Reshape", ss("x", "s"), ss("y")),
	}, inits: []oxMsg{oxInts("s", []int64{int64(len(dims))}, dims...)}}.bytes()
}

// oxReluChain is n Relu nodes between the input and a Gemm 3→2.
func oxReluChain(n int) []byte {
	nodes := make([]oxMsg, 0, n+1)
	prev := "x"
	for i := range n {
		out := fmt.Sprintf("r%d", i)
		nodes = append(nodes, oxNode("Relu", ss(prev), ss(out)))
		prev = out
	}
	nodes = append(nodes, oxGemm(prev, "y"))
	return oxSimple(nodes, oxW, oxB)
}

// TestHostileONNXErrors: each file is refused with a message that names
// the problem and stays short, whatever the file holds.
func TestHostileONNXErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		// A Reshape target of 100,000 (or 10⁶) ones took 30 s (or more
		// than 7 minutes) to describe in a 300 KB message.
		{"reshape-1e5-dims", oxReshapeTo(slices.Repeat([]int64{1}, 100_000)), "Reshape to [1, 1, 1, 1, 1, 1, 1, 1, … 100000 values]"},
		{"reshape-1e6-dims", oxReshapeTo(slices.Repeat([]int64{1}, 1_000_000)), "… 1000000 values]"},
		// The converter marks the batch size with MinInt64; a file that
		// writes that value must not pass for it.
		{"reshape-minint64", oxReshapeTo([]int64{-1 << 63, -1}), "holds -9223372036854775808"},
		// A Concat of 100,000 tensors: lrp.MaxInputs bounds what one node
		// may read.
		{"concat-1e5-inputs", oxConcatMany(100_000), `node "Concat_c" (Concat): 100000 inputs; at most 1024 are supported`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			t0 := time.Now()
			_, err := DecodeONNX(tc.file)
			took := time.Since(t0)
			require.Error(t, err)
			t.Logf("%d bytes: %v: %.80s", len(tc.file), took, err)
			require.LessOrEqual(t, len(err.Error()), maxMessage, "message length (it starts %.200q)", err)
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// TestHostileONNXReluChainLinear decodes chains of 8,000 to 64,000 Relu
// nodes (the largest 1.3 MB; a 2 MB chain of 65,000 once blocked loadModel
// for 245 s), in CPU time, the best of three rounds (cpu.Growth). The
// times are logged; the ratio of the largest to the smallest must be
// nearer linear growth (8) than quadratic (64).
func TestHostileONNXReluChainLinear(t *testing.T) {
	if testing.Short() {
		t.Skip("decodes 120,000 nodes")
	}
	sizes := []int{8000, 16000, 32000, 64000}
	files := make([][]byte, len(sizes))
	for i, n := range sizes {
		files[i] = oxReluChain(n)
	}
	took := cpu.Growth(len(sizes), 3, func(i int) {
		f, err := DecodeONNX(files[i])
		require.NoError(t, err)
		require.Len(t, f.Model.Nodes, sizes[i]+1)
	})
	for i, n := range sizes {
		t.Logf("%6d Relu nodes (%7d bytes): %v CPU", n, len(files[i]), took[i])
	}
	ratio := float64(took[len(took)-1]) / float64(took[0])
	t.Logf("ratio %d/%d nodes: %.1f (linear 8, quadratic 64)", sizes[len(sizes)-1], sizes[0], ratio)
	assert.Less(t, ratio, 22.6, "decoding time grows faster than linearly with the graph")
}

// TestHostileSafetensorsHeader: a safetensors file whose header length is
// wrong gets the safetensors decoder's own error through Load (it used to
// get "neither a safetensors file nor an ONNX model"), and a header that is
// not UTF-8 is refused at its first bad byte (it used to be accepted).
func TestHostileSafetensorsHeader(t *testing.T) {
	good, err := EncodeSafetensors(stTiny(t), map[string]string{"name": "tiny"}, "F32")
	require.NoError(t, err)
	withLength := func(n uint64) []byte {
		b := slices.Clone(good)
		binary.LittleEndian.PutUint64(b, n)
		return b
	}
	notUTF8 := slices.Clone(good)
	at := bytes.Index(notUTF8, []byte("tiny"))
	require.Positive(t, at)
	notUTF8[at] = 0xff // inside the model card's name
	for _, tc := range []struct {
		name string
		file []byte
		want string
	}{
		{"length-past-the-file", withLength(uint64(len(good))), "after it (truncated file?)"},
		{"length-over-the-limit", withLength(17 << 20), "exceeds the limit of 16777216 bytes"},
		{"header-not-utf8", notUTF8, fmt.Sprintf("invalid format at byte %d: the header is not UTF-8 text", at)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.file)
			require.Error(t, err)
			assert.ErrorContains(t, err, tc.want)
			assert.NotContains(t, err.Error(), "neither")
		})
	}
}
