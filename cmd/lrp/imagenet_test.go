package main

import (
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/png"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/app"
	"github.com/lrpwasm/lrp/model"
)

// resnet18 is a torchvision ResNet-18 export without normalization or
// names (model/testdata/onnx/resnet18_narrow.py).
const resnet18 = "../../model/testdata/onnx/resnet18_narrow.onnx"

// lrp info says what a session assumes for a torchvision export.
func TestInfoImageNetAssumed(t *testing.T) {
	out, err := stdout(t, func() error { return runInfo([]string{resnet18}) })
	require.NoError(t, err)
	for _, want := range []string{
		"normalize:  none in the file; ImageNet's assumed: x = (pixel − [0.485 0.456 0.406]) / [0.229 0.224 0.225]\n",
		"zᴮ bounds:  [-2.117904 -2.0357141 -1.8044444] to [2.2489083 2.4285715 2.64]",
		"classes:    1000, ImageNet class names assumed: tench, goldfish, great white shark, tiger shark, hammerhead, electric ray, stingray, cock, hen, ostrich, … (1000 names)\n",
	} {
		assert.Contains(t, out, want, "lrp info:\n%s", out)
	}
}

// convert -mean -std -labels writes the normalization and the names into
// the file; info shows them and a session loads them as the file's.
func TestConvertNormalizationAndLabels(t *testing.T) {
	dir := t.TempDir()
	names := make([]string, 1000)
	for i := range names {
		names[i] = fmt.Sprintf("class %d", i)
	}
	names[3] = "naïve 🐟"
	js, err := json.Marshal(names)
	require.NoError(t, err)
	labels := filepath.Join(dir, "names.json")
	require.NoError(t, os.WriteFile(labels, js, 0o644))
	conv := filepath.Join(dir, "resnet.safetensors")
	out, err := stdout(t, func() error {
		return runConvert([]string{resnet18, "-o", conv, "-samples", "2", "-mean", "0.5, 0.4,0.3", "-std", "0.25,0.2,0.125", "-labels", labels})
	})
	require.NoError(t, err)
	assert.NotContains(t, out, "note:", "nothing is assumed for the converted file")

	info, err := stdout(t, func() error { return runInfo([]string{conv}) })
	require.NoError(t, err)
	for _, want := range []string{
		"normalize:  from the file: x = (pixel − [0.5 0.4 0.3]) / [0.25 0.2 0.125]\n",
		"zᴮ bounds:  [-2 -2 -2.4] to [2 3 5.6]",
		"classes:    1000, names from the file: class 0, class 1, class 2, naïve 🐟, class 4,",
	} {
		assert.Contains(t, info, want, "lrp info:\n%s", info)
	}

	s, err := app.Open(readAll(t, conv))
	require.NoError(t, err)
	in := s.Info()
	assert.Equal(t, []float32{0.5, 0.4, 0.3}, in.Mean)
	assert.Equal(t, []float32{0.25, 0.2, 0.125}, in.Std)
	assert.Equal(t, "file", in.Normalization)
	assert.Empty(t, in.NormalizationAssumed)
	assert.Equal(t, names, in.Labels)
	assert.Equal(t, "file", in.LabelsFrom)
	assert.Empty(t, in.LabelsAssumed)

	// imagenet writes ImageNet's; without flags the file keeps none, and
	// convert says what the app assumes.
	out, err = stdout(t, func() error {
		return runConvert([]string{resnet18, "-o", conv, "-samples", "1", "-mean", "imagenet", "-std", "imagenet", "-labels", "imagenet"})
	})
	require.NoError(t, err)
	assert.NotContains(t, out, "note:")
	f, err := model.Load(readAll(t, conv))
	require.NoError(t, err)
	mean, std := model.ImageNetNormalization()
	assert.Equal(t, mean, f.Model.Input.Mean)
	assert.Equal(t, std, f.Model.Input.Std)
	assert.Equal(t, model.ImageNetClasses(), f.Model.Labels)
	out, err = stdout(t, func() error { return runConvert([]string{resnet18, "-o", conv, "-samples", "1"}) })
	require.NoError(t, err)
	assert.Contains(t, out, "has no input normalization; the app assumes ImageNet's (-mean imagenet writes it)")
	assert.Contains(t, out, "has no class names; the app assumes ImageNet's (-labels imagenet writes them)")
}

