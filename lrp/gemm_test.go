package lrp

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestGemmMatchesNaive compares gemm with a float64 triple loop on shapes
// that exercise every edge of the packing and the micro-kernel: rows and
// columns that are not multiples of the tile, depths across kc, strided
// (transposed) operands, accumulation into c, a bias, and the gemv paths.
func TestGemmMatchesNaive(t *testing.T) {
	r := newRand(7)
	var ar arena
	sizes := []int{1, 2, 3, 4, 5, 6, 7, 8, 9, 13, 17, 64, 67}
	for _, m := range sizes {
		for _, n := range []int{1, 3, 4, 5, 8, 11, 49} {
			for _, k := range []int{1, 3, 4, 7, 9, 72, kc, kc + 5, 2*kc + 3} {
				for variant := range 8 {
					transA, transB, acc := variant&1 != 0, variant&2 != 0, variant&4 != 0
					name := fmt.Sprintf("%dx%dx%d/tA=%v/tB=%v/acc=%v", m, n, k, transA, transB, acc)
					a, b := randn(r, m*k), randn(r, k*n)
					am, bm := mat{a, k, 1}, mat{b, n, 1}
					if transA {
						am = mat{a, 1, m}
					}
					if transB {
						bm = mat{b, 1, k}
					}
					ldc := n + 2
					c := randn(r, m*ldc)
					bias := randn(r, m)
					want := make([]float64, len(c))
					for i := range m {
						for j := range n {
							s := float64(bias[i])
							if acc {
								s += float64(c[i*ldc+j])
							}
							for p := range k {
								s += float64(am.d[i*am.rs+p*am.cs]) * float64(bm.d[p*bm.rs+j*bm.cs])
							}
							want[i*ldc+j] = s
						}
						for j := n; j < ldc; j++ {
							want[i*ldc+j] = float64(c[i*ldc+j])
						}
					}
					gemmBias(m, n, k, am, bm, c, ldc, acc, bias, &ar)
					bad, first := 0, 0
					for i, w := range want {
						if d := math.Abs(float64(c[i]) - w); d > 1e-5*(1+math.Abs(w))*math.Sqrt(float64(k+1)) {
							if bad == 0 {
								first = i
							}
							bad++
						}
					}
					require.Zerof(t, bad, "%s: %d of %d values off, the first c[%d] = %g, want %g", name, bad, len(want), first, c[first], want[first])
				}
			}
		}
	}
}
