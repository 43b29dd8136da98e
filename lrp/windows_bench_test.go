package lrp

import "testing"

// Benchmarks of the fixture cnn's windowed steps alone, at its shapes: its
// first max pooling, the col2im of its second convolution (flat, 3×3) and
// that convolution's sparse transpose below a 2×2 max pooling. In wasm,
// run through scripts/go_js_wasm_exec, they measure the SIMD kernels
// (LRP_SIMD=1, the default there) or the Go loops (LRP_SIMD=0).

// cnnConv is the fixture cnn's second convolution: 8 → 16 channels,
// 3×3, stride 1, padding 1, at 14×14.
func cnnConv() *Conv2D {
	return &Conv2D{InC: 8, OutC: 16, Groups: 1, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1}
}

func BenchmarkMaxPool2x2(b *testing.B) {
	l := &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2}
	x := randn(newRand(1), 8*28*28)
	dst, arg := make([]float32, 8*14*14), make([]int32, 8*14*14)
	for b.Loop() {
		maxPool(dst, arg, x, l, []int{8, 28, 28})
	}
}

func BenchmarkCol2imFlat(b *testing.B) {
	l := cnnConv()
	cols := randn(newRand(1), 72*196)
	dst := make([]float32, 8*196)
	for b.Loop() {
		l.col2im(dst, cols, 0, 8, 14, 14, 14, 14)
	}
}

func BenchmarkConvTransposeSparse(b *testing.B) {
	l := cnnConv()
	r := newRand(1)
	w, g := randn(r, 16*72), randn(r, 16*196)
	for i := range g {
		if i%4 != 1 { // one nonzero in four, as below a 2×2 max pooling
			g[i] = 0
		}
	}
	dst := make([]float32, 8*196)
	in := []int{8, 14, 14}
	var a arena
	for b.Loop() {
		p := pass{exact: true}
		l.transpose(dst, term(g, w), false, in, &p, &a)
	}
}