func TestConvertSettingsErrors(t *testing.T) {
	dir := t.TempDir()
	short := filepath.Join(dir, "short.txt")
	require.NoError(t, os.WriteFile(short, []byte("cat\ndog\n"), 0o644))
	big := filepath.Join(dir, "big.txt")
	require.NoError(t, os.WriteFile(big, make([]byte, app.MaxLabelsFile+1), 0o644))
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"-mean", "0.5,0.5,0.5"}, "lrp: -std is missing"},
		{[]string{"-mean", "0.5,x,0.5", "-std", "1,1,1"}, "lrp: -mean wants comma-separated numbers"},
		{[]string{"-mean", "0.5", "-std", "1"}, "app: settings: normalization: 1 means and 1 stds for an input of 3 channels"},
		{[]string{"-mean", "0,0,0", "-std", "1,0,1"}, "app: settings: normalization channel 1: mean 0, std 0"},
		{[]string{"-mean", "NaN,0,0", "-std", "1,1,1"}, "normalization channel 0: mean NaN"},
		{[]string{"-mean", "none", "-std", "1,1,1"}, "lrp: -mean wants comma-separated numbers"},
		{[]string{"-labels", short}, "app: labels: the file has 2 lines, the model has 1000 classes"},
		{[]string{"-labels", big}, "more than the 4194304 a names file may have"},
		{[]string{"-labels", filepath.Join(dir, "missing.txt")}, "no such file"},
	} {
		out := filepath.Join(dir, "out.safetensors")
		_, err := stdout(t, func() error {
			return runConvert(append([]string{resnet18, "-o", out, "-samples", "1"}, tc.args...))
		})
		require.Error(t, err, "%v", tc.args)
		assert.Contains(t, err.Error(), tc.want, "%v", tc.args)
		assert.NoFileExists(t, out, "%v", tc.args)
	}
}

// explain -mean none explains without the assumed normalization, and the
// report says which normalization and names it used.
func TestExplainNormalizationFlags(t *testing.T) {
	dir := t.TempDir()
	img := image.NewNRGBA(image.Rect(0, 0, 224, 224))
	for y := range 224 {
		for x := range 224 {
			img.Set(x, y, color.NRGBA{uint8(x), uint8(y), 128, 255})
		}
	}
	photo := filepath.Join(dir, "photo.png")
	f, err := os.Create(photo)
	require.NoError(t, err)
	require.NoError(t, png.Encode(f, img))
	require.NoError(t, f.Close())

	report := func(args ...string) map[string]any {
		out := filepath.Join(dir, strings.Join(args, ""))
		_, err := stdout(t, func() error {
			return runExplain(append(append([]string{"-model", resnet18}, args...), photo, "-o", out))
		})
		require.NoError(t, err, "%v", args)
		var r struct {
			Settings map[string]any `json:"settings"`
			Label    string         `json:"label"`
		}
		require.NoError(t, json.Unmarshal(readAll(t, filepath.Join(out, "photo.json")), &r))
		r.Settings["label"] = r.Label
		return r.Settings
	}
	assumed := report()
	assert.Equal(t, "imagenet", assumed["normalization"])
	assert.Equal(t, "imagenet", assumed["labels"])
	assert.Contains(t, model.ImageNetClasses(), assumed["label"])
	none := report("-mean", "none", "-labels", "indices")
	assert.Equal(t, "none", none["normalization"])
	assert.Nil(t, none["mean"])
	assert.Equal(t, "indices", none["labels"])
	assert.Regexp(t, `^\d+$`, none["label"])
}

func readAll(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}
