package main

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/lrp/eval"
	"github.com/lrpwasm/lrp/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recipeFile writes the model of issue 15 (input [3,1024,1024], a 3×3
// conv 3→92 with padding 1, global average pooling, flatten, dense 92→10;
// an 8 KB file) and returns its path.
func recipeFile(t *testing.T) string {
	conv := &lrp.Conv2D{InC: 3, OutC: 92, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, PL: 1, PB: 1, PR: 1, Groups: 1,
		W: make([]float32, 92*27), B: make([]float32, 92)}
	m, err := lrp.NewModel("recipe", lrp.InputSpec{Shape: []int{3, 1024, 1024}, Low: 0, High: 1}, []lrp.Node{
		{Name: "conv", Layer: conv, Inputs: []int{lrp.Input}},
		{Name: "gap", Layer: &lrp.GlobalAvgPool{}, Inputs: []int{0}},
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{1}},
		{Name: "fc", Layer: &lrp.Dense{In: 92, Out: 10, W: make([]float32, 920)}, Inputs: []int{2}},
	}, nil)
	require.NoError(t, err)
	data, err := model.EncodeSafetensors(m, nil, "F16")
	require.NoError(t, err)
	p := filepath.Join(t.TempDir(), "recipe.safetensors")
	require.NoError(t, os.WriteFile(p, data, 0o644))
	return p
}

// The commands refuse what a session refuses, before they allocate: info
// prints the memory and "valid: no" and exits 1, convert and explain
// return the session's error.
func TestCommandsRefuseWhatTheSessionRefuses(t *testing.T) {
	p := recipeFile(t)
	f, err := readModel(p)
	require.NoError(t, err)
	var buf bytes.Buffer
	assert.False(t, printInfo(&buf, f))
	out := buf.String()
	assert.Regexp(t, `memory:     \d+ MiB to explain with epsilon_gamma_box, up to \d+ MiB \(alpha2beta1\); the limit is 1536 MiB`, out)
	assert.Contains(t, out, "valid:      no: lrp: model recipe needs")
	assert.Equal(t, errExit, runInfo([]string{p}))

	want := "lrp: model recipe needs"
	assert.ErrorContains(t, runConvert([]string{p, "-o", filepath.Join(t.TempDir(), "out.safetensors")}), want)
	assert.ErrorContains(t, runExplain([]string{"-model", p, "testdata/digit7.png", "-o", t.TempDir()}), want)
}

// explain checks -scale before it makes a PNG: a huge scale is an error,
// not a panic or an out-of-memory death.
func TestExplainScaleChecked(t *testing.T) {
	cnn := refdata.Path(t, "cnn.onnx")
	for _, scale := range []string{"5000000000", "100000", "1000"} {
		err := runExplain([]string{"-model", cnn, "-scale", scale, "testdata/digit7.png", "-o", t.TempDir()})
		assert.ErrorContains(t, err, "lrp: -scale "+scale, "scale %s", scale)
	}
	require.NoError(t, runExplain([]string{"-model", cnn, "-scale", "3", "testdata/digit7.png", "-o", t.TempDir()}))
}

// evaluate checks what its workers need together before it starts them.
func TestEvaluateWorkersChecked(t *testing.T) {
	f, err := loadModel(refdata.Path(t, "cnn.onnx"))
	require.NoError(t, err)
	names := append(lrp.Methods(), "random")
	assert.NoError(t, checkWorkers(f.Model, names, eval.Config{}, 2))
	assert.ErrorContains(t, checkWorkers(f.Model, names, eval.Config{}, 1<<20), "use fewer -workers or -methods")
}
