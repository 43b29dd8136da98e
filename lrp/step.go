package lrp

// The steps that the affine rules compose (see the package doc): a rule's
// relevance (rule_NAME.go) calls them on a step, and its size replays the
// same calls on an sstep for a sizer (memory.go); the modified weights
// they multiply with are cached in weights (weights.go).

// step holds what a rule needs to send relevance across one affine layer:
// its operands, the settings of the layer's pass, which every product of
// the rule takes (p), and where the memory comes from (a, w).
type step struct {
	l   affine
	in  []int     // input shape
	x   []float32 // layer input from the forward pass
	z   []float32 // layer output W·x + b from the forward pass
	r   []float32 // relevance at the output
	dst []float32 // relevance at the input, set by the rule
	p   pass      // the settings of the layer's products (Explainer.layerBackward)
	a   *arena
	w   *weights // modified weights of this layer, cached across calls
	lo  []float32
	hi  []float32 // model bounds, for zᴮ without its own
}

// fwd returns ρ(W)·x + b in a scratch buffer. Only the outputs with R ≠ 0
// are computed (the others are 0): every rule divides R by them, so the
// rest cannot matter.
func (s *step) fwd(w, b, x []float32) []float32 {
	out := s.a.f32(len(s.z))
	s.l.forward(out, x, w, b, s.r, s.in, &s.p, s.a)
	return out
}

// bwd returns ρ(W)ᵀ·g in a scratch buffer.
func (s *step) bwd(w, g []float32) []float32 {
	out := s.a.f32(len(s.x))
	s.l.transpose(out, term(g, w), false, s.in, &s.p, s.a)
	return out
}

// bwd2 returns ρ₁(W)ᵀ·g₁ + ρ₂(W)ᵀ·g₂ in a scratch buffer, in one pass.
func (s *step) bwd2(w1, g1, w2, g2 []float32) []float32 {
	out := s.a.f32(len(s.x))
	s.l.transpose(out, terms{{g1, w1}, {g2, w2}}, false, s.in, &s.p, s.a)
	return out
}

// support returns the sorted indices outside of which R is zero, if they
// are known (Explainer.support), or nil. A quotient R/d is zero there too,
// so the rules compute quotients only at these indices.
func (s *step) support() []int32 { return s.p.supportOf(s.r) }

// sstep is a step as a sizer replays it (memory.go): the buffers and
// products a rule's relevance asks for, by the same names.
type sstep struct {
	s      *sizer
	i      int // the node
	l      affine
	in     []int
	nx, nz int     // values of the layer's input and output
	nonneg bool    // the input is known to be ≥ 0
	exact  bool    // the pass's (step.p.exact)
	gamma  float32 // γ of the modified weights wUp and wDown
}

// fwd is step.fwd with the weights named w.
func (s *sstep) fwd(w wname) {
	s.s.f32(s.nz)
	if c, ok := s.l.(*Conv2D); ok {
		c.sizeForward(s.s, s.in, s.ref(w), true, s.exact)
	}
}

// bwd is step.bwd (bwd2 with two names).
func (s *sstep) bwd(ws ...wname) {
	s.s.f32(s.nx)
	if c, ok := s.l.(*Conv2D); ok {
		refs := make([]wref, len(ws))
		for k, w := range ws {
			refs[k] = s.ref(w)
		}
		c.sizeTranspose(s.s, s.in, refs, s.exact)
	}
}

// div is step.div.
func (s *sstep) div() { s.s.f32(s.nz) }

// split replays the rules whose buffers depend on whether the input has
// negative values (step.split): f(true) and f(false) as alternatives, or
// only f(false) when the input is known to be ≥ 0. With neg, it asks for
// split's x⁺ and x⁻ first.
func (s *sstep) split(f func(neg bool)) {
	if s.nonneg {
		f(false)
		return
	}
	s.s.alt(func() {
		s.s.f32(s.nx)
		s.s.f32(s.nx)
		f(true)
	}, func() { f(false) })
}

func (s *sstep) ref(w wname) wref { return wref{s.i, w, s.gamma} }

// div returns R / stab(d) in a scratch buffer.
func (s *step) div(d []float32, eps float32) []float32 {
	g := s.a.f32(len(d))
	if sup := s.support(); sup != nil {
		if simdQuotientsAt(g, s.r, d, nil, eps, sup) {
			return g
		}
		clear(g)
		for _, j := range sup {
			g[j] = s.r[j] / stab(d[j], eps)
		}
		return g
	}
	if simdQuotients(g, s.r, d, nil, eps) {
		return g
	}
	for j, v := range d {
		g[j] = s.r[j] / stab(v, eps)
	}
	return g
}

