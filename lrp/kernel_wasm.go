//go:build wasm

package lrp

// ku is the unrolling of the micro-kernel's main loop in depth; a depth
// that is 4 more than a multiple of 8 ends with a loop of two depths.
const ku = 8

// kernel sets (or adds to, with add) c[i][j] the products
// Σ_t a[t][i]·b[t][j] of one packed row pair a with the packed column
// panels of b, kp deep (a multiple of 4: padKu), for the len(c[0]) columns of
// whole panels, plus bias[i]; c[1] is nil when only row 0 is wanted. One
// call per row pair, not per tile: Go's wasm calls are expensive, and with
// small kp the call was most of the cost. The loop conditions and the
// array conversions keep bounds checks out of the inner body.
//
// In wasm, V8's optimizing compiler (TurboFan) rather than Go decides the
// registers: it moves every load of a basic block to the top of the block
// and every product to the end, so the values loaded in one block plus
// the 8 sums compete for 15 xmm registers, and the rest is spilled. Each
// back edge of the loop costs a br_table dispatch and the moves of the
// loop state. This kernel unrolls 8× and converts b two depths at a time:
// the length check before each pair starts a new block, which bounds the
// loads hoisted together to 12, while the dispatch is paid once per 8
// depths. Measured under Node 20 on the ResNet-18 shapes of BenchmarkGemm
// (medians of 3, GFLOP/s, 4× unrolled → this kernel): 64×3136×576 5.3 →
// 5.6, 512×49×4608 5.3 → 5.6, 576×3136×64 5.5 → 5.8. One check per depth
// (8 blocks) ran at 3.6, 8× without a check at 4.8, and the 3×4 and 2×6
// tiles at or below the 2×4 one, with more spills.
func kernel(kp int, a, bp []float32, c *[mr][]float32, add bool, bias [mr]float32) {
	a = a[:kp*mr]
	c0, c1 := c[0], c[1]
	for len(c0) >= nr && len(bp) >= kp*nr {
		var c00, c01, c02, c03, c10, c11, c12, c13, x0, x1, y float32
		a, b := a, bp[:kp*nr]
		for len(a) >= ku*mr {
			pa := (*[ku * mr]float32)(a)
			pb := (*[2 * nr]float32)(b)
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
			b = b[2*nr:]
			pb = (*[2 * nr]float32)(b)
			x0, x1 = pa[4], pa[5]
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
			x0, x1 = pa[6], pa[7]
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
			b = b[2*nr:]
			pb = (*[2 * nr]float32)(b)
			x0, x1 = pa[8], pa[9]
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
			x0, x1 = pa[10], pa[11]
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
			b = b[2*nr:]
			pb = (*[2 * nr]float32)(b)
			x0, x1 = pa[12], pa[13]
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
			x0, x1 = pa[14], pa[15]
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
			a, b = a[ku*mr:], b[2*nr:]
		}
		for len(a) >= 2*mr && len(b) >= 2*nr { // the last 4 depths of kp ≡ 4 (mod 8), two at a time
			pa, pb := (*[2 * mr]float32)(a), (*[2 * nr]float32)(b)
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
			a, b = a[2*mr:], b[2*nr:]
		}
		store(c0, c00, c01, c02, c03, bias[0], add)
		if c1 != nil {
			store(c1, c10, c11, c12, c13, bias[1], add)
			c1 = c1[nr:]
		}
		c0, bp = c0[nr:], bp[kp*nr:]
	}
}
