//go:build wasm

package heatmap

// simd is set while Draw runs on the SIMD kernels (UseSIMD).
var simd bool

// UseSIMD chooses how Draw's passes run in wasm: with on, four pixels at a
// time on the kernels heat_bounds and heat_draw of wasm/kernels/kernels.wat,
// which the host supplies as imports of module lrpsimd (web/runtime.js does,
// as for package lrp's kernels); without, in Go. Both draw the same bytes.
// It reports whether the kernels are in use; natively there are none. It
// is meant to be called once, at start-up.
func UseSIMD(on bool) bool {
	simd = on
	return simd
}

//go:wasmimport lrpsimd heat_bounds
//go:noescape
func boundsSIMD(rel *float32, c, n, hw, sign int32, out *[2]float32) bool

//go:wasmimport lrpsimd heat_draw
//go:noescape
func drawSIMD(heat, mask *uint8, rel *float32, c, n, hw, sign int32, a, b float32, pal *uint32, peak float64)

// simdBounds runs Draw's first pass over the first n pixels, n = hw
// rounded down to a multiple of 4, on the kernel: the bounds of their sums
// and n, or ok = false when the kernel is not in use, n is 0 or a sum is
// not finite (Go's pass then names the pixel).
func simdBounds(rel []float32, c, hw int, sign Sign) (n int, vmin, vmax float32, ok bool) {
	n = hw &^ 3
	if !simd || n == 0 {
		return 0, 0, 0, false
	}
	rel = rel[:c*hw] // the kernel reads these: checked as pixel checks them
	var out [2]float32
	if !boundsSIMD(&rel[0], int32(c), int32(n), int32(hw), int32(sign), &out) {
		return 0, 0, 0, false
	}
	return n, out[0], out[1], true
}

// simdDraw runs Draw's second pass over the first n pixels on the kernel,
// n = hw rounded down to a multiple of 4, and returns n; 0 when the kernel
// is not in use. mask may be nil.
func simdDraw(heat, mask []uint8, rel []float32, c, hw int, sign Sign, a, b float32, cm *colormap, peak float64) int {
	n := hw &^ 3
	if !simd || n == 0 {
		return 0
	}
	rel, heat = rel[:c*hw], heat[:4*hw]
	var pm *uint8
	if mask != nil {
		pm = &mask[:hw][0]
	}
	drawSIMD(&heat[0], pm, &rel[0], int32(c), int32(n), int32(hw), int32(sign), a, b, &cm.rgba[0], peak)
	return n
}
