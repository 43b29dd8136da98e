//go:build js && wasm

package lrp

import (
	"fmt"
	"math"
	"os"
	"testing"

	"github.com/stretchr/testify/require"
)

// Under scripts/go_js_wasm_exec, which supplies the SIMD kernel, the tests
// run on it unless LRP_SIMD is 0.
func init() {
	UseSIMD(os.Getenv("LRP_SIMD") == "1")
}

// TestGemmSIMDMatchesGo runs gemm on the SIMD kernel and on the pure-Go
// one, on shapes around every edge of both tiles (the SIMD kernel's 4×8,
// with a last row pair or column panel read twice, and the Go kernel's
// 2×4 with the last columns through a buffer), with and without a bias
// and accumulation, b with contiguous rows (packed by the kernel) or
// columns (by Go), and requires the same products to the bit.
func TestGemmSIMDMatchesGo(t *testing.T) {
	if os.Getenv("LRP_SIMD") != "1" {
		t.Skip("the SIMD kernel is not supplied: run with -exec scripts/go_js_wasm_exec")
	}
	defer UseSIMD(true)
	r := newRand(11)
	var ar arena
	for _, m := range []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 63, 64, 65, 130} {
		for _, n := range []int{1, 3, 4, 5, 7, 8, 9, 12, 13, 16, 17, 49} {
			for _, k := range []int{1, 4, 9, kc + 5} {
				for variant := range 8 {
					withBias, acc, transB := variant&1 != 0, variant&2 != 0, variant&4 != 0
					name := fmt.Sprintf("%dx%dx%d/bias=%v/acc=%v/tB=%v", m, n, k, withBias, acc, transB)
					a, b := randn(r, m*k), randn(r, k*n)
					bm := mat{b, n, 1}
					if transB {
						bm = mat{b, 1, k}
					}
					var bias []float32
					if withBias {
						bias = randn(r, m)
					}
					ldc := n + 3
					c0 := randn(r, m*ldc)
					c0[0] = float32(math.Copysign(0, -1))
					got, want := append([]float32(nil), c0...), append([]float32(nil), c0...)
					UseSIMD(true)
					gemmBias(m, n, k, mat{a, k, 1}, bm, got, ldc, acc, bias, &ar)
					UseSIMD(false)
					gemmBias(m, n, k, mat{a, k, 1}, bm, want, ldc, acc, bias, &ar)
					for i := range want {
						if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
							require.Failf(t, "SIMD and Go products differ", "%s: c[%d] = %g, want %g", name, i, got[i], want[i])
						}
					}
				}
			}
		}
	}
}
