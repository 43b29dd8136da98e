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
	cold := e.a.packs.cold
	e.a.packs.cold = false // Prepare keeps what it builds (SetCold)
	defer func() { e.a.packs.cold = cold }()
	if err := e.reserve(&o); err != nil {
		return err
	}
	var rules []Rule // nil for a baseline without gradients
	switch {
	case !baseline:
		if rules, err = e.rulesOf(&o); err != nil {
			return err
		}
	case baselineOf(o.Method).gradients:
		rules = e.gradRules()
	}
	for i, nd := range e.m.Nodes {
		l, ok := nd.Layer.(affine)
		if !ok {
			continue
		}
		in := e.m.Shape(nd.Inputs[0])
		e.a.reset()
		e.st = step{l: l, in: in, a: &e.a, w: &e.w[i], lo: e.lo, hi: e.hi}
		var r affineRule
		if rules != nil {
			r = rules[i].(affineRule)
			r.prepare(&e.st, e.reluAfter(i))
		}
		c, ok := l.(*Conv2D)
		if !ok || !c.winograd(in[1], in[2]) {
			continue
		}
		e.a.winoA(c.W, c.OutC, c.InC, false) // the forward pass
		if r == nil || !r.winogradSafe() {
			continue
		}
		fwd, tr := r.winoWeights(c.W, &e.w[i], e.reluAfter(i))
		for _, v := range fwd {
			e.a.winoA(v, c.OutC, c.InC, false)
		}
		for _, v := range tr {
			e.a.winoA(v, c.InC, c.OutC, true)
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

// Release drops what the Explainer caches across calls besides its
// buffers: the modified weights and the packed operands (hundreds of
// megabytes for a ResNet-18). The next call, or Prepare, builds them
// again. A page releases a model's caches before it loads another, so
// that the new model can reuse their memory rather than grow it.
func (e *Explainer) Release() {
	clear(e.w)
	clear(e.sized)
	e.a.packs = packCache{cold: e.a.packs.cold}
	e.a.wps = nil
}
