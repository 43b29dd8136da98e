package parity

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestUnseenFolder writes a folder the tool has never seen: a model with a
// 3×8×8 input as NAME.layers.json and its cases with every array stored as
// base64 little-endian float32 (KEY_b64), references made by the engine
// itself, and one config name the engine does not know. Run must read it,
// match the known configs exactly and flag the unknown one.
func TestUnseenFolder(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(4, 5))
	rnd := func(n int) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = float32(rng.NormFloat64() * 0.3)
		}
		return v
	}
	layers := map[string]any{
		"input_shape": []int{3, 8, 8},
		"layers": []map[string]any{
			{"type": "conv2d", "in_channels": 3, "out_channels": 4, "kernel": []int{3, 3}, "stride": []int{1, 1}, "padding": []int{1, 1}, "weight": rnd(4 * 3 * 9), "bias": rnd(4)},
			{"type": "relu"},
			{"type": "maxpool2d", "kernel": []int{2, 2}, "stride": []int{2, 2}, "padding": []int{0, 0}},
			{"type": "flatten"},
			{"type": "linear", "in_features": 64, "out_features": 5, "weight": rnd(5 * 64), "bias": rnd(5)},
		},
	}
	write := func(name string, v any) {
		js, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(dir, name), js, 0o644))
	}
	write("tiny.layers.json", layers)
	m, _, err := LoadModel(dir, "tiny", LayersJSON)
	require.NoError(t, err)
	b64 := func(rows [][]float32) []string {
		out := make([]string, len(rows))
		for i, r := range rows {
			b := make([]byte, 4*len(r))
			for k, v := range r {
				binary.LittleEndian.PutUint32(b[4*k:], math.Float32bits(v))
			}
			out[i] = base64.StdEncoding.EncodeToString(b)
		}
		return out
	}
	e := lrp.NewExplainer(m)
	var inputs, logits [][]float32
	var predicted []int
	configs := map[string]any{}
	for range 3 {
		x := make([]float32, 3*8*8)
		for i := range x {
			x[i] = rng.Float32()
		}
		l, err := e.Forward(x)
		require.NoError(t, err)
		inputs, logits = append(inputs, x), append(logits, append([]float32(nil), l...))
		predicted = append(predicted, lrp.Argmax(l))
	}
	for _, name := range []string{"epsilon_gamma_box", "gradient", "alpha2beta1", "not_a_rule"} {
		method := name
		if _, ok := Configs[name]; !ok {
			method = "lrp0"
		}
		var rel [][]float32
		for i, x := range inputs {
			r, err := e.Explain(x, lrp.Options{Method: method, Target: lrp.Class(predicted[i])})
			require.NoError(t, err)
			rel = append(rel, append([]float32(nil), r.Relevance...))
		}
		configs[name] = map[string]any{"relevance_b64": b64(rel)}
	}
	write("tiny.cases.json", map[string]any{
		"input_shape": []int{3, 8, 8}, "inputs_b64": b64(inputs), "logits_b64": b64(logits),
		"predicted": predicted, "configs": configs,
	})
	lines, err := Run(dir, PreferONNX)
	require.NoError(t, err)
	require.Len(t, lines, 4)
	for _, l := range lines {
		t.Logf("%s/%s: %.3g unknown=%v", l.Model, l.Config, l.Err, l.Unknown)
		if l.Config == "not_a_rule" {
			assert.True(t, l.Unknown, "config not_a_rule: not flagged unknown")
			continue
		}
		assert.False(t, l.Unknown, "%s: flagged unknown; want an exact match", l.Config)
		assert.NoError(t, l.Fail, "%s: want an exact match", l.Config)
		assert.Zero(t, l.Err, "%s: max rel diff; want an exact match", l.Config)
	}
}
