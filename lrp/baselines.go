package lrp

import (
	"math"
	"math/rand/v2"
)

// The baselines explain without LRP rules; the method registry
// (methods.go) names them, and Explainer.Explain runs one when
// Options.Method names it. All gradients are of the start-weighted output
// Σ_k s_k·z_k, with s the start vector evaluated at the input x.

// baseline replays the baseline m for a sizer: the forward passes, the
// gradient's backward pass, and the input-sized buffers that it keeps
// (the black image of integrated gradients and taylor, taylor's root).
func (s *sizer) baseline(m *MethodSpec) {
	s.forward()
	n := s.m.InputLen()
	if m.keepsBase {
		s.bytes += grown[float32](s.base, n)
		s.base = max(s.base, n)
	}
	if m.keepsRoot {
		s.bytes += grown[float32](s.root, n)
		s.root = max(s.root, n)
	}
	if !m.gradients {
		return
	}
	rules, _ := (&Composite{}).Assign(s.m) // as gradRules's
	if !s.rules {
		s.alloc(bytesOf[Rule](len(rules))) // gradRules
		s.rules = true
	}
	s.backward(rules)
}

// gradRules returns the plain-gradient rule of every node.
func (e *Explainer) gradRules() []Rule {
	if e.rules == nil {
		e.rules, _ = e.grad.Assign(e.m)
	}
	return e.rules
}

// gradAt runs forward and backward at x with the start vector s and adds
// k times the input gradient to e.accum.
func (e *Explainer) gradAt(x, s []float32, k float32) {
	e.forward(x)
	e.backward(x, e.gradRules(), s)
	for i, v := range e.relIn {
		e.accum[i] += k * v
	}
}

// begin runs the forward pass at x, fixes the target and start vector and
// clears the accumulator.
func (e *Explainer) begin(x []float32, o *Options) *Result {
	e.forward(x)
	r := e.result(o)
	clear(e.accum)
	return r
}

// end restores the forward pass at x (the Result reports x's logits) and
// attaches the relevance.
func (e *Explainer) end(x []float32, r *Result) (*Result, error) {
	e.forward(x)
	return e.finish(r), nil
}

func (e *Explainer) gradient(x []float32, o Options) (*Result, error) {
	r := e.begin(x, &o)
	e.gradAt(x, e.start, 1)
	return e.end(x, r)
}

func (e *Explainer) gradientXInput(x []float32, o Options) (*Result, error) {
	r := e.begin(x, &o)
	e.gradAt(x, e.start, 1)
	for i := range e.accum {
		e.accum[i] *= x[i]
	}
	return e.end(x, r)
}

// span returns the width of the input range of the channel of value i.
func (e *Explainer) span(i int) float32 {
	c := i * len(e.lo) / len(e.accum)
	return e.hi[c] - e.lo[c]
}

// black sets dst to the black image x̄: every value at its channel's
// lower bound.
func (e *Explainer) black(dst []float32) {
	for i := range dst {
		dst[i] = e.lo[i*len(e.lo)/len(dst)]
	}
}

func (e *Explainer) smoothGrad(x []float32, o Options) (*Result, error) {
	n, noise := o.Samples, o.Noise
	if n <= 0 {
		n = 16
	}
	if noise <= 0 {
		noise = 0.1
	}
	r := e.begin(x, &o)
	rng := rand.New(rand.NewPCG(o.Seed, 0x5eed))
	xs := e.scratchX
	for range n {
		for i, v := range x {
			xs[i] = v + float32(rng.NormFloat64()*noise)*e.span(i)
		}
		e.gradAt(xs, e.start, 1/float32(n))
	}
	return e.end(x, r)
}

func (e *Explainer) integratedGradients(x []float32, o Options) (*Result, error) {
	m := o.Steps
	if m <= 0 {
		m = 32
	}
	r := e.begin(x, &o)
	xs, base := e.scratchX, grow(&e.base, len(x))
	e.black(base)
	for k := range m {
		t := (float32(k) + 0.5) / float32(m)
		for i, v := range x {
			xs[i] = base[i] + t*(v-base[i])
		}
		e.gradAt(xs, e.start, 1/float32(m))
	}
	for i, v := range x {
		e.accum[i] *= v - base[i]
	}
	return e.end(x, r)
}

// taylor is the simple Taylor decomposition R = ∂f/∂x|x̃ ⊙ (x − x̃). The root
// point x̃ lies on the segment from the black image x̄ to x: where f
// changes sign along it, x̃ is its zero found by 40 bisection steps;
// otherwise x̃ = x̄.
func (e *Explainer) taylor(x []float32, o Options) (*Result, error) {
	r := e.begin(x, &o)
	base, xs := grow(&e.base, len(x)), e.scratchX
	e.black(base)
	at := func(t float64) float64 {
		for i, v := range x {
			xs[i] = base[i] + float32(t)*(v-base[i])
		}
		e.forward(xs)
		var f float64
		for k, s := range e.start {
			f += float64(s) * float64(e.logits[k])
		}
		return f
	}
	t0, t1 := 0.0, 1.0
	f0, f1 := at(t0), at(t1)
	t := 0.0
	if f0 != 0 && math.Signbit(f0) != math.Signbit(f1) {
		for range 40 {
			mid := (t0 + t1) / 2
			if fm := at(mid); math.Signbit(fm) == math.Signbit(f0) {
				t0 = mid
			} else {
				t1 = mid
			}
		}
		t = (t0 + t1) / 2
	}
	at(t)
	root := grow(&e.root, len(xs))
	copy(root, xs)
	e.gradAt(root, e.start, 1)
	for i, v := range x {
		e.accum[i] *= v - root[i]
	}
	return e.end(x, r)
}

func (e *Explainer) singlePixel(x []float32, o Options) (*Result, error) {
	r := e.begin(x, &o)
	c := len(x) / 2
	if s := e.m.Input.Shape; len(s) == 3 {
		c = s[1]/2*s[2] + s[2]/2
	}
	e.accum[c] = float32(sum64(e.start))
	e.diag = e.diag[:0]
	return e.finish(r), nil
}

func (e *Explainer) uniform(x []float32, o Options) (*Result, error) {
	r := e.begin(x, &o)
	v := float32(sum64(e.start) / float64(len(x)))
	for i := range e.accum {
		e.accum[i] = v
	}
	e.diag = e.diag[:0]
	return e.finish(r), nil
}
