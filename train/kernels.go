package train

// The inner loops of every layer: y += a·x and x·y (the convolution's
// im2col / col2im pair is the engine's, lrp.Conv2D.Im2col and Col2im). Go
// does not vectorize, so what counts is memory traffic per multiply-add:
// axpy4 and dot4 take four rows at once, which loads and stores y once for
// four products.

// axpy sets y += a·x (len(x) ≥ len(y)).
func axpy(y []float32, a float32, x []float32) {
	x = x[:len(y)]
	i := 0
	for ; i+4 <= len(y); i += 4 {
		y[i] += a * x[i]
		y[i+1] += a * x[i+1]
		y[i+2] += a * x[i+2]
		y[i+3] += a * x[i+3]
	}
	for ; i < len(y); i++ {
		y[i] += a * x[i]
	}
}

// dot returns Σ x_i·y_i (len(y) ≥ len(x)).
func dot(x, y []float32) float32 {
	y = y[:len(x)]
	var s0, s1, s2, s3 float32
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s0 += x[i] * y[i]
		s1 += x[i+1] * y[i+1]
		s2 += x[i+2] * y[i+2]
		s3 += x[i+3] * y[i+3]
	}
	for ; i < len(x); i++ {
		s0 += x[i] * y[i]
	}
	return (s0 + s1) + (s2 + s3)
}

// axpy4 sets y += a[0]·x0 + a[1]·x1 + a[2]·x2 + a[3]·x3 (each len(x) ≥ len(y)).
func axpy4(y []float32, a []float32, x0, x1, x2, x3 []float32) {
	a0, a1, a2, a3 := a[0], a[1], a[2], a[3]
	x0, x1, x2, x3 = x0[:len(y)], x1[:len(y)], x2[:len(y)], x3[:len(y)]
	for i := range y {
		y[i] += a0*x0[i] + a1*x1[i] + a2*x2[i] + a3*x3[i]
	}
}

// dot4 returns x·y0, x·y1, x·y2 and x·y3 (each len(y) ≥ len(x)).
func dot4(x, y0, y1, y2, y3 []float32) (s0, s1, s2, s3 float32) {
	y0, y1, y2, y3 = y0[:len(x)], y1[:len(x)], y2[:len(x)], y3[:len(x)]
	for i, v := range x {
		s0 += v * y0[i]
		s1 += v * y1[i]
		s2 += v * y2[i]
		s3 += v * y3[i]
	}
	return s0, s1, s2, s3
}
