//go:build !wasm

package preprocess

// UseSIMD reports false and does nothing: only the wasm port has the SIMD
// kernel (simd_wasm.go).
func UseSIMD(bool) bool { return false }

func simdPicture([]uint8, []float32, int, int, *pictureParams) int { return 0 }
