package lrp

// Prepare builds ahead of time what explaining with o's composite builds
// on its first call: the modified weights that each affine layer's rule
// uses (W⁺ for z⁺ and γ, W + γW⁺, W⁻ for αβ, W², the bound terms of zᴮ)
// and the Winograd transforms of the weights its convolutions multiply
// with, so that a page pays for them while it loads a model rather than
// in the user's first explanation; for a baseline, the transforms of the
// forward pass. Options that Explain would reject return its error.
//
// Caches that depend on the input are still built when they are needed:
// γ's W + γW⁻ is only used where a layer's input has negative values, and
// W + γW⁺ only where relevance reaches no output with z < 0, which Prepare
// assumes of a layer that feeds ReLUs alone.
func (e *Explainer) Prepare(o Options) error {
	var rules []Rule // nil for a baseline: the forward pass only
	if _, ok := baselines[o.Method]; !ok || o.Composite != nil {
		var err error
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
		if rules != nil {
			r = rules[i]
		}
		if p, ok := r.(preparer); ok {
			p.prepare(&e.st, e.reluAfter(i))
		}
		c, ok := l.(*Conv2D)
		if !ok || !c.winograd(in[1], in[2]) {
			continue
		}
		e.a.winoU(c.W, c.OutC, c.InC) // the forward pass
		if r == nil || !winogradSafe(r) {
			continue
		}
		w := e.w[i]
		for _, v := range [...][]float32{w.wp, w.wu, w.w2} {
			if v != nil {
				e.a.winoU(v, c.OutC, c.InC)
			}
		}
	}
	e.a.reset()
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
