//go:build !wasm

package lrp

// ku is the unrolling of the micro-kernel in depth.
const ku = 4

// UseSIMD reports false and does nothing: only the wasm port has SIMD
// kernels (simd_wasm.go).
func UseSIMD(bool) bool { return false }

// macro is macroGo, the only kernel natively.
func macro(ap, bp []float32, mb, n, kp int, c []float32, ldc int, add bool, bias []float32) {
	macroGo(ap, bp, mb, n, kp, c, ldc, add, bias)
}

// packB is packBGo, the only packing natively.
func packB(bp []float32, b mat, p0, kb, kp, n int) { packBGo(bp, b, p0, kb, kp, n) }

// winoInput is winoInputGo, the only Winograd input transform natively.
func winoInput(v, x []float32, c, h, w, th, tw, pt, pl, vs int, pad []float32, xs int) {
	winoInputGo(v, x, c, h, w, th, tw, pt, pl, vs, pad, xs)
}

// winoOutput is winoOutputGo, the only Winograd output transform natively.
func winoOutput(dst, m []float32, k, oh, ow, th, tw, ms int, bias []float32, acc bool, ds int) {
	winoOutputGo(dst, m, k, oh, ow, th, tw, ms, bias, acc, ds)
}

// kernel sets (or adds to, with add) c[i][j] the products
// Σ_t a[t][i]·b[t][j] of one packed row pair a with the packed column
// panels of b, kp deep (a multiple of ku), for the len(c[0]) columns of
// whole panels, plus bias[i]; c[1] is nil when only row 0 is wanted. One
// call per row pair, not per tile: Go's wasm calls are expensive, and with
// small kp the call was most of the cost. The loop conditions and the
// array conversions keep bounds checks out of the inner body.
//
// Natively the 2×4 tile, two a values and one b value fit the 15 float
// registers that amd64 Go allocates, unrolled 4×. Larger tiles spill: 3×4
// ran at 6.5 GFLOP/s against 10.0 for 2×4 on the ResNet-18 shapes of
// BenchmarkGemm, and the wasm kernel (kernel_wasm.go) at 7.3.
func kernel(kp int, a, bp []float32, c *[mr][]float32, add bool, bias [mr]float32) {
	a = a[:kp*mr]
	c0, c1 := c[0], c[1]
	for len(c0) >= nr && len(bp) >= kp*nr {
		var c00, c01, c02, c03, c10, c11, c12, c13, x0, x1, y float32
		a, b := a, bp[:kp*nr]
		for len(a) >= ku*mr && len(b) >= ku*nr {
			pa := (*[ku * mr]float32)(a)
			pb := (*[ku * nr]float32)(b)
			x0, x1 = pa[0], pa[1]
			y = pb[0]
			c00 += x0 * y
			c10 += x1 * y
			y = pb[1]
			c01 += x0 * y
			c11 += x1 * y
			y = pb[2]
			c02 += x0 * y
			c12 += x1 * y
			y = pb[3]
			c03 += x0 * y
			c13 += x1 * y
			x0, x1 = pa[2], pa[3]
			y = pb[4]
			c00 += x0 * y
			c10 += x1 * y
			y = pb[5]
			c01 += x0 * y
			c11 += x1 * y
			y = pb[6]
			c02 += x0 * y
			c12 += x1 * y
			y = pb[7]
			c03 += x0 * y
			c13 += x1 * y
			x0, x1 = pa[4], pa[5]
			y = pb[8]
			c00 += x0 * y
			c10 += x1 * y
			y = pb[9]
			c01 += x0 * y
			c11 += x1 * y
			y = pb[10]
			c02 += x0 * y
			c12 += x1 * y
			y = pb[11]
			c03 += x0 * y
			c13 += x1 * y
			x0, x1 = pa[6], pa[7]
			y = pb[12]
			c00 += x0 * y
			c10 += x1 * y
			y = pb[13]
			c01 += x0 * y
			c11 += x1 * y
			y = pb[14]
			c02 += x0 * y
			c12 += x1 * y
			y = pb[15]
			c03 += x0 * y
			c13 += x1 * y
			a, b = a[ku*mr:], b[ku*nr:]
		}
		store(c0, c00, c01, c02, c03, bias[0], add)
		if c1 != nil {
			store(c1, c10, c11, c12, c13, bias[1], add)
			c1 = c1[nr:]
		}
		c0, bp = c0[nr:], bp[kp*nr:]
	}
}
