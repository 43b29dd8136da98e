package lrp

// Prepare builds ahead of time what explaining with o's composite builds
// on its first call: the modified weights that each affine layer's rule
// uses (W⁺ for z⁺ and γ, W + γW⁺, W⁻ for αβ, W², the bound terms of zᴮ),
// so that a page pays for them while it loads a model rather than in the
// user's first explanation. A baseline needs nothing. Options that
// Explain would reject return its error.
//
// Caches that depend on the input are still built when they are needed:
// γ's W + γW⁻ is only used where a layer's input has negative values.
func (e *Explainer) Prepare(o Options) error {
	if _, ok := baselines[o.Method]; ok && o.Composite == nil {
		return nil
	}
	rules, err := e.rulesOf(&o)
	if err != nil {
		return err
	}
	for i, nd := range e.m.Nodes {
		l, ok := nd.Layer.(affine)
		p, ok2 := rules[i].(preparer)
		if !ok || !ok2 {
			continue
		}
		e.a.reset()
		e.st = step{l: l, in: e.m.Shape(nd.Inputs[0]), a: &e.a, w: &e.w[i], lo: e.lo, hi: e.hi}
		p.prepare(&e.st)
	}
	e.a.reset()
	return nil
}

// preparer is implemented by the affine rules that cache modified weights;
// prepare builds the caches that relevance uses on inputs x ≥ 0, from the
// layer, its input shape, the arena and the model bounds of s.
type preparer interface {
	prepare(s *step)
}

func (r Gamma) prepare(s *step) {
	s.w.pos(s.l)
	s.w.up(s.l, r.Gamma)
}

func (r ZPlus) prepare(s *step) { s.w.pos(s.l) }

func (r AlphaBeta) prepare(s *step) {
	s.w.pos(s.l)
	s.w.neg(s.l)
}

func (r ZBox) prepare(s *step) {
	low, high := r.bounds(s)
	s.w.box(s.l, s.in, numel(s.in), low, high, s.a)
}

func (r WSquare) prepare(s *step) { s.w.square(s.l, s.in, numel(s.in), s.a) }

func (r Flat) prepare(s *step) { s.w.flat(s.l, s.in, numel(s.in), s.a) }
