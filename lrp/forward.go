package lrp

import "math"

// forwardLayer computes the output of one node: ins are its input tensors,
// shapes their shapes, dst the output. For a MaxPool2D, arg receives the
// input index of each maximum, for the backward pass. An affine layer's
// product takes the settings p.
func forwardLayer(l Layer, dst []float32, arg []int32, ins [][]float32, shapes [][]int, p *pass, a *arena) {
	x := ins[0]
	switch l := l.(type) {
	case affine:
		w, b := l.params()
		l.forward(dst, x, w, b, nil, shapes[0], p, a)
	case *ReLU:
		reluTo(dst, x)
	case *ReLU6:
		dst = dst[:len(x)]
		for i, v := range x {
			b := math.Float32bits(relu(v))
			if v > 6 {
				b = math.Float32bits(6)
			}
			dst[i] = math.Float32frombits(b)
		}
	case *MaxPool2D:
		maxPool(dst, arg, x, l, shapes[0])
	case *AvgPool2D:
		avgPoolOf(l).forward(dst, x, shapes[0])
	case *GlobalAvgPool:
		globalPool(shapes[0]).forward(dst, x, shapes[0])
	case *Flatten:
		copy(dst, x)
	case *Add:
		if simdAddTo(dst, x, ins[1]) {
			return
		}
		for i, v := range x {
			dst[i] = v + ins[1][i]
		}
	case diagonal:
		affineChannels(l, dst, x)
	case *Concat:
		// y = [x₀; x₁; …]: each input one block of the output.
		o := 0
		for _, v := range ins {
			o += copy(dst[o:], v)
		}
	case *Mul:
		// y[c][t] = x[c][t]·g[c].
		g := ins[1]
		hw := len(x) / len(g)
		for c, v := range g {
			for i := c * hw; i < (c+1)*hw; i++ {
				dst[i] = x[i] * v
			}
		}
	case channelMap:
		gather(l, dst, x, shapes[0])
	case *LayerNorm:
		l.forward(dst, x, a)
	case elementwise:
		activate(l, dst, x)
	default:
		panic("lrp: unknown layer type")
	}
}

// relu is max(v, 0) (NaN stays NaN, −0 becomes +0) as a select of bits:
// no branch to mispredict natively, and no call to runtime.fmax32, which is
// what Go's wasm port makes of max.
func relu(v float32) float32 {
	b := math.Float32bits(v)
	if v <= 0 {
		b = 0
	}
	return math.Float32frombits(b)
}

// reluTo sets dst = relu(x), four at a time (Go's wasm pays a dispatch per
// loop iteration).
func reluTo(dst, x []float32) {
	if simdReLU(dst, x) {
		return
	}
	dst = dst[:len(x)]
	i := 0
	for ; i+4 <= len(x); i += 4 {
		s, d := (*[4]float32)(x[i:]), (*[4]float32)(dst[i:])
		d[0], d[1], d[2], d[3] = relu(s[0]), relu(s[1]), relu(s[2]), relu(s[3])
	}
	for ; i < len(x); i++ {
		dst[i] = relu(x[i])
	}
}

// scaleShift returns s, t with y = x·s + t for channel c.
func (l *BatchNorm) scaleShift(c int) (s, t float32) {
	s = float32(float64(l.Gamma[c]) / math.Sqrt(float64(l.Var[c])+float64(l.Eps)))
	return s, l.Beta[c] - l.Mean[c]*s
}

// maxPool sets dst to the window maxima of x [C][H][W] and arg to the flat
// input index of each maximum. Ties go to the first maximal element in
// row-major window order (a candidate is replaced only by a strictly
// greater value), as PyTorch does; padded positions never win. The running
// maximum is kept as bits and updated by selects, not branches, which
// random data mispredicts half the time.
func maxPool(dst []float32, arg []int32, x []float32, l *MaxPool2D, in []int) {
	c, h, w := in[0], in[1], in[2]
	oh, ow := poolLen(h, l.KH, l.SH, l.PT, l.PB, l.Ceil), poolLen(w, l.KW, l.SW, l.PL, l.PR, l.Ceil)
	dst, arg = dst[:c*oh*ow], arg[:c*oh*ow]
	if simdMaxPool(dst, arg, x, l, in) {
		return
	}
	if l.KH == 2 && l.KW == 2 && l.SH == 2 && l.SW == 2 && l.PT == 0 && l.PL == 0 && l.PB == 0 && l.PR == 0 && 2*oh <= h && 2*ow <= w {
		maxPool2(dst, arg, x, c, h, w, oh, ow)
		return
	}
	o := 0
	for ch := range c {
		base := ch * h * w
		xc := x[base : base+h*w]
		for i := range oh {
			y0, y1 := max(i*l.SH-l.PT, 0), min(i*l.SH-l.PT+l.KH, h)
			for j := range ow {
				x0, x1 := max(j*l.SW-l.PL, 0), min(j*l.SW-l.PL+l.KW, w)
				bi := y0*w + x0
				best := math.Float32bits(xc[bi])
				for y := y0; y < y1; y++ {
					row := xc[y*w+x0 : y*w+x1]
					for k, v := range row {
						gt := v > math.Float32frombits(best)
						if gt {
							bi = y*w + x0 + k
						}
						if gt {
							best = math.Float32bits(v)
						}
					}
				}
				dst[o], arg[o] = math.Float32frombits(best), int32(base+bi)
				o++
			}
		}
	}
}

