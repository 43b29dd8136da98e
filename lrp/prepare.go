package lrp

// Prepare builds ahead of time what explaining with o's composite builds
// on its first call: the modified weights that each affine layer's rule
// uses (W⁺ for z⁺ and γ, W + γW⁺, W⁻ for αβ, W², the bound terms of zᴮ)
// and the Winograd transforms of the weights its convolutions multiply
// with, packed for the forward or the transposed product (winoA), so that
// a page pays for them while it loads a model rather than in the user's
// first explanation; for a baseline, those of the forward pass and of the
// gradient. Options that Explain would reject return its error. The
// narrow im2col products' packed weights (gemmWeightsRows) are left to the
// first call: packing them is cheap.
//
// Caches that depend on the input are still built when they are needed:
// γ's W + γW⁻ is only used where a layer's input has negative values, and
// W + γW⁺ only where relevance reaches no output with z < 0, which Prepare
// assumes of a layer that feeds ReLUs alone.
func (e *Explainer) Prepare(o Options) error {
	baseline, err := checkOptions(e.m, &o)
	if err != nil {
		return err
	}
	if err := e.reserve(&o); err != nil {
		return err
	}
	var rules []Rule // nil for a baseline
	if !baseline {
		if rules, err = e.rulesOf(&o); err != nil {
			return err
		}
	}
	for i, nd := range e.m.Nodes {
		l, ok := nd.Layer.(affine)
		if !ok {
			continue
		}
		in := e.m.Shape(nd.Inputs[0])
		e.a.reset()
		e.st = step{l: l, in: in, a: &e.a, w: &e.w[i], lo: e.lo, hi: e.hi}
		var r Rule
		switch {
		case rules != nil:
			r = rules[i]
		case gradientBaselines[o.Method]:
			r = Gradient{} // the transposed products of the gradient
		}
		if p, ok := r.(preparer); ok {
			p.prepare(&e.st, e.reluAfter(i))
		}
		c, ok := l.(*Conv2D)
		if !ok || !c.winograd(in[1], in[2]) {
			continue
		}
		e.a.winoA(c.W, c.OutC, c.InC, false) // the forward pass
		if r == nil || !winogradSafe(r) {
			continue
		}
		w := &e.w[i]
		if w.wp != nil { // γ's forward product on x ≥ 0
			e.a.winoA(w.wp, c.OutC, c.InC, false)
		}
		for _, v := range transposedWeights(r, c.W, w, e.reluAfter(i)) {
			e.a.winoA(v, c.InC, c.OutC, true)
		}
	}
	e.a.reset()
	return nil
}

// gradientBaselines are the baselines that compute gradients (gradAt).
var gradientBaselines = map[string]bool{
	"gradient": true, "gradient_x_input": true, "smoothgrad": true,
	"integrated_gradients": true, "taylor": true,
}

// transposedWeights returns the weights whose transposed products rule r
// computes on inputs x ≥ 0 (affine_rules.go), for a layer with weights W and
// modified weights w, whose output only ReLUs read with relu: their
// Winograd operands for the transposed product are packed apart from
// those for the forward product (winoA). W² and the ones of Flat are
// multiplied forward when their caches are built.
func transposedWeights(r Rule, W []float32, w *weights, relu bool) [][]float32 {
	switch r.(type) {
	case Epsilon, Gradient:
		return [][]float32{W}
	case Gamma:
		if relu {
			return [][]float32{w.wu}
		}
		return [][]float32{W, w.wp}
	case WSquare:
		return [][]float32{w.w2}
	case Flat:
		return [][]float32{w.one[:len(W)]}
	}
	return nil
}

// reluAfter reports whether every node reading node i's output is a ReLU
// (and one is).
func (e *Explainer) reluAfter(i int) bool {
	n := 0
	for _, nd := range e.m.Nodes {
		for _, j := range nd.Inputs {
			if j != i {
				continue
			}
			if _, ok := nd.Layer.(*ReLU); !ok {
				return false
			}
			n++
		}
	}
	return n > 0
}

// preparer is implemented by the affine rules that cache modified weights;
// prepare builds the caches that relevance uses on inputs x ≥ 0, from the
// layer, its input shape, the arena and the model bounds of s, and
// whether only ReLUs read the layer's output.
type preparer interface {
	prepare(s *step, relu bool)
}

func (r Gamma) prepare(s *step, relu bool) {
	s.w.pos(s.l)
	if relu {
		s.w.up(s.l, r.Gamma)
	}
}

func (r ZPlus) prepare(s *step, _ bool) { s.w.pos(s.l) }

func (r AlphaBeta) prepare(s *step, _ bool) {
	s.w.pos(s.l)
	s.w.neg(s.l)
}

func (r ZBox) prepare(s *step, _ bool) {
	low, high := r.bounds(s)
	s.w.box(s.l, s.in, numel(s.in), low, high, s.a)
}

func (r WSquare) prepare(s *step, _ bool) { s.w.square(s.l, s.in, numel(s.in), s.a) }

func (r Flat) prepare(s *step, _ bool) { s.w.flat(s.l, s.in, numel(s.in), s.a) }

// Release drops what the Explainer caches across calls besides its
// buffers: the modified weights and the packed operands (hundreds of
// megabytes for a ResNet-18). The next call, or Prepare, builds them
// again. A page releases a model's caches before it loads another, so
// that the new model can reuse their memory rather than grow it.
func (e *Explainer) Release() {
	clear(e.w)
	clear(e.sized)
	e.a.packs = packCache{}
	e.a.wps = nil
}
