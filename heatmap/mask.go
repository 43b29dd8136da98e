package heatmap

import (
	"fmt"
	"math"
)

// Mask writes into dst, one byte per pixel (h·w), the opacity with which
// the heatmap of rel ([c][h][w] row-major) is drawn over its input, so
// that the input shows through where nothing is relevant:
//
//	mask = 255 · √(|v| / max|v|)
//
// where v is the pixel's channel sum after the sign filter (Render's) and
// the maximum runs over the map. The square root lifts moderate relevance
// into view: most pixels hold a small fraction of the peak. The opacity is
// rounded half to even (as a browser's Uint8ClampedArray stores it). A NaN
// or infinite sum counts as no relevance; a map without relevance is all
// zero.
func Mask(dst []uint8, rel []float32, c, h, w int, sign Sign) error {
	hw, err := checkSize(c, h, w)
	if err != nil {
		return err
	}
	if len(rel) != c*hw {
		return fmt.Errorf("heatmap: relevance has %d values, want %d×%d×%d = %d", len(rel), c, h, w, c*hw)
	}
	if len(dst) != hw {
		return fmt.Errorf("heatmap: mask has %d bytes, want %d×%d = %d", len(dst), h, w, hw)
	}
	if sign < All || sign > Negative {
		return fmt.Errorf("heatmap: invalid %v", sign)
	}
	var peak float64
	for i := range hw {
		if m := magnitude(pixel(rel, i, hw, c, sign)); m > peak { // both ≥ +0
			peak = m
		}
	}
	if peak == 0 {
		clear(dst)
		return nil
	}
	for i := range hw {
		dst[i] = opacity(pixel(rel, i, hw, c, sign), peak)
	}
	return nil
}

// opacity is the mask of a pixel whose sum is v, for peak > 0.
func opacity(v float32, peak float64) uint8 {
	return uint8(math.RoundToEven(255 * math.Sqrt(magnitude(v)/peak)))
}

// magnitude is |v|, and 0 for NaN and ±Inf.
func magnitude(v float32) float64 {
	a := math.Abs(float64(v))
	if math.IsNaN(a) || math.IsInf(a, 0) {
		return 0
	}
	return a
}
