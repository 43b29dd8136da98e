package lrp

// Gradient is the plain gradient of the layer, R_in = (∂y/∂x)ᵀ·R: through
// an affine layer Wᵀ·R; through a ReLU R where x > 0 (ReLU6: 0 < x < 6)
// and 0 elsewhere; through max pooling each output's R to the first
// maximal element of its window; through average pooling R_o/k_o to each
// input of window o; through Add R to both inputs; through BatchNorm
// R·γ/√(σ² + ε) per channel, through a Scale R·W; through Flatten R;
// through a Concat each input's block of R, through a Slice or Shuffle R
// back to the channels it came from (route); through a gate Mul,
// y = x ⊙ g, R·g to the signal and Σ R·x over each channel to the gate;
// through an elementwise activation R·f′(x); through a LayerNorm, with
// x̂ = (x − μ)/σ and g = γ ⊙ R at each position,
// (g − mean g − x̂·mean(g ⊙ x̂))/σ. It is the rule of the nodes that no
// entry of a composite selects.
type Gradient struct{}

var gradientSpec = RuleSpec{
	Name:        "gradient",
	Title:       "Gradient",
	Formula:     "R_in = (∂y/∂x)ᵀ·R",
	Description: "The plain gradient of the layer: no LRP rule.",
	Kinds:       allKinds(),
	layers:      "every layer",
	build:       func(ruleArgs) (Rule, error) { return Gradient{}, nil },
}

func (Gradient) Name() string               { return "gradient" }
func (Gradient) Params() map[string]float64 { return nil }
func (Gradient) check(k Kind) error         { return gradientSpec.check(k) }

// relevance is Wᵀ·R.
func (Gradient) relevance(s *step) {
	w, _ := s.l.params()
	s.l.transpose(s.dst, term(s.r, w), false, s.in, &s.p, s.a)
}

func (Gradient) size(s *sstep) {
	if c, ok := s.l.(*Conv2D); ok {
		c.sizeTranspose(s.s, s.in, []wref{s.ref(wPlain)}, s.exact)
	}
}

func (Gradient) prepare(*step, bool) {}

func (Gradient) winogradSafe() bool { return true }

func (Gradient) winoWeights(W []float32, _ *weights, _ bool) (forward, transposed [][]float32) {
	return nil, [][]float32{W}
}

func (Gradient) backward(b *layerStep) {
	r, x, dst := b.r, b.x[0], b.dst[0]
	switch l := b.l.(type) {
	case *ReLU:
		if simdReLUGradient(dst, r, x) {
			return
		}
		for t, v := range x {
			dst[t] = r[t]
			if !(v > 0) {
				dst[t] = 0
			}
		}
	case *ReLU6:
		for t, v := range x {
			dst[t] = r[t]
			if !(v > 0 && v < 6) {
				dst[t] = 0
			}
		}
	case *MaxPool2D:
		if simdUnpool(dst, r, b.arg) {
			return
		}
		clear(dst)
		for o, k := range b.arg {
			dst[k] += r[o]
		}
	case *AvgPool2D, *GlobalAvgPool:
		poolOf(l, b.in[0]).spread(dst, r, b.in[0], b.a.f64(len(dst)))
	case *Flatten:
		copy(dst, r)
	case *Add:
		copy(b.dst[0], r)
		copy(b.dst[1], r)
	case diagonal:
		hw := len(r) / l.channels()
		for c := range l.channels() {
			s, _ := l.scaleShift(c)
			for t := c * hw; t < (c+1)*hw; t++ {
				dst[t] = r[t] * s
			}
		}
	case router:
		l.route(b.dst, b.in, r)
	case *LayerNorm:
		l.grad(dst, x, r, b.a)
	case *Mul:
		// ∂y/∂x = g per channel; ∂y/∂g_c = x over the channel, summed in
		// float64.
		g, dg := b.x[1], b.dst[1]
		hw := len(x) / len(g)
		for c, v := range g {
			var s float64
			for t := c * hw; t < (c+1)*hw; t++ {
				dst[t] = r[t] * v
				s += float64(r[t]) * float64(x[t])
			}
			dg[c] = float32(s)
		}
	case elementwise:
		activateGrad(l, dst, x, r)
	}
}

func (Gradient) sizeBackward(s *sizer, l Layer, in, _ []int) {
	switch l := l.(type) {
	case *AvgPool2D, *GlobalAvgPool:
		s.f64(numel(in))
	case *LayerNorm:
		s.f64(4 * numel(in) / len(l.Gamma))
	}
}

func (Gradient) copies(l Layer) bool {
	switch l := l.(type) {
	case *Flatten, *Slice, *Shuffle:
		return true
	case *MaxPool2D:
		// Windows that do not overlap send each output's relevance to
		// one input of its own: the same values, and zeros.
		return l.SH >= l.KH && l.SW >= l.KW
	}
	return false
}
