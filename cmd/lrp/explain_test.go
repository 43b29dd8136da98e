package main

import (
	"bytes"
	"encoding/json"
	"flag"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// TestExplainGolden explains a drawn 7 (a fixture MNIST test digit written
// as a 224×224 black-on-white PNG) with the fixture cnn and compares the
// heatmap PNG with the golden file, which was checked by eye: positive
// (red) relevance on the stroke of the 7.
func TestExplainGolden(t *testing.T) {
	out := t.TempDir()
	err := runExplain([]string{"-model", refdata.Path(t, "cnn.onnx"), "testdata/digit7.png", "-o", out})
	require.NoError(t, err)
	var rep struct {
		Predicted int       `json:"predicted"`
		Relevance []float32 `json:"relevance"`
	}
	js, _ := os.ReadFile(filepath.Join(out, "digit7.json"))
	require.NoError(t, json.Unmarshal(js, &rep))
	require.Equal(t, 7, rep.Predicted, "class")
	require.Len(t, rep.Relevance, 784, "relevances")
	for _, name := range []string{"digit7.heatmap.png", "digit7.overlay.png"} {
		got, err := os.ReadFile(filepath.Join(out, name))
		require.NoError(t, err)
		golden := filepath.Join("testdata", "golden-"+name)
		if *update {
			os.WriteFile(golden, got, 0o644)
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "run go test -update")
		d := maxPixelDiff(t, got, want)
		t.Logf("%s: max channel difference to golden %d", name, d)
		assert.LessOrEqual(t, d, 2, "%s differs from %s by up to %d levels", name, golden, d)
	}
}

func maxPixelDiff(t *testing.T, a, b []byte) int {
	t.Helper()
	ia, err := png.Decode(bytes.NewReader(a))
	require.NoError(t, err, "decode")
	ib, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err, "decode the golden file")
	require.Equal(t, ib.Bounds(), ia.Bounds(), "sizes differ")
	d := 0
	r := ia.Bounds()
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			d = max(d, diff(ia, ib, x, y))
		}
	}
	return d
}

func diff(a, b image.Image, x, y int) int {
	r1, g1, b1, _ := a.At(x, y).RGBA()
	r2, g2, b2, _ := b.At(x, y).RGBA()
	abs := func(p, q uint32) int {
		if p > q {
			return int(p-q) >> 8
		}
		return int(q-p) >> 8
	}
	return max(abs(r1, r2), abs(g1, g2), abs(b1, b2))
}

// TestBuiltinModelExplainsStrokes explains two MNIST test digits with the
// built-in model and epsilon_gamma_box: the class is right, most positive
// relevance lies on the ink, and the heatmaps match the golden files (looked
// at by eye: red along the strokes of the 3 and of the 8's loops).
func TestBuiltinModelExplainsStrokes(t *testing.T) {
	out := t.TempDir()
	digits := []int{3, 8}
	var args []string
	for _, d := range digits {
		args = append(args, filepath.Join("testdata", "mnist-"+string(rune('0'+d))+".json"))
	}
	require.NoError(t, runExplain(append([]string{"-model", "../../model/mnist.safetensors", "-o", out}, args...)))
	for _, d := range digits {
		name := "mnist-" + string(rune('0'+d))
		var x []float32
		var rep struct {
			Predicted int       `json:"predicted"`
			Relevance []float32 `json:"relevance"`
		}
		js, _ := os.ReadFile(filepath.Join("testdata", name+".json"))
		json.Unmarshal(js, &x)
		js, _ = os.ReadFile(filepath.Join(out, name+".json"))
		require.NoError(t, json.Unmarshal(js, &rep))
		var pos, onInk float64
		for i, r := range rep.Relevance {
			if r > 0 {
				pos += float64(r)
				if x[i] > 0 {
					onInk += float64(r)
				}
			}
		}
		t.Logf("%s: class %d, %.1f%% of positive relevance on ink pixels", name, rep.Predicted, 100*onInk/pos)
		assert.Equal(t, d, rep.Predicted, "%s: class", name)
		assert.GreaterOrEqual(t, onInk, 0.7*pos, "%s: %.2f of positive relevance on the ink, want ≥ 0.7", name, onInk/pos)
		got, _ := os.ReadFile(filepath.Join(out, name+".heatmap.png"))
		golden := filepath.Join("testdata", "golden-"+name+".heatmap.png")
		if *update {
			os.WriteFile(golden, got, 0o644)
		}
		want, err := os.ReadFile(golden)
		require.NoError(t, err, "run go test -update")
		if diff := maxPixelDiff(t, got, want); assert.LessOrEqual(t, diff, 2, "%s differs from %s by up to %d levels", name, golden, diff) {
			t.Logf("%s: max channel difference to golden %d", name, diff)
		}
	}
}
