//go:build js && wasm

package main

import (
	"syscall/js"

	"github.com/lrpwasm/lrp/heatmap"
	"github.com/lrpwasm/lrp/lrp"
	picture "github.com/lrpwasm/lrp/preprocess" // main.go has a func preprocess
)

// init puts the engine's products, the heatmap and the picture on the
// SIMD kernels when the host supplies them: web/runtime.js sets
// globalThis.__lrpSimd to true before it starts the program, once it has
// instantiated the kernels (web/kernels.wasm) on this module's memory, and
// leaves it unset for the pure-Go kernels (no WebAssembly SIMD in the
// host, or init({simd: false})).
func init() {
	on := js.Global().Get("__lrpSimd").Truthy()
	lrp.UseSIMD(on)
	heatmap.UseSIMD(on)
	picture.UseSIMD(on)
}
