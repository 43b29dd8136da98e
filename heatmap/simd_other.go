//go:build !wasm

package heatmap

// UseSIMD reports false and does nothing: only the wasm port has the SIMD
// kernels (simd_wasm.go).
func UseSIMD(bool) bool { return false }

func simdBounds([]float32, int, int, Sign) (n int, vmin, vmax float32, ok bool) {
	return 0, 0, 0, false
}

func simdDraw(_, _ []uint8, _ []float32, _, _ int, _ Sign, _, _ float32, _ *colormap, _ float64) int {
	return 0
}
