package preprocess

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestPicture(t *testing.T) {
	for _, tc := range []struct {
		name      string
		x         []float32
		c, h, w   int
		mean, std []float32
		lo, hi    float32
		want      []uint8
	}{
		// 0.5·255 = 127.5 rounds half to even: 128; out of range clamps.
		{"gray", []float32{0, 0.5, 1, -0.2, 1.5}, 1, 1, 5, nil, nil, 0, 1, []uint8{
			0, 0, 0, 255, 128, 128, 128, 255, 255, 255, 255, 255, 0, 0, 0, 255, 255, 255, 255, 255}},
		{"range", []float32{0, 255, 100}, 1, 1, 3, nil, nil, 0, 255, []uint8{
			0, 0, 0, 255, 255, 255, 255, 255, 100, 100, 100, 255}},
		// x·std + mean per channel: R (0·0.5 + 0.5), G (1·0.25 + 0.25), B (−1·0.5 + 1).
		{"rgb", []float32{0, 1, -1}, 3, 1, 1, []float32{0.5, 0.25, 1}, []float32{0.5, 0.25, 0.5}, 0, 1, []uint8{128, 128, 128, 255}},
		// Two channels: the first is shown, as gray.
		{"two channels", []float32{1, 0}, 2, 1, 1, nil, nil, 0, 1, []uint8{255, 255, 255, 255}},
		// An empty range counts as 1.
		{"empty range", []float32{0.2}, 1, 1, 1, nil, nil, 0, 0, []uint8{51, 51, 51, 255}},
		{"NaN", []float32{float32(math.NaN())}, 1, 1, 1, nil, nil, 0, 1, []uint8{0, 0, 0, 255}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]uint8, 4*tc.h*tc.w)
			require.NoError(t, Picture(dst, tc.x, tc.c, tc.h, tc.w, tc.mean, tc.std, tc.lo, tc.hi))
			assert.Equal(t, tc.want, dst)
		})
	}
}

// TestPictureInvertsImage: an image preprocessed with Image and drawn with
// Picture is the image again, with ImageNet's normalization.
func TestPictureInvertsImage(t *testing.T) {
	pix := gradient(4, 3)
	mean, std := []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
	x := make([]float32, 3*3*4)
	require.NoError(t, Image(x, pix, 4, 3, 3, 3, 4, mean, std, 0, 1))
	got := make([]uint8, len(pix))
	require.NoError(t, Picture(got, x, 3, 3, 4, mean, std, 0, 1))
	assert.Equal(t, pix, got)
}

func TestPictureErrors(t *testing.T) {
	for _, tc := range []struct {
		name      string
		dst       []uint8
		x         []float32
		c, h, w   int
		mean, std []float32
		want      string
	}{
		{"shape", make([]uint8, 4), make([]float32, 1), 1, 0, 1, nil, nil, "preprocess: invalid input shape 1×0×1"},
		{"input", make([]uint8, 4), make([]float32, 2), 1, 1, 1, nil, nil, "preprocess: input has 2 values, want 1×1×1 = 1"},
		{"destination", make([]uint8, 3), make([]float32, 1), 1, 1, 1, nil, nil, "preprocess: destination has 3 bytes, want 4×1×1 = 4"},
		{"mean", make([]uint8, 4), make([]float32, 3), 3, 1, 1, []float32{0}, []float32{1}, "preprocess: mean has 1 and std 1 entries, want both nil or both at least 3"},
		{"std", make([]uint8, 4), make([]float32, 1), 1, 1, 1, []float32{0}, nil, "preprocess: mean has 1 and std 0 entries, want both nil or both at least 1"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, Picture(tc.dst, tc.x, tc.c, tc.h, tc.w, tc.mean, tc.std, 0, 1), tc.want)
		})
	}
}
