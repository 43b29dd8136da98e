package train

// The inner loops of every layer: y += a·x, x·y, and the im2col / col2im
// pair of the convolution. Go does not vectorize, so what counts is memory
// traffic per multiply-add: axpy4 and dot4 take four rows at once, which
// loads and stores y once for four products.

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

// convGeom is the geometry of one Conv2D on a [C][H][W] input.
type convGeom struct {
	c, h, w        int // input
	oh, ow         int // output
	kh, kw         int
	sh, sw, dh, dw int
	pt, pl         int
}

// k is the patch length C·KH·KW, p the number of output positions.
func (g *convGeom) k() int { return g.c * g.kh * g.kw }
func (g *convGeom) p() int { return g.oh * g.ow }

// im2col sets cols [K][P]: row (c, u, v) holds input pixel
// x[c][i·SH+u·DH−PT][j·SW+v·DW−PL] at column i·OW+j, 0 where padded.
func (g *convGeom) im2col(cols, x []float32) {
	np := g.p()
	r := 0
	for c := range g.c {
		xc := x[c*g.h*g.w : (c+1)*g.h*g.w]
		for u := range g.kh {
			for v := range g.kw {
				row := cols[r*np : (r+1)*np]
				r++
				for i := range g.oh {
					y := i*g.sh + u*g.dh - g.pt
					out := row[i*g.ow : (i+1)*g.ow]
					if y < 0 || y >= g.h {
						clear(out)
						continue
					}
					xr := xc[y*g.w : (y+1)*g.w]
					for j := range out {
						xx := j*g.sw + v*g.dw - g.pl
						if xx >= 0 && xx < g.w {
							out[j] = xr[xx]
						} else {
							out[j] = 0
						}
					}
				}
			}
		}
	}
}

// col2im sets dx [C][H][W] to the sum of cols [K][P] over the positions
// im2col read them from: the transpose of im2col.
func (g *convGeom) col2im(dx, cols []float32) {
	clear(dx)
	np := g.p()
	r := 0
	for c := range g.c {
		xc := dx[c*g.h*g.w : (c+1)*g.h*g.w]
		for u := range g.kh {
			for v := range g.kw {
				row := cols[r*np : (r+1)*np]
				r++
				for i := range g.oh {
					y := i*g.sh + u*g.dh - g.pt
					if y < 0 || y >= g.h {
						continue
					}
					xr := xc[y*g.w : (y+1)*g.w]
					for j, val := range row[i*g.ow : (i+1)*g.ow] {
						xx := j*g.sw + v*g.dw - g.pl
						if xx >= 0 && xx < g.w {
							xr[xx] += val
						}
					}
				}
			}
		}
	}
}
