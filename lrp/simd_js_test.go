//go:build js && wasm

package lrp

import (
	"fmt"
	"math"
	"testing"

	"github.com/lrpwasm/lrp/internal/simdtest"
	"github.com/stretchr/testify/require"
)

// Under scripts/go_js_wasm_exec, which supplies the SIMD kernel, the tests
// run on it unless LRP_SIMD is 0.
func init() {
	UseSIMD(simdtest.On())
}

// TestGemmSIMDMatchesGo runs gemm on the SIMD kernel and on the pure-Go
// one, on shapes around every edge of both tiles (the SIMD kernel's 4×8,
// with a last row pair or column panel read twice, and the Go kernel's
// 2×4 with the last columns through a buffer), with and without a bias
// and accumulation, b with contiguous rows (packed by the kernel) or
// columns (by Go), and requires the same products to the bit.
func TestGemmSIMDMatchesGo(t *testing.T) {
	simdtest.Require(t)
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

// TestWinogradSIMDMatchesGo runs the Winograd input and output transforms
// on the SIMD kernel and in Go, on tile grids around the kernel's groups
// of four tiles and columns, odd and even sizes, every padding, with and
// without a bias and accumulation, and requires the same values to the
// bit, every plane and the scratch buffer's plane included.
func TestWinogradSIMDMatchesGo(t *testing.T) {
	simdtest.Require(t)
	defer UseSIMD(true)
	r := newRand(13)
	same := func(name string, got, want []float32) {
		t.Helper()
		for i := range want {
			if math.Float32bits(got[i]) != math.Float32bits(want[i]) {
				require.Failf(t, "SIMD and Go transforms differ", "%s: [%d] = %g, want %g", name, i, got[i], want[i])
			}
		}
	}
	for _, c := range []int{1, 3} {
		for _, th := range []int{1, 2, 5} {
			for _, tw := range []int{1, 3, 4, 5, 7, 8, 9, 13} {
				for _, pad := range [][2]int{{0, 0}, {1, 1}, {2, 0}, {0, 2}} {
					for _, dh := range []int{-1, 0, 1} {
						h, w := 2*th+dh, 2*tw+dh
						if h < 1 || w < 1 {
							continue
						}
						name := fmt.Sprintf("input c=%d th=%d tw=%d pad=%v h=%d w=%d", c, th, tw, pad, h, w)
						nt := th * tw
						vs := c*nt + 5
						xs := h*w + 7 // channels apart, as in a split's half
						x, v0 := randn(r, c*xs), randn(r, 16*vs)
						var v, p [2][]float32
						for i, on := range []bool{true, false} {
							v[i], p[i] = append([]float32(nil), v0...), make([]float32, (2*th+6)*(2*tw+2))
							UseSIMD(on)
							winoInput(v[i], x, c, h, w, th, tw, pad[0], pad[1], vs, p[i], xs)
						}
						same(name, v[0], v[1])
						same(name+" pad", p[0][:(2*th+2)*(2*tw+2)], p[1][:(2*th+2)*(2*tw+2)])
					}
				}
				for _, oh := range []int{2*th - 1, 2 * th} {
					for _, ow := range []int{2*tw - 1, 2 * tw} {
						for variant := range 4 {
							withBias, acc := variant&1 != 0, variant&2 != 0
							name := fmt.Sprintf("output k=%d th=%d tw=%d oh=%d ow=%d bias=%v acc=%v", c, th, tw, oh, ow, withBias, acc)
							nt := th * tw
							ms := c*nt + 3
							m := randn(r, 16*ms)
							var bias []float32
							if withBias {
								bias = randn(r, c)
							}
							ds := oh*ow + 5 // channels apart, as in a split's half
							d0 := randn(r, c*ds)
							d0[0] = float32(math.Copysign(0, -1))
							got, want := append([]float32(nil), d0...), append([]float32(nil), d0...)
							UseSIMD(true)
							winoOutput(got, m, c, oh, ow, th, tw, ms, bias, acc, ds)
							UseSIMD(false)
							winoOutput(want, m, c, oh, ow, th, tw, ms, bias, acc, ds)
							same(name, got, want)
						}
					}
				}
			}
		}
	}
}

// BenchmarkWinoTransforms times the Winograd input and output transforms
// of ResNet-18's layer1 (64 channels, 56×56) on the SIMD kernel and in Go.
func BenchmarkWinoTransforms(b *testing.B) {
	defer UseSIMD(simdtest.On())
	const c, hw = 64, 56
	th, tw := hw/2, hw/2
	nt := th * tw
	vs := planeStride(c * nt)
	r := newRand(1)
	x, v, m, dst := randn(r, c*hw*hw), make([]float32, 16*vs), randn(r, 16*vs), make([]float32, c*hw*hw)
	pad := make([]float32, (2*th+6)*(2*tw+2))
	for _, on := range []bool{true, false} {
		if on && !simdtest.On() {
			continue
		}
		kern := map[bool]string{true: "simd", false: "go"}[on]
		UseSIMD(on)
		b.Run(kern+"/input", func(b *testing.B) {
			t0 := CPUTime()
			for b.Loop() {
				winoInput(v, x, c, hw, hw, th, tw, 1, 1, vs, pad, hw*hw)
			}
			b.ReportMetric(float64(CPUTime()-t0)/float64(b.N), "cpu-ns/op")
		})
		b.Run(kern+"/output", func(b *testing.B) {
			t0 := CPUTime()
			for b.Loop() {
				winoOutput(dst, m, c, hw, hw, th, tw, vs, x[:c], true, hw*hw)
			}
			b.ReportMetric(float64(CPUTime()-t0)/float64(b.N), "cpu-ns/op")
		})
	}
}
