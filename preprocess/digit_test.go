package preprocess

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// canvas is a w×h RGBA image filled with one color.
func canvas(w, h int, r, g, b, a uint8) []uint8 {
	pix := make([]uint8, 4*w*h)
	for i := 0; i < len(pix); i += 4 {
		pix[i], pix[i+1], pix[i+2], pix[i+3] = r, g, b, a
	}
	return pix
}

// fill paints the rectangle [x0, x1) × [y0, y1) of a w-wide canvas.
func fill(pix []uint8, w, x0, y0, x1, y1 int, r, g, b, a uint8) {
	for y := y0; y < y1; y++ {
		for x := x0; x < x1; x++ {
			i := 4 * (y*w + x)
			pix[i], pix[i+1], pix[i+2], pix[i+3] = r, g, b, a
		}
	}
}

// stats returns the bounding box [x0, x1) × [y0, y1) of the nonzero
// pixels of a 28×28 image and its centre of mass (row, column index).
func stats(img []float32) (x0, y0, x1, y1 int, cy, cx float64) {
	x0, y0 = DigitSize, DigitSize
	var sum float64
	for y := range DigitSize {
		for x := range DigitSize {
			v := float64(img[y*DigitSize+x])
			if v == 0 {
				continue
			}
			x0, y0, x1, y1 = min(x0, x), min(y0, y), max(x1, x+1), max(y1, y+1)
			sum += v
			cy += float64(y) * v
			cx += float64(x) * v
		}
	}
	return x0, y0, x1, y1, cy / sum, cx / sum
}

func digit(t *testing.T, pix []uint8, w, h int) []float32 {
	t.Helper()
	dst := make([]float32, DigitSize*DigitSize)
	require.NoError(t, Digit(dst, pix, w, h))
	lo, hi := slices.Min(dst), slices.Max(dst)
	require.True(t, lo >= 0 && hi <= 1, "pixels in [%v, %v], not within [0, 1]", lo, hi)
	return dst
}

// checkCentred checks that the digit has its centre of mass on (14, 14) and
// its bounding box is w×h.
func checkCentred(t *testing.T, img []float32, w, h int) {
	t.Helper()
	x0, y0, x1, y1, cy, cx := stats(img)
	assert.Equal(t, [2]int{w, h}, [2]int{x1 - x0, y1 - y0}, "bounding box (width, height) at (%d, %d)", x0, y0)
	assert.InDelta(t, 14, cy, 0.5, "centre of mass (row %.2f, column %.2f), want (14±0.5, 14±0.5)", cy, cx)
	assert.InDelta(t, 14, cx, 0.5, "centre of mass (row %.2f, column %.2f), want (14±0.5, 14±0.5)", cy, cx)
}

// TestDigitOne draws a "1": a black vertical bar 20×200, off-centre on a
// large white canvas.
func TestDigitOne(t *testing.T) {
	const w, h = 400, 300
	pix := canvas(w, h, 255, 255, 255, 255)
	fill(pix, w, 60, 40, 80, 240, 0, 0, 0, 255)
	img := digit(t, pix, w, h)
	checkCentred(t, img, 2, 20) // 20 wide, 200 high → 2×20
	assert.Equal(t, float32(1), slices.Max(img), "max ink")
}

// TestDigitWide draws a "-" and an odd-sized bar: the longer side is 20
// either way, and the centre of mass is found to within half a pixel.
func TestDigitWide(t *testing.T) {
	const w, h = 280, 280
	pix := canvas(w, h, 255, 255, 255, 255)
	fill(pix, w, 200, 250, 263, 270, 0, 0, 0, 255) // 63×20 → 20×6.35 → 20×6
	checkCentred(t, digit(t, pix, w, h), 20, 6)

	pix = canvas(w, h, 255, 255, 255, 255)
	fill(pix, w, 3, 5, 10, 17, 0, 0, 0, 255) // 7×12, enlarged → 11.67 → 12×20
	checkCentred(t, digit(t, pix, w, h), 12, 20)
}

// seven draws a "7" (top bar, an anti-aliased edge, a slanted stroke) with
// ink levels 255 and 127; dark ink on light paper unless light is set.
func seven(w, h int, light bool) []uint8 {
	gray := func(ink uint8) uint8 {
		if light {
			return ink
		}
		return 255 - ink
	}
	paper, ink, edge := gray(0), gray(255), gray(127)
	pix := canvas(w, h, paper, paper, paper, 255)
	fill(pix, w, 50, 40, 150, 60, ink, ink, ink, 255)
	fill(pix, w, 50, 60, 150, 62, edge, edge, edge, 255)
	for y := 60; y < 200; y++ {
		x := 150 - (y-60)/3
		fill(pix, w, x-10, y, x+10, y+1, ink, ink, ink, 255)
	}
	return pix
}

