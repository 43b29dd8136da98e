package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/internal/refdata"
)

// An input that is finite but overflows the network (3e38 in every pixel)
// is explained: the report writes the non-finite logits as null (it used to
// fail with "json: unsupported value: NaN" after writing the PNGs) and says
// diagnostics.nan.
func TestExplainNonFiniteReport(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "huge.json")
	js, err := json.Marshal(slices.Repeat([]float32{3e38}, 784))
	require.NoError(t, err)
	require.NoError(t, os.WriteFile(in, js, 0o644))
	out := filepath.Join(dir, "out")
	require.NoError(t, runExplain([]string{"-model", refdata.Path(t, "cnn.onnx"), "-composite", "gradient", in, "-o", out}))
	data, err := os.ReadFile(filepath.Join(out, "huge.json"))
	require.NoError(t, err)
	var rep struct {
		Logits      []*float64 `json:"logits"`
		Diagnostics struct {
			NaN bool `json:"nan"`
		} `json:"diagnostics"`
	}
	require.NoError(t, json.Unmarshal(data, &rep))
	require.Len(t, rep.Logits, 10)
	assert.Contains(t, rep.Logits, (*float64)(nil), "no logit written as null: %s", strings.SplitN(string(data), "\n", 12))
	assert.True(t, rep.Diagnostics.NaN, "diagnostics.nan")
}

// A conversion whose logits deviate by NaN (here: random inputs in a pixel
// range up to 3e38 overflow both models) is an error, and nothing is
// written; it used to print "deviation NaN" and exit 0.
func TestConvertNaNDeviation(t *testing.T) {
	out := filepath.Join(t.TempDir(), "cnn.safetensors")
	err := runConvert([]string{refdata.Path(t, "cnn.onnx"), "-o", out, "-range", "0,3e38", "-samples", "4"})
	require.Error(t, err)
	assert.Regexp(t, `^lrp: convert: the converted model's logits deviate by (NaN|\+Inf)`, err.Error())
	assert.NoFileExists(t, out)
}
