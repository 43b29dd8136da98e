//go:build js && wasm

package heatmap

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lrpwasm/lrp/internal/simdtest"
	"github.com/stretchr/testify/require"
)

// Under scripts/go_js_wasm_exec, which supplies the SIMD kernels, the
// tests run on them unless LRP_SIMD is 0.
func init() {
	UseSIMD(simdtest.On())
}

// TestDrawSIMDMatchesGo draws relevance maps on the SIMD kernels and in
// Go, for every colormap, scale and sign, one and three channels, sizes
// around the kernels' groups of four pixels, maps with ±0, ties, tiny and
// huge values, all zero or constant, and a sum that overflows, and
// requires the same heatmap, mask, range and error.
func TestDrawSIMDMatchesGo(t *testing.T) {
	simdtest.Require(t)
	defer UseSIMD(true)
	r := rand.New(rand.NewPCG(17, 1))
	maps := map[string]func(n int) []float32{
		"normal": func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.NormFloat64())
			}
			return v
		},
		"signed zeros and ties": func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5, -2}[r.IntN(6)]
			}
			return v
		},
		"wide": func(n int) []float32 {
			v := make([]float32, n)
			for i := range v {
				v[i] = float32(r.NormFloat64() * math.Pow(10, float64(r.IntN(60)-30)))
			}
			return v
		},
		"zero":     func(n int) []float32 { return make([]float32, n) },
		"constant": func(n int) []float32 { v := make([]float32, n); fill(v, 3); return v },
		"overflow": func(n int) []float32 { v := make([]float32, n); fill(v, 3e38); return v },
		"last tail pixel": func(n int) []float32 {
			v := make([]float32, n)
			v[n-1] = -7
			return v
		},
	}
	for name, gen := range maps {
		for _, c := range []int{1, 3} {
			for _, hw := range []int{1, 3, 4, 5, 7, 8, 28, 784, 787} {
				rel := gen(c * hw)
				for _, cmap := range ColorMapNames() {
					for _, scale := range []Scale{Symmetric, MinMax} {
						for _, sign := range []Sign{All, Positive, Negative} {
							opt := Options{ColorMap: cmap, Scale: scale, Sign: sign}
							what := fmt.Sprintf("%s c=%d hw=%d %+v", name, c, hw, opt)
							draw := func(simd bool) ([]uint8, []uint8, [2]float32, error) {
								UseSIMD(simd)
								heat, mask := make([]uint8, 4*hw), make([]uint8, hw)
								for i := range mask {
									mask[i] = 0xaa // Draw writes every byte
								}
								lo, hi, err := Draw(heat, mask, rel, c, 1, hw, opt)
								return heat, mask, [2]float32{lo, hi}, err
							}
							h1, m1, r1, e1 := draw(true)
							h0, m0, r0, e0 := draw(false)
							require.Equal(t, e0, e1, what)
							if e0 != nil {
								continue
							}
							require.Equal(t, h0, h1, what)
							require.Equal(t, m0, m1, what)
							require.Equal(t, math.Float32bits(r0[0]), math.Float32bits(r1[0]), what)
							require.Equal(t, math.Float32bits(r0[1]), math.Float32bits(r1[1]), what)
						}
					}
				}
			}
		}
	}
}

func fill(v []float32, x float32) {
	for i := range v {
		v[i] = x
	}
}
