//go:build wasm

package preprocess

// simd is set while Picture runs on the SIMD kernel (UseSIMD).
var simd bool

// UseSIMD chooses how Picture draws in wasm: with on, four pixels at a
// time on the kernel picture of wasm/kernels/kernels.wat, which the host
// supplies as an import of module lrpsimd (web/runtime.js does, as for package
// lrp's kernels); without, in Go. Both draw the same bytes. It reports
// whether the kernel is in use; natively there is none. It is meant to be
// called once, at start-up.
func UseSIMD(on bool) bool {
	simd = on
	return simd
}

//go:wasmimport lrpsimd picture
//go:noescape
func pictureSIMD(dst *uint8, x *float32, n, plane, drawn int32, p *pictureParams)

// simdPicture draws the first n pixels of Picture on the kernel, n =
// plane rounded down to a multiple of 4, and returns n; 0 when the kernel
// is not in use.
func simdPicture(dst []uint8, x []float32, plane, drawn int, p *pictureParams) int {
	n := plane &^ 3
	if !simd || n == 0 {
		return 0
	}
	dst, x = dst[:4*plane], x[:drawn*plane] // the kernel reads these: checked as Picture checks them
	pictureSIMD(&dst[0], &x[0], int32(n), int32(plane), int32(drawn), p)
	return n
}
