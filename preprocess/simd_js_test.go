//go:build js && wasm

package preprocess

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

// TestPictureSIMDMatchesGo draws model inputs on the SIMD kernel and in
// Go, gray and RGB, with and without a normalization, sizes around the
// kernel's groups of four pixels, values inside, outside and at the ends
// of the range, halves that round to even, NaN and ±Inf, and requires the
// same bytes.
func TestPictureSIMDMatchesGo(t *testing.T) {
	simdtest.Require(t)
	defer UseSIMD(true)
	r := rand.New(rand.NewPCG(19, 2))
	special := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.5 / 255, 1.5 / 255, 2.5 / 255, 254.5 / 255, float32(math.NaN()), float32(math.Inf(1)), float32(math.Inf(-1)), 1e30, -1e30}
	norms := []struct {
		mean, std []float32
		lo, hi    float32
	}{
		{nil, nil, 0, 1},
		{nil, nil, -1, 1},
		{nil, nil, 2, 2}, // hi = lo
		{[]float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}, 0, 1},
		{[]float32{0.1307, 0.2, 0.3}, []float32{0.3081, 0.5, 2}, 0, 255},
	}
	for _, c := range []int{1, 2, 3} {
		for _, hw := range [][2]int{{1, 1}, {1, 3}, {2, 2}, {1, 5}, {3, 3}, {28, 28}, {7, 9}} {
			h, w := hw[0], hw[1]
			x := make([]float32, c*h*w)
			for i := range x {
				if r.IntN(4) == 0 {
					x[i] = special[r.IntN(len(special))]
				} else {
					x[i] = float32(r.NormFloat64())
				}
			}
			for _, nm := range norms {
				what := fmt.Sprintf("c=%d %d×%d %+v", c, h, w, nm)
				draw := func(simd bool) ([]uint8, error) {
					UseSIMD(simd)
					dst := make([]uint8, 4*h*w)
					return dst, Picture(dst, x, c, h, w, nm.mean, nm.std, nm.lo, nm.hi)
				}
				d1, e1 := draw(true)
				d0, e0 := draw(false)
				require.Equal(t, e0, e1, what)
				require.NoError(t, e0, what)
				require.Equal(t, d0, d1, what)
			}
		}
	}
}
