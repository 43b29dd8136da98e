package lrp

import "math"

// forwardLayer computes the output of one node: ins are its input tensors,
// shapes their shapes, dst the output of shape out.
func forwardLayer(l Layer, dst []float32, ins [][]float32, shapes [][]int, a *arena) {
	x := ins[0]
	switch l := l.(type) {
	case affine:
		w, b := l.params()
		l.forward(dst, x, w, b, shapes[0], a)
	case *ReLU:
		for i, v := range x {
			dst[i] = max(v, 0)
		}
	case *ReLU6:
		for i, v := range x {
			dst[i] = min(max(v, 0), 6)
		}
	case *MaxPool2D:
		maxPool(dst, nil, x, l, shapes[0])
	case *AvgPool2D:
		p := avgPoolOf(l)
		p.forward(dst, x, shapes[0])
	case *GlobalAvgPool:
		p := globalPool(shapes[0])
		p.forward(dst, x, shapes[0])
	case *Flatten:
		copy(dst, x)
	case *Add:
		for i, v := range x {
			dst[i] = v + ins[1][i]
		}
	case *BatchNorm:
		hw := len(x) / len(l.Mean)
		for c := range l.Mean {
			s, t := l.scaleShift(c)
			for i := c * hw; i < (c+1)*hw; i++ {
				dst[i] = x[i]*s + t
			}
		}
	default:
		panic("lrp: unknown layer type")
	}
}

// scaleShift returns s, t with y = x·s + t for channel c.
func (l *BatchNorm) scaleShift(c int) (s, t float32) {
	s = float32(float64(l.Gamma[c]) / math.Sqrt(float64(l.Var[c])+float64(l.Eps)))
	return s, l.Beta[c] - l.Mean[c]*s
}

// maxPool sets dst to the window maxima of x [C][H][W]; if arg is not nil it
// records the flat input index of each maximum. Ties go to the first maximal
// element in row-major window order (a candidate is replaced only by a
// strictly greater value), as PyTorch does; padded positions never win.
func maxPool(dst []float32, arg []int32, x []float32, l *MaxPool2D, in []int) {
	c, h, w := in[0], in[1], in[2]
	oh := (h+l.PT+l.PB-l.KH)/l.SH + 1
	ow := (w+l.PL+l.PR-l.KW)/l.SW + 1
	o := 0
	for ch := range c {
		xc := x[ch*h*w : (ch+1)*h*w]
		for i := range oh {
			for j := range ow {
				best, bi := float32(math.Inf(-1)), -1
				for u := range l.KH {
					y := i*l.SH + u - l.PT
					if y < 0 || y >= h {
						continue
					}
					for v := range l.KW {
						xx := j*l.SW + v - l.PL
						if xx < 0 || xx >= w {
							continue
						}
						if val := xc[y*w+xx]; bi < 0 || val > best {
							best, bi = val, y*w+xx
						}
					}
				}
				dst[o] = best
				if arg != nil {
					arg[o] = int32(ch*h*w + bi)
				}
				o++
			}
		}
	}
}

// pool describes an average pooling: window, stride, padding and whether
// padded positions count in the divisor.
type pool struct {
	kh, kw, sh, sw, pt, pl, pb, pr int
	includePad                     bool
}

func avgPoolOf(l *AvgPool2D) pool {
	return pool{l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.PB, l.PR, l.CountIncludePad}
}

func globalPool(in []int) pool {
	return pool{kh: in[1], kw: in[2], sh: 1, sw: 1}
}

// windows calls f for every output position o and every in-bounds input
// index i of its window, with k the window's divisor.
func (p pool) windows(in []int, f func(o, i, k int)) {
	c, h, w := in[0], in[1], in[2]
	oh := (h+p.pt+p.pb-p.kh)/p.sh + 1
	ow := (w+p.pl+p.pr-p.kw)/p.sw + 1
	o := 0
	for ch := range c {
		for i := range oh {
			y0, y1 := i*p.sh-p.pt, i*p.sh-p.pt+p.kh
			for j := range ow {
				x0, x1 := j*p.sw-p.pl, j*p.sw-p.pl+p.kw
				k := p.kh * p.kw
				if !p.includePad {
					k = (min(y1, h) - max(y0, 0)) * (min(x1, w) - max(x0, 0))
				}
				for y := max(y0, 0); y < min(y1, h); y++ {
					for x := max(x0, 0); x < min(x1, w); x++ {
						f(o, ch*h*w+y*w+x, k)
					}
				}
				o++
			}
		}
	}
}

// forward: y_o = Σ_{i∈window(o)} x_i / k_o.
func (p pool) forward(dst, x []float32, in []int) {
	acc := make([]float64, len(dst))
	div := make([]int, len(dst))
	p.windows(in, func(o, i, k int) { acc[o] += float64(x[i]); div[o] = k })
	for o := range dst {
		dst[o] = float32(acc[o] / float64(div[o]))
	}
}

// spread sets dst_i = Σ_{o: i∈window(o)} g_o / k_o, the transposed pooling.
func (p pool) spread(dst, g []float32, in []int) {
	acc := make([]float64, len(dst))
	p.windows(in, func(o, i, k int) { acc[i] += float64(g[o]) / float64(k) })
	for i := range dst {
		dst[i] = float32(acc[i])
	}
}
