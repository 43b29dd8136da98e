package lrp

import (
	"fmt"
	"math/rand/v2"
	"testing"
)

// BenchmarkGemm measures the kernel alone on the shapes of typical layers,
// forward (W·cols) and transposed (Wᵀ·g), reporting GFLOP/s.
func BenchmarkGemm(b *testing.B) {
	for _, s := range []struct{ m, n, k int }{
		{8, 784, 9},     // fixture cnn conv1
		{9, 784, 8},     // fixture cnn conv1, transposed
		{16, 196, 72},   // fixture cnn conv2
		{64, 3136, 576}, // ResNet-18 layer1 conv
		{512, 49, 4608}, // ResNet-18 layer4 conv
		{576, 3136, 64}, // ResNet-18 layer1 conv, transposed
		{4608, 49, 512}, // ResNet-18 layer4 conv, transposed
	} {
		b.Run(fmt.Sprintf("%dx%dx%d", s.m, s.n, s.k), func(b *testing.B) {
			benchGemm(b, s.m, s.n, s.k, false)
		})
		b.Run(fmt.Sprintf("%dx%dx%d-T", s.m, s.n, s.k), func(b *testing.B) {
			benchGemm(b, s.m, s.n, s.k, true)
		})
	}
}

func benchGemm(b *testing.B, m, n, k int, trans bool) {
	r := rand.New(rand.NewPCG(1, 1))
	w, x, c := randn(r, m*k), randn(r, k*n), make([]float32, m*n)
	a := mat{w, k, 1}
	if trans {
		a = mat{w, 1, m}
	}
	var ar arena
	t0 := CPUTime()
	for b.Loop() {
		gemm(m, n, k, a, mat{x, n, 1}, c, n, false, &ar)
	}
	if t := CPUTime() - t0; t > 0 {
		b.ReportMetric(2*float64(m*n*k)*float64(b.N)/t.Seconds()/1e9, "cpu-GFLOP/s")
	}
}
