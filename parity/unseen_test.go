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
	require.Len(t, lines, 5)
	assert.True(t, lines[0].Logits && lines[0].Config == "logits", "line 0 %+v: want the logits", lines[0])
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

// TestLogitsOnly: a case file without configs, in a folder below the one
// Run is given, is a check of the logits: the engine's own pass, a changed
// logit fails by its size relative to the largest, and a file with
// neither logits nor configs is refused.
func TestLogitsOnly(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "deeper", "set")
	require.NoError(t, os.MkdirAll(sub, 0o755))
	layers := map[string]any{
		"input_shape": []int{4},
		"layers": []map[string]any{
			{"type": "linear", "in_features": 4, "out_features": 3, "weight": []float32{1, -2, 0.5, 1, 0, 1, -1, 2, 3, 0.25, -0.5, 1}, "bias": []float32{0.1, -0.2, 0.3}},
		},
	}
	write := func(name string, v any) {
		js, err := json.Marshal(v)
		require.NoError(t, err)
		require.NoError(t, os.WriteFile(filepath.Join(sub, name), js, 0o644))
	}
	write("lin.layers.json", layers)
	m, _, err := LoadModel(sub, "lin", LayersJSON)
	require.NoError(t, err)
	x := []float32{0.5, -1, 2, 0.25}
	z, err := m.Forward(x)
	require.NoError(t, err)
	cases := func(logits []float32) map[string]any {
		return map[string]any{"input_shape": []int{4}, "inputs": [][]float32{x}, "logits": [][]float32{logits},
			"predicted": []int{lrp.Argmax(z)}, "configs": map[string]any{}}
	}
	write("lin.cases.json", cases(z))
	lines, err := Run(dir, PreferONNX)
	require.NoError(t, err)
	require.Len(t, lines, 1)
	l := lines[0]
	assert.Equal(t, "deeper/set/lin", l.Model, "model name: the path below the folder")
	assert.True(t, l.Logits, "the logits line")
	assert.NoError(t, l.Fail)
	assert.Zero(t, l.Err, "the engine's own logits")

	off := append([]float32(nil), z...)
	big := 0
	for k, v := range z {
		if math.Abs(float64(v)) > math.Abs(float64(z[big])) {
			big = k
		}
	}
	off[(big+1)%3] += 1e-3 * float32(math.Abs(float64(z[big])))
	write("lin.cases.json", cases(off))
	lines, err = Run(dir, PreferONNX)
	require.NoError(t, err)
	require.Len(t, lines, 1)
	assert.InDelta(t, 1e-3, lines[0].Err, 1e-6, "a logit off by 1e-3 of the largest")

	write("lin.cases.json", map[string]any{"input_shape": []int{4}, "inputs": [][]float32{x}, "predicted": []int{0}, "configs": map[string]any{}})
	_, err = Run(dir, PreferONNX)
	assert.ErrorContains(t, err, "nothing to compare")
}
