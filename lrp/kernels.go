package lrp

// The affine layers (Dense and Conv2D) share two operations that every rule
// is built from: the forward product z = W*x + b with any weights of the
// layer's shape, and the transposed product c = Wᵀ*g. Both accumulate in
// float64 and round once, so results do not depend on summation order to
// within float32 precision.

// affine is implemented by *Dense and *Conv2D.
type affine interface {
	Layer
	params() (w, b []float32)
	// forward sets dst = w*x + b for weights w of the layer's shape and an
	// input x of shape in; b may be nil.
	forward(dst, x, w, b []float32, in []int, a *arena)
	// transpose sets dst = wᵀ*g, the gradient of w*x with respect to x at g.
	transpose(dst, g, w []float32, in []int, a *arena)
}

func (l *Dense) params() (w, b []float32)  { return l.W, l.B }
func (l *Conv2D) params() (w, b []float32) { return l.W, l.B }

// forward: x [In], w [Out][In], b [Out] → dst [Out].
func (l *Dense) forward(dst, x, w, b []float32, _ []int, _ *arena) {
	n := l.In
	for o := range l.Out {
		row := w[o*n : o*n+n]
		var s float64
		if b != nil {
			s = float64(b[o])
		}
		for i, v := range row {
			s += float64(v) * float64(x[i])
		}
		dst[o] = float32(s)
	}
}

// transpose: g [Out], w [Out][In] → dst [In].
func (l *Dense) transpose(dst, g, w []float32, _ []int, a *arena) {
	n := l.In
	acc := a.f64(n)
	clear(acc)
	for o := range l.Out {
		go_ := float64(g[o])
		if go_ == 0 {
			continue
		}
		row := w[o*n : o*n+n]
		for i, v := range row {
			acc[i] += float64(v) * go_
		}
	}
	for i, v := range acc {
		dst[i] = float32(v)
	}
}

// outSize is the output height and width for an input of height h and width w.
func (l *Conv2D) outSize(h, w int) (oh, ow int) {
	oh = (h+l.PT+l.PB-((l.KH-1)*l.DH+1))/l.SH + 1
	ow = (w+l.PL+l.PR-((l.KW-1)*l.DW+1))/l.SW + 1
	return oh, ow
}

// im2col fills cols [OH·OW][Cg·KH·KW] with the patches of group g of
// x [InC][h][w]; padded positions are 0.
func (l *Conv2D) im2col(cols, x []float32, g, h, w, oh, ow int) {
	cg := l.InC / l.Groups
	k := cg * l.KH * l.KW
	for i := range oh {
		for j := range ow {
			p := cols[(i*ow+j)*k : (i*ow+j)*k+k]
			t := 0
			for c := range cg {
				xc := x[(g*cg+c)*h*w:]
				for u := range l.KH {
					y := i*l.SH + u*l.DH - l.PT
					for v := range l.KW {
						xx := j*l.SW + v*l.DW - l.PL
						if y >= 0 && y < h && xx >= 0 && xx < w {
							p[t] = xc[y*w+xx]
						} else {
							p[t] = 0
						}
						t++
					}
				}
			}
		}
	}
}

// forward: x [InC][h][w], w [OutC][InC/G][KH][KW], b [OutC] → dst [OutC][OH][OW].
func (l *Conv2D) forward(dst, x, w, b []float32, in []int, a *arena) {
	h, wd := in[1], in[2]
	oh, ow := l.outSize(h, wd)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	k, np := cg*l.KH*l.KW, oh*ow
	cols := a.f32(np * k)
	for g := range l.Groups {
		l.im2col(cols, x, g, h, wd, oh, ow)
		for o := g * og; o < (g+1)*og; o++ {
			row := w[o*k : o*k+k]
			var bias float64
			if b != nil {
				bias = float64(b[o])
			}
			out := dst[o*np : o*np+np]
			for p := range np {
				s := bias
				for t, v := range cols[p*k : p*k+k] {
					s += float64(row[t]) * float64(v)
				}
				out[p] = float32(s)
			}
		}
	}
}

// transpose: g [OutC][OH][OW], w [OutC][InC/G][KH][KW] → dst [InC][h][w].
func (l *Conv2D) transpose(dst, g, w []float32, in []int, a *arena) {
	h, wd := in[1], in[2]
	oh, ow := l.outSize(h, wd)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	k, np := cg*l.KH*l.KW, oh*ow
	acc := a.f64(len(dst) + k)
	out, col := acc[:len(dst)], acc[len(dst):]
	clear(out)
	for gr := range l.Groups {
		for i := range oh {
			for j := range ow {
				p := i*ow + j
				clear(col)
				for o := gr * og; o < (gr+1)*og; o++ {
					gv := float64(g[o*np+p])
					if gv == 0 {
						continue
					}
					for t, v := range w[o*k : o*k+k] {
						col[t] += float64(v) * gv
					}
				}
				// col2im: scatter the patch gradient back to its input positions.
				t := 0
				for c := range cg {
					base := (gr*cg + c) * h * wd
					for u := range l.KH {
						y := i*l.SH + u*l.DH - l.PT
						for v := range l.KW {
							xx := j*l.SW + v*l.DW - l.PL
							if y >= 0 && y < h && xx >= 0 && xx < wd {
								out[base+y*wd+xx] += col[t]
							}
							t++
						}
					}
				}
			}
		}
	}
	for i, v := range out {
		dst[i] = float32(v)
	}
}
