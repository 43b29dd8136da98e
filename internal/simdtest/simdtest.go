// Package simdtest is the tests' switch of the SIMD kernels. Under
// scripts/go_js_wasm_exec, which supplies the kernels to a wasm test
// binary, LRP_SIMD is 1 (0 asks for the pure-Go loops): the tests that
// compare a kernel with its Go loop run then, and skip elsewhere.
package simdtest

import (
	"os"
	"testing"
)

// On reports whether the SIMD kernels are supplied and asked for.
func On() bool { return os.Getenv("LRP_SIMD") == "1" }

// Require skips t unless the SIMD kernels are supplied (On).
func Require(t testing.TB) {
	t.Helper()
	if !On() {
		t.Skip("the SIMD kernels are not supplied: run with -exec scripts/go_js_wasm_exec")
	}
}