func TestDigitPolarity(t *testing.T) {
	const w, h = 200, 220
	black := digit(t, seven(w, h, false), w, h)
	white := digit(t, seven(w, h, true), w, h)
	assert.Equal(t, black, white, "black on white and white on black differ")
	// The "7" is top-heavy, yet its mass is centred and nothing is cut off.
	x0, y0, x1, y1, cy, cx := stats(black)
	assert.Equal(t, 20, y1-y0, "box [%d, %d)×[%d, %d): height", x0, x1, y0, y1)
	assert.True(t, x0 >= 0 && x1 <= DigitSize, "box [%d, %d)×[%d, %d) cut off", x0, x1, y0, y1)
	assert.InDelta(t, 14, cy, 0.5, "centre (%.2f, %.2f)", cy, cx)
	assert.InDelta(t, 14, cx, 0.5, "centre (%.2f, %.2f)", cy, cx)
}

func TestDigitTransparent(t *testing.T) {
	const w, h = 200, 220
	opaque := seven(w, h, false)
	// The same drawing as black ink of varying alpha on a transparent canvas.
	clear := make([]uint8, len(opaque))
	for i := 0; i < len(opaque); i += 4 {
		clear[i+3] = 255 - opaque[i]
	}
	want := digit(t, opaque, w, h)
	got := digit(t, clear, w, h)
	worst, at := 0.0, 0
	for i := range want {
		if d := math.Abs(float64(got[i] - want[i])); d > worst {
			worst, at = d, i
		}
	}
	require.LessOrEqual(t, worst, 1.0/255, "largest difference at pixel %d: transparent %v, opaque %v", at, got[at], want[at])
}

func TestDigitEmpty(t *testing.T) {
	for name, pix := range map[string][]uint8{
		"white":       canvas(50, 40, 255, 255, 255, 255),
		"black":       canvas(50, 40, 0, 0, 0, 255),
		"transparent": canvas(50, 40, 0, 0, 0, 0),
		"faint": func() []uint8 {
			p := canvas(50, 40, 255, 255, 255, 255)
			fill(p, 50, 10, 10, 20, 20, 230, 230, 230, 255)
			return p
		}(),
	} {
		dst := make([]float32, DigitSize*DigitSize)
		dst[5] = 7 // Digit must clear it
		require.NoError(t, Digit(dst, pix, 50, 40), name)
		assert.Zero(t, slices.Max(dst), "%s: not all zero", name)
	}
}

func TestDigitErrors(t *testing.T) {
	ok := make([]float32, DigitSize*DigitSize)
	for _, tc := range []struct {
		name string
		dst  []float32
		pix  []uint8
		w, h int
		want string
	}{
		{"short", ok, make([]uint8, 15), 2, 2, "image has 15 bytes"},
		{"zero", ok, nil, 0, 2, "invalid image size"},
		{"negative", ok, make([]uint8, 16), -2, -2, "invalid image size"},
		{"huge", ok, nil, 1 << 20, 1 << 20, "invalid image size"},
		{"area", ok, nil, 1 << 15, 1 << 15, "invalid image size"},
		{"dst", ok[:783], make([]uint8, 16), 2, 2, "784"},
	} {
		err := Digit(tc.dst, tc.pix, tc.w, tc.h)
		if assert.ErrorContains(t, err, tc.want, tc.name) {
			assert.True(t, strings.HasPrefix(err.Error(), "preprocess: "), "%s: error %q, want preprocess: …%s…", tc.name, err, tc.want)
		}
	}
}

func TestDigitAllocs(t *testing.T) {
	const w, h = 280, 280
	pix := seven(w, h, false)
	dst := make([]float32, DigitSize*DigitSize)
	var s Scratch
	n := testing.AllocsPerRun(10, func() {
		require.NoError(t, s.Digit(dst, pix, w, h))
	})
	assert.Zero(t, n, "allocations of Scratch.Digit per call in steady state")
}

func BenchmarkDigit280(b *testing.B) {
	const w, h = 280, 280
	pix := seven(w, h, false)
	dst := make([]float32, DigitSize*DigitSize)
	var s Scratch
	b.ReportAllocs()
	for b.Loop() {
		if err := s.Digit(dst, pix, w, h); err != nil {
			b.Fatal(err)
		}
	}
}

// TestDigitEdges puts ink in the first and the last column of an odd-width
// canvas: the pair-wise scan must see both, in either polarity.
func TestDigitEdges(t *testing.T) {
	const w, h = 201, 150
	for _, light := range []bool{false, true} {
		paper, ink := uint8(255), uint8(0)
		if light {
			paper, ink = ink, paper
		}
		pix := canvas(w, h, paper, paper, paper, 255)
		fill(pix, w, 0, 0, 1, 100, ink, ink, ink, 255)      // column 0, rows 0..99
		fill(pix, w, 200, 50, 201, 150, ink, ink, ink, 255) // column 200, rows 50..149
		img := digit(t, pix, w, h)
		// The box is 201×150 → 20×15 (14.93); each line is 1/10 of a column.
		x0, y0, x1, y1, _, _ := stats(img)
		assert.Equal(t, [2]int{20, 15}, [2]int{x1 - x0, y1 - y0}, "light=%v: bounding box (width, height) at (%d, %d)", light, x0, y0)
	}
}
