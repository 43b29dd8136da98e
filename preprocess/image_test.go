package preprocess

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// gradient is a w×h opaque image with R = 50·x, G = 60·y, B = 255.
func gradient(w, h int) []uint8 {
	pix := make([]uint8, 4*w*h)
	for y := range h {
		for x := range w {
			i := 4 * (y*w + x)
			pix[i], pix[i+1], pix[i+2], pix[i+3] = uint8(50*x), uint8(60*y), 255, 255
		}
	}
	return pix
}

func near(t *testing.T, name string, got, want []float32) {
	t.Helper()
	require.Len(t, got, len(want), name)
	worst, at := 0.0, -1
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > worst {
			worst, at = d, i
		}
	}
	if at >= 0 {
		assert.LessOrEqual(t, worst, 1e-4, "%s: value %d = %v, want %v\ngot  %v\nwant %v", name, at, got[at], want[at], got, want)
	}
}

func TestImage(t *testing.T) {
	const s = 1.0 / 255
	for _, tc := range []struct {
		name      string
		pix       []uint8
		w, h      int
		c, oh, ow int
		mean, std []float32
		lo, hi    float32
		want      []float32
	}{
		// 4×2 → 2×2: scale 1, keep columns 1, 2.
		{"crop", gradient(4, 2), 4, 2, 3, 2, 2, nil, nil, 0, 255, []float32{
			50, 100, 50, 100, // R
			0, 0, 60, 60, // G
			255, 255, 255, 255, // B
		}},
		// 8×4 → 2×2: scale ½, window columns 2..5; each output averages 2×2:
		// R (100+150)/2, (200+250)/2; G (0+60)/2, (120+180)/2.
		{"shrink", gradient(8, 4), 8, 4, 3, 2, 2, nil, nil, 0, 1, []float32{
			125 * s, 225 * s, 125 * s, 225 * s,
			30 * s, 30 * s, 150 * s, 150 * s,
			1, 1, 1, 1,
		}},
		// 3×3 → 2×2: output 0 covers [0, 1.5): (1·p0 + ½·p1)/1.5.
		// R: (0 + 25)/1.5, (25 + 100)/1.5; G: (0 + 30)/1.5, (30 + 120)/1.5.
		{"fractional", gradient(3, 3), 3, 3, 3, 2, 2, nil, nil, 0, 255, []float32{
			50.0 / 3, 250.0 / 3, 50.0 / 3, 250.0 / 3,
			20, 20, 100, 100,
			255, 255, 255, 255,
		}},
		// 2×1 → 4×2 enlarges by 2: centres at −¼, ¼, ¾, 1¼ source pixels,
		// so R = 0, ¼·50, ¾·50, 50 (edges clamped).
		{"enlarge", gradient(2, 1), 2, 1, 3, 2, 4, nil, nil, 0, 255, []float32{
			0, 12.5, 37.5, 50, 0, 12.5, 37.5, 50,
			0, 0, 0, 0, 0, 0, 0, 0,
			255, 255, 255, 255, 255, 255, 255, 255,
		}},
		// Normalization: (x − mean)/std on [0, 1] values.
		{"normalize", gradient(4, 2), 4, 2, 3, 2, 2, []float32{0.5, 0, 1}, []float32{0.25, 2, 0.5}, 0, 1, []float32{
			(50*s - 0.5) / 0.25, (100*s - 0.5) / 0.25, (50*s - 0.5) / 0.25, (100*s - 0.5) / 0.25,
			0, 0, 30 * s, 30 * s,
			0, 0, 0, 0,
		}},
		// Range [−1, 1].
		{"range", gradient(2, 1), 2, 1, 3, 1, 2, nil, nil, -1, 1, []float32{
			-1, 100*s - 1, -1, -1, 1, 1,
		}},
		// Gray: 0.299·50 + 0.587·60 + 0.114·255 = 79.22 → 79 at (1, 1).
		{"gray", gradient(2, 2), 2, 2, 1, 2, 2, nil, nil, 0, 255, []float32{
			29, 44, 64, 79, // 0.114·255 = 29.07; +0.299·50 = 44.02; +0.587·60 = 64.29
		}},
		// Transparent and half-transparent black over white.
		{"alpha", []uint8{0, 0, 0, 0, 0, 0, 0, 51}, 2, 1, 3, 1, 2, nil, nil, 0, 1, []float32{
			1, 0.8, 1, 0.8, 1, 0.8,
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]float32, tc.c*tc.oh*tc.ow)
			require.NoError(t, Image(dst, tc.pix, tc.w, tc.h, tc.c, tc.oh, tc.ow, tc.mean, tc.std, tc.lo, tc.hi))
			near(t, tc.name, dst, tc.want)
		})
	}
}

func TestImageErrors(t *testing.T) {
	pix := gradient(4, 2)
	dst := make([]float32, 12)
	nan := float32(math.NaN())
	for _, tc := range []struct {
		name      string
		dst       []float32
		pix       []uint8
		c, oh, ow int
		mean, std []float32
		lo, hi    float32
		want      string
	}{
		{"channels", dst, pix, 2, 2, 2, nil, nil, 0, 1, "2 channels"},
		{"out", dst, pix, 3, 0, 2, nil, nil, 0, 1, "invalid output size"},
		{"out huge", dst, pix, 3, 1 << 20, 1 << 20, nil, nil, 0, 1, "invalid output size"},
		{"dst", dst[:11], pix, 3, 2, 2, nil, nil, 0, 1, "destination has 11 values"},
		{"image", dst, pix[:31], 3, 2, 2, nil, nil, 0, 1, "image has 31 bytes"},
		{"mean only", dst, pix, 3, 2, 2, []float32{0, 0, 0}, nil, 0, 1, "mean has 3 and std 0"},
		{"mean short", dst, pix, 3, 2, 2, []float32{0}, []float32{1}, 0, 1, "want both nil or both 3"},
		{"std zero", dst, pix, 3, 2, 2, []float32{0, 0, 0}, []float32{1, 0, 1}, 0, 1, "channel 1"},
		{"range", dst, pix, 3, 2, 2, nil, nil, nan, 1, "not finite"},
	} {
		err := Image(tc.dst, tc.pix, 4, 2, tc.c, tc.oh, tc.ow, tc.mean, tc.std, tc.lo, tc.hi)
		if assert.ErrorContains(t, err, tc.want, tc.name) {
			assert.True(t, strings.HasPrefix(err.Error(), "preprocess: "), "%s: error %q, want preprocess: …%s…", tc.name, err, tc.want)
		}
	}
}

func TestImageAllocs(t *testing.T) {
	pix := gradient(64, 48)
	dst := make([]float32, 3*32*32)
	var s Scratch
	n := testing.AllocsPerRun(10, func() {
		require.NoError(t, s.Image(dst, pix, 64, 48, 3, 32, 32, []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}, 0, 1))
	})
	assert.Zero(t, n, "allocations of Scratch.Image per call in steady state")
}

func BenchmarkImage640x480To224(b *testing.B) {
	pix := gradient(640, 480)
	dst := make([]float32, 3*224*224)
	var s Scratch
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Image(dst, pix, 640, 480, 3, 224, 224, []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}, 0, 1); err != nil {
			b.Fatal(err)
		}
	}
}