// quotients sets g = R / stab(z − d0), four values per iteration (Go's
// wasm pays a dispatch per loop iteration), or, with R's support sup
// (step.support), at its indices only and 0 elsewhere.
func quotients(g, r, z, d0 []float32, eps float32, sup []int32) {
	if sup != nil {
		if simdQuotientsAt(g, r, z, d0, eps, sup) {
			return
		}
		clear(g[:len(z)])
		for _, j := range sup {
			g[j] = r[j] / stab(z[j]-d0[j], eps)
		}
		return
	}
	if simdQuotients(g, r, z, d0, eps) {
		return
	}
	g, r, d0 = g[:len(z)], r[:len(z)], d0[:len(z)]
	for len(z) >= 4 && len(g) >= 4 && len(r) >= 4 && len(d0) >= 4 {
		q, a, b, c := (*[4]float32)(g), (*[4]float32)(r), (*[4]float32)(z), (*[4]float32)(d0)
		q[0] = a[0] / stab(b[0]-c[0], eps)
		q[1] = a[1] / stab(b[1]-c[1], eps)
		q[2] = a[2] / stab(b[2]-c[2], eps)
		q[3] = a[3] / stab(b[3]-c[3], eps)
		g, r, z, d0 = g[4:], r[4:], z[4:], d0[4:]
	}
	for j, v := range z {
		g[j] = r[j] / stab(v-d0[j], eps)
	}
}

// split returns x⁺, x⁻ and whether x has any negative entry; without one,
// x⁺ is x itself and x⁻ is nil.
func (s *step) split() (xp, xn []float32, neg bool) {
	neg, done := simdNegatives(s.x)
	if !done {
		for _, v := range s.x {
			if v < 0 {
				neg = true
				break
			}
		}
	}
	if !neg {
		return s.x, nil, false
	}
	xp, xn = s.a.f32(len(s.x)), s.a.f32(len(s.x))
	if simdSplit(xp, xn, s.x) {
		return xp, xn, true
	}
	for i, v := range s.x {
		xp[i], xn[i] = max(v, 0), min(v, 0)
	}
	return xp, xn, true
}

// add sets dst += a. This and the other elementwise loops work four
// values per iteration: Go's wasm pays a dispatch per loop iteration.
func add(dst, a []float32) {
	if simdAdd(dst, a) {
		return
	}
	dst = dst[:len(a)]
	for len(a) >= 4 && len(dst) >= 4 {
		d, v := (*[4]float32)(dst), (*[4]float32)(a)
		d[0], d[1], d[2], d[3] = d[0]+v[0], d[1]+v[1], d[2]+v[2], d[3]+v[3]
		dst, a = dst[4:], a[4:]
	}
	for i, v := range a {
		dst[i] += v
	}
}

// mul sets dst = x ⊙ c.
func mul(dst, x, c []float32) {
	if simdMul(dst, x, c) {
		return
	}
	dst, x = dst[:len(c)], x[:len(c)]
	for len(c) >= 4 && len(x) >= 4 && len(dst) >= 4 {
		d, u, v := (*[4]float32)(dst), (*[4]float32)(x), (*[4]float32)(c)
		d[0], d[1], d[2], d[3] = u[0]*v[0], u[1]*v[1], u[2]*v[2], u[3]*v[3]
		dst, x, c = dst[4:], x[4:], c[4:]
	}
	for i, v := range c {
		dst[i] = x[i] * v
	}
}

// mulAdd sets dst += k·(x ⊙ c).
func mulAdd(dst, x, c []float32, k float32) {
	if simdMulAdd(dst, x, c, k) {
		return
	}
	dst, x = dst[:len(c)], x[:len(c)]
	for len(c) >= 4 && len(x) >= 4 && len(dst) >= 4 {
		d, u, v := (*[4]float32)(dst), (*[4]float32)(x), (*[4]float32)(c)
		d[0], d[1], d[2], d[3] = d[0]+k*(u[0]*v[0]), d[1]+k*(u[1]*v[1]), d[2]+k*(u[2]*v[2]), d[3]+k*(u[3]*v[3])
		dst, x, c = dst[4:], x[4:], c[4:]
	}
	for i, v := range c {
		dst[i] += k * (x[i] * v)
	}
}