// maxPool2 is maxPool for 2×2 windows with stride 2 and no padding, the
// common case, without the window loops (not for a ceil mode's last
// window past the input).
func maxPool2(dst []float32, arg []int32, x []float32, c, h, w, oh, ow int) {
	o := 0
	for ch := range c {
		base := ch * h * w
		for i := range oh {
			r0 := x[base+2*i*w : base+2*i*w+2*ow]
			r1 := x[base+(2*i+1)*w : base+(2*i+1)*w+2*ow]
			for j := range ow {
				p0, p1 := (*[2]float32)(r0[2*j:]), (*[2]float32)(r1[2*j:])
				bi := base + 2*i*w + 2*j
				best, k := math.Float32bits(p0[0]), bi
				if p0[1] > math.Float32frombits(best) {
					best, k = math.Float32bits(p0[1]), bi+1
				}
				if p1[0] > math.Float32frombits(best) {
					best, k = math.Float32bits(p1[0]), bi+w
				}
				if p1[1] > math.Float32frombits(best) {
					best, k = math.Float32bits(p1[1]), bi+w+1
				}
				dst[o], arg[o] = math.Float32frombits(best), int32(k)
				o++
			}
		}
	}
}

// pool describes an average pooling: window, stride, padding, whether
// padded positions count in the divisor, and ceil mode.
type pool struct {
	kh, kw, sh, sw, pt, pl, pb, pr int
	includePad, ceil               bool
}

func avgPoolOf(l *AvgPool2D) pool {
	return pool{l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.PB, l.PR, l.CountIncludePad, l.Ceil}
}

func globalPool(in []int) pool {
	return pool{kh: in[1], kw: in[2], sh: 1, sw: 1}
}

// window returns the in-bounds rows y0 ≤ y < y1 and columns x0 ≤ x < x1 of
// output (i, j) for an h×w input, and its divisor k: the in-bounds
// positions, or with includePad those within the padded input, which is
// the whole window but for a ceil mode's last one (PyTorch's divisor).
func (p pool) window(i, j, h, w int) (y0, y1, x0, x1 int, k float64) {
	ys, xs := i*p.sh-p.pt, j*p.sw-p.pl
	y0, y1 = max(ys, 0), min(ys+p.kh, h)
	x0, x1 = max(xs, 0), min(xs+p.kw, w)
	k = float64((y1 - y0) * (x1 - x0))
	if p.includePad {
		k = float64((min(ys+p.kh, h+p.pb) - ys) * (min(xs+p.kw, w+p.pr) - xs))
	}
	return y0, y1, x0, x1, k
}

func (p pool) outSize(h, w int) (oh, ow int) {
	return poolLen(h, p.kh, p.sh, p.pt, p.pb, p.ceil), poolLen(w, p.kw, p.sw, p.pl, p.pr, p.ceil)
}

// forward: y_o = Σ_{i∈window(o)} x_i / k_o, summed in float64.
func (p pool) forward(dst, x []float32, in []int) {
	c, h, w := in[0], in[1], in[2]
	oh, ow := p.outSize(h, w)
	o := 0
	for ch := range c {
		xc := x[ch*h*w : (ch+1)*h*w]
		for i := range oh {
			for j := range ow {
				y0, y1, x0, x1, k := p.window(i, j, h, w)
				var s float64
				for y := y0; y < y1; y++ {
					for _, v := range xc[y*w+x0 : y*w+x1] {
						s += float64(v)
					}
				}
				dst[o] = float32(s / k)
				o++
			}
		}
	}
}

// spread sets dst_i = Σ_{o: i∈window(o)} g_o / k_o, the transposed pooling,
// summed in float64 in acc (len(dst) values).
func (p pool) spread(dst, g []float32, in []int, acc []float64) {
	c, h, w := in[0], in[1], in[2]
	oh, ow := p.outSize(h, w)
	clear(acc)
	o := 0
	for ch := range c {
		ac := acc[ch*h*w : (ch+1)*h*w]
		for i := range oh {
			for j := range ow {
				y0, y1, x0, x1, k := p.window(i, j, h, w)
				v := float64(g[o]) / k
				for y := y0; y < y1; y++ {
					row := ac[y*w+x0 : y*w+x1]
					for t := range row {
						row[t] += v
					}
				}
				o++
			}
		}
	}
	for i, v := range acc {
		dst[i] = float32(v)
	}
}
