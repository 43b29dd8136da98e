package app

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/model"
)

// resnet18 is torchvision's ResNet-18 at 1/32 of its width, exported with
// torch.onnx.export as torchvision users export it: no normalization in
// the graph, a 3×224×224 input, 1,000 outputs
// (model/testdata/onnx/resnet18_narrow.py writes it).
const resnet18 = "../model/testdata/onnx/resnet18_narrow.onnx"

// photo returns a w×h RGBA image with a different colour at every pixel,
// opaque.
func photo(w, h int) []uint8 {
	rgba := make([]uint8, 4*w*h)
	for y := range h {
		for x := range w {
			p := rgba[4*(y*w+x):]
			p[0], p[1], p[2], p[3] = uint8(x), uint8(y), uint8(7*x+3*y), 255
		}
	}
	return rgba
}

// A ResNet-18 as torchvision exports it loads with ImageNet's class names
// and normalization, both marked assumed, and preprocessing a photo of the
// input size applies the mean and std: x = (p/255 − mean[c]) / std[c].
func TestImageNetModelAssumed(t *testing.T) {
	s, err := Open(readFile(t, resnet18))
	require.NoError(t, err)
	info := s.Info()
	mean, std := model.ImageNetNormalization()
	assert.Equal(t, []int{3, 224, 224}, info.InputShape)
	assert.Equal(t, 1000, info.Classes)
	assert.Equal(t, "imagenet", info.LabelsFrom)
	assert.Equal(t, "imagenet", info.LabelsAssumed)
	assert.Equal(t, model.ImageNetClasses(), info.Labels)
	assert.Equal(t, "tabby", info.Labels[281])
	assert.Equal(t, "imagenet", info.Normalization)
	assert.Equal(t, "imagenet", info.NormalizationAssumed)
	assert.Equal(t, "imagenet", info.NormalizationDefault)
	assert.Equal(t, mean, info.Mean)
	assert.Equal(t, std, info.Std)
	for c := range 3 {
		assert.Equal(t, (0-mean[c])/std[c], info.Bounds.Low[c], "zᴮ low bound, channel %d", c)
		assert.Equal(t, (1-mean[c])/std[c], info.Bounds.High[c], "zᴮ high bound, channel %d", c)
	}

	const w, h = 224, 224 // the input size: no resampling
	rgba := photo(w, h)
	x, err := s.Preprocess(rgba, w, h, "")
	require.NoError(t, err)
	require.Len(t, x, 3*w*h)
	worst := 0.0
	for c := range 3 {
		for i := range w * h {
			want := (float64(rgba[4*i+c])/255 - float64(mean[c])) / float64(std[c])
			worst = math.Max(worst, math.Abs(float64(x[c*w*h+i])-want))
		}
	}
	assert.Less(t, worst, 1e-6, "model input against (p/255 − mean[c]) / std[c]")

	r, err := s.Explain(Input{RGBA: rgba, Width: w, Height: h}, nil)
	require.NoError(t, err)
	for _, c := range r.Top[:5] {
		assert.Equal(t, model.ImageNetClasses()[c.Index], c.Label, "class %d", c.Index)
	}
}

// A model that does not look like an ImageNet classifier assumes
// nothing: its file's normalization and names, or none and the indices.
func TestNothingAssumed(t *testing.T) {
	for _, tc := range []struct {
		name, norm, labels string
		s                  *Session
	}{
		{"mnist.safetensors", "none", "file", mnist(t)},
		{"cnn.onnx", "none", "indices", open(t, "cnn")},
	} {
		info := tc.s.Info()
		assert.Equal(t, tc.norm, info.Normalization, tc.name)
		assert.Equal(t, tc.norm, info.NormalizationDefault, tc.name)
		assert.Empty(t, info.NormalizationAssumed, tc.name)
		assert.Equal(t, tc.labels, info.LabelsFrom, tc.name)
		assert.Empty(t, info.LabelsAssumed, tc.name)
		assert.Equal(t, []float32{0}, info.Bounds.Low, tc.name)
		assert.Equal(t, []float32{1}, info.Bounds.High, tc.name)
	}
}

func mnist(t testing.TB) *Session {
	t.Helper()
	s, err := Open(readFile(t, "../model/mnist.safetensors"))
	require.NoError(t, err)
	return s
}
