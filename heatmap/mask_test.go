package heatmap

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestMask(t *testing.T) {
	inf, nan := float32(math.Inf(1)), float32(math.NaN())
	for _, tc := range []struct {
		name string
		rel  []float32
		c    int
		sign Sign
		want []uint8
	}{
		// 255·√(|v|/4): √¼ = ½ → 127.5, rounded half to even → 128.
		{"all", []float32{-4, 1, 0, 4}, 1, All, []uint8{255, 128, 0, 255}},
		{"positive", []float32{-4, 1, 0, 4}, 1, Positive, []uint8{0, 128, 0, 255}},
		{"negative", []float32{-4, 1, 0, 4}, 1, Negative, []uint8{255, 0, 0, 0}},
		// Channels are summed before the sign: 3 + (−1) = 2, −2 + 1 = −1, peak 2.
		{"channels", []float32{3, -2, -1, 1}, 2, All, []uint8{255, 180}},
		{"zero", []float32{0, 0}, 1, All, []uint8{0, 0}},
		{"nothing positive", []float32{-1, -2}, 1, Positive, []uint8{0, 0}},
		{"non-finite", []float32{inf, nan, 1}, 1, All, []uint8{0, 0, 255}},
		// 127.5 rounds up to 128 (even); 255·√(1/16) = 63.75 → 64.
		{"rounding", []float32{16, 4, 1}, 1, All, []uint8{255, 128, 64}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			hw := len(tc.rel) / tc.c
			dst := make([]uint8, hw)
			for i := range dst {
				dst[i] = 7 // every byte is written
			}
			require.NoError(t, Mask(dst, tc.rel, tc.c, 1, hw, tc.sign))
			assert.Equal(t, tc.want, dst)
		})
	}
}

func TestMaskErrors(t *testing.T) {
	for _, tc := range []struct {
		name    string
		dst     []uint8
		rel     []float32
		c, h, w int
		sign    Sign
		want    string
	}{
		{"shape", make([]uint8, 2), make([]float32, 2), 0, 1, 2, All, "heatmap: invalid shape 0×1×2"},
		{"relevance", make([]uint8, 2), make([]float32, 3), 1, 1, 2, All, "heatmap: relevance has 3 values, want 1×1×2 = 2"},
		{"mask", make([]uint8, 3), make([]float32, 2), 1, 1, 2, All, "heatmap: mask has 3 bytes, want 1×2 = 2"},
		{"sign", make([]uint8, 2), make([]float32, 2), 1, 1, 2, Sign(7), "heatmap: invalid Sign(7)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			assert.EqualError(t, Mask(tc.dst, tc.rel, tc.c, tc.h, tc.w, tc.sign), tc.want)
		})
	}
}

// TestDrawMatchesRenderAndMask: Draw's heatmap and mask are Render's and
// Mask's, byte for byte, for every sign and scale, one and three channels,
// and maps with nothing left after the sign filter.
func TestDrawMatchesRenderAndMask(t *testing.T) {
	rng := rand.New(rand.NewPCG(17, 1))
	maps := map[string]func(i int) float32{
		"mixed":    func(int) float32 { return float32(rng.NormFloat64()) * 1e-3 },
		"positive": func(int) float32 { return float32(rng.Float64()) },
		"zero":     func(int) float32 { return 0 },
		"one spot": func(i int) float32 { return float32(min(i%37, 1)) - 1 },
	}
	for name, f := range maps {
		for _, c := range []int{1, 3} {
			const h, w = 7, 9
			rel := make([]float32, c*h*w)
			for i := range rel {
				rel[i] = f(i)
			}
			for _, sign := range []Sign{All, Positive, Negative} {
				for _, scale := range []Scale{Symmetric, MinMax} {
					opt := Options{ColorMap: "coldnhot", Scale: scale, Sign: sign}
					heat, mask := make([]uint8, 4*h*w), make([]uint8, h*w)
					wantHeat, wantMask := make([]uint8, 4*h*w), make([]uint8, h*w)
					lo, hi, err := Draw(heat, mask, rel, c, h, w, opt)
					require.NoError(t, err)
					wlo, whi, err := Render(wantHeat, rel, c, h, w, opt)
					require.NoError(t, err)
					require.NoError(t, Mask(wantMask, rel, c, h, w, sign))
					assert.Equal(t, [2]float32{wlo, whi}, [2]float32{lo, hi}, "%s, %d channels, %v, %v: range", name, c, sign, scale)
					assert.Equal(t, wantHeat, heat, "%s, %d channels, %v, %v: heatmap", name, c, sign, scale)
					assert.Equal(t, wantMask, mask, "%s, %d channels, %v, %v: mask", name, c, sign, scale)
				}
			}
		}
	}
	_, _, err := Draw(make([]uint8, 4), make([]uint8, 2), []float32{1}, 1, 1, 1, Options{})
	assert.ErrorContains(t, err, "heatmap: mask has 2 bytes, want 1×1 = 1")
}
