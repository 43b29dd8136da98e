package lrp

import (
	"math"
	"slices"
	"unsafe"
)

// step holds what a rule needs to send relevance across one affine layer.
type step struct {
	l   affine
	in  []int     // input shape
	x   []float32 // layer input from the forward pass
	z   []float32 // layer output W·x + b from the forward pass
	r   []float32 // relevance at the output
	dst []float32 // relevance at the input, set by the rule
	a   *arena
	w   *weights // modified weights of this layer, cached across calls
	lo  []float32
	hi  []float32 // model bounds, for ZBox without its own
}

// fwd returns ρ(W)·x + b in a scratch buffer. Only the outputs with R ≠ 0
// are computed (the others are 0): every rule divides R by them, so the
// rest cannot matter.
func (s *step) fwd(w, b, x []float32) []float32 {
	out := s.a.f32(len(s.z))
	s.l.forward(out, x, w, b, s.r, s.in, s.a)
	return out
}

// bwd returns ρ(W)ᵀ·g in a scratch buffer.
func (s *step) bwd(w, g []float32) []float32 {
	out := s.a.f32(len(s.x))
	s.l.transpose(out, term(g, w), false, s.in, s.a)
	return out
}

// bwd2 returns ρ₁(W)ᵀ·g₁ + ρ₂(W)ᵀ·g₂ in a scratch buffer, in one pass.
func (s *step) bwd2(w1, g1, w2, g2 []float32) []float32 {
	out := s.a.f32(len(s.x))
	s.l.transpose(out, terms{{g1, w1}, {g2, w2}}, false, s.in, s.a)
	return out
}

// support returns the sorted indices outside of which R is zero, if they
// are known (Explainer.support), or nil. A quotient R/d is zero there too,
// so the rules compute quotients only at these indices.
func (s *step) support() []int32 { return s.a.supportOf(s.r) }

// sstep is a step as a sizer replays it (memory.go): the buffers and
// products a rule's relevance asks for, by the same names.
type sstep struct {
	s      *sizer
	i      int // the node
	l      affine
	in     []int
	nx, nz int     // values of the layer's input and output
	nonneg bool    // the input is known to be ≥ 0
	gamma  float32 // γ of the modified weights wUp and wDown
}

// fwd is step.fwd with the weights named w.
func (s *sstep) fwd(w wname) {
	s.s.f32(s.nz)
	if c, ok := s.l.(*Conv2D); ok {
		c.sizeForward(s.s, s.in, s.ref(w), true)
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
		c.sizeTranspose(s.s, s.in, refs)
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
		clear(g)
		for _, j := range sup {
			g[j] = s.r[j] / stab(d[j], eps)
		}
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
		clear(g[:len(z)])
		for _, j := range sup {
			g[j] = r[j] / stab(z[j]-d0[j], eps)
		}
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
	for _, v := range s.x {
		if v < 0 {
			neg = true
			break
		}
	}
	if !neg {
		return s.x, nil, false
	}
	xp, xn = s.a.f32(len(s.x)), s.a.f32(len(s.x))
	for i, v := range s.x {
		xp[i], xn[i] = max(v, 0), min(v, 0)
	}
	return xp, xn, true
}

// add sets dst += a. This and the other elementwise loops work four
// values per iteration: Go's wasm pays a dispatch per loop iteration.
func add(dst, a []float32) {
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

// relevance implements each affine rule over the four steps
// z = ρ(W)·x, s = R/stab(z), c = ρ(W)ᵀ·s, R_in = x ⊙ c.
//
// Where x ≥ 0 (after a ReLU, the usual case) the rules that split W by
// sign need one forward product, q = W⁺·x + b⁺, because
// W⁻·x + b⁻ = z − q with z = W·x + b from the forward pass.
func (r Epsilon) relevance(s *step) {
	w, _ := s.l.params()
	g := s.div(s.z, r.Eps)
	mul(s.dst, s.x, s.bwd(w, g))
}

func (r Epsilon) size(s *sstep) {
	s.div()
	s.bwd(wPlain)
}

// Gamma: where x ≥ 0, the output's sign picks the weights, Wu = W + γW⁺
// for z > 0 and Wd = W + γW⁻ for z < 0. After a ReLU the relevance at
// z < 0 is zero, so one transposed product Wuᵀ·gp is left (Wdᵀ·gn in the
// mirror case); where both are live, since Wd = (1+γ)W − γW⁺,
// Wuᵀ·gp + Wdᵀ·gn = Wᵀ·(gp + (1+γ)gn) + W⁺ᵀ·γ(gp − gn),
// the same two products with W and W⁺, which the forward passes use too:
// Wd is not built, and no Winograd transform of a modified weight is
// kept for them.
func (r Gamma) relevance(s *step) {
	xp, xn, neg := s.split()
	gp, gn := s.a.f32(len(s.z)), s.a.f32(len(s.z))
	// The bits of every gp (gn) ORed: some gp ≠ ±0 iff bp<<1 ≠ 0.
	var bp, bn uint32
	if neg {
		wu, bu := s.w.up(s.l, r.Gamma)
		wd, bd := s.w.down(s.l, r.Gamma)
		dp, dn := s.fwd(wu, bu, xp), s.fwd(wd, bd, xp)
		add(dp, s.fwd(wd, nil, xn))
		add(dn, s.fwd(wu, nil, xn))
		// gp = [z > 0]·R/stab(Dp), gn = [z < 0]·R/stab(Dn)
		for j, z := range s.z {
			var p, n float32
			switch {
			case z > 0:
				p = s.r[j] / stab(dp[j], r.Stab)
			case z < 0:
				n = s.r[j] / stab(dn[j], r.Stab)
			}
			gp[j], gn[j] = p, n
			bp, bn = bp|math.Float32bits(p), bn|math.Float32bits(n)
		}
	} else {
		// With q = W⁺·x + b⁺: Dp = Wu·x + bu = z + γq and
		// Dn = Wd·x + bd = z + γ(z − q), in the same loop as gp and gn.
		wp, b := s.w.pos(s.l)
		bp, bn = r.quotients(gp, gn, s.z, s.fwd(wp, b, xp), s.r, s.support())
	}
	anyP, anyN := bp<<1 != 0, bn<<1 != 0
	switch {
	case neg:
		wu, _ := s.w.up(s.l, r.Gamma)
		wd, _ := s.w.down(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd2(wu, gp, wd, gn))
		mulAdd(s.dst, xn, s.bwd2(wd, gp, wu, gn), 1)
	case !anyN: // a ReLU after the layer: relevance only where z > 0
		wu, _ := s.w.up(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd(wu, gp))
	case !anyP:
		wd, _ := s.w.down(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd(wd, gn))
	default:
		w, _ := s.l.params()
		wp, _ := s.w.pos(s.l)
		for j, p := range gp {
			n := gn[j]
			gp[j], gn[j] = p+(1+r.Gamma)*n, r.Gamma*(p-n)
		}
		mul(s.dst, xp, s.bwd2(w, gp, wp, gn))
	}
}

// size replays every case of relevance: which transposed products run
// depends on where the relevance is nonzero.
func (r Gamma) size(s *sstep) {
	s.gamma = r.Gamma
	s.split(func(neg bool) {
		s.div() // gp
		s.div() // gn
		if neg {
			s.up()
			s.down()
			s.fwd(wUp)
			s.fwd(wDown)
			s.fwd(wDown)
			s.fwd(wUp)
			s.bwd(wUp, wDown)
			s.bwd(wDown, wUp)
			return
		}
		s.pos()
		s.fwd(wPos)
		s.s.alt(func() {
			s.up()
			s.bwd(wUp)
		}, func() {
			s.down()
			s.bwd(wDown)
		}, func() {
			s.bwd(wPlain, wPos)
		})
	})
}

func (r ZPlus) relevance(s *step) {
	wp, bp := s.w.pos(s.l)
	xp, xn, neg := s.split()
	d := s.fwd(wp, bp, xp)
	if neg {
		wn, _ := s.w.neg(s.l)
		add(d, s.fwd(wn, nil, xn))
	}
	g := s.div(d, r.Stab)
	mul(s.dst, xp, s.bwd(wp, g))
	if neg {
		wn, _ := s.w.neg(s.l)
		mulAdd(s.dst, xn, s.bwd(wn, g), 1)
	}
}

func (r ZPlus) size(s *sstep) {
	s.pos()
	s.split(func(neg bool) {
		s.fwd(wPos)
		if neg {
			s.neg()
			s.fwd(wNeg)
		}
		s.div()
		s.bwd(wPos)
		if neg {
			s.bwd(wNeg)
		}
	})
}

func (r AlphaBeta) relevance(s *step) {
	wp, bp := s.w.pos(s.l)
	wn, bn := s.w.neg(s.l)
	xp, xn, neg := s.split()
	da, db := s.fwd(wp, bp, xp), s.fwd(wn, bn, xp)
	if neg {
		add(da, s.fwd(wn, nil, xn))
		add(db, s.fwd(wp, nil, xn))
	}
	ga, gb := s.div(da, r.Stab), s.div(db, r.Stab)
	clear(s.dst)
	mulAdd(s.dst, xp, s.bwd(wp, ga), r.Alpha)
	mulAdd(s.dst, xp, s.bwd(wn, gb), -r.Beta)
	if neg {
		mulAdd(s.dst, xn, s.bwd(wn, ga), r.Alpha)
		mulAdd(s.dst, xn, s.bwd(wp, gb), -r.Beta)
	}
}

func (r AlphaBeta) size(s *sstep) {
	s.pos()
	s.neg()
	s.split(func(neg bool) {
		s.fwd(wPos)
		s.fwd(wNeg)
		if neg {
			s.fwd(wNeg)
			s.fwd(wPos)
		}
		s.div()
		s.div()
		s.bwd(wPos)
		s.bwd(wNeg)
		if neg {
			s.bwd(wNeg)
			s.bwd(wPos)
		}
	})
}

// quotients sets gp = [z > 0]·R/stab(z + γq) and gn = [z < 0]·R/stab(z +
// γ(z − q)), four values per iteration (Go's wasm pays a dispatch per loop
// iteration), or, with R's support sup, at its indices only and 0
// elsewhere; it returns the bits of all gp and of all gn ORed.
func (r Gamma) quotients(gp, gn, z, q, rel []float32, sup []int32) (bp, bn uint32) {
	if sup != nil {
		clear(gp[:len(z)])
		clear(gn[:len(z)])
		for _, j := range sup {
			gp[j], gn[j] = r.quotient(z[j], q[j], rel[j])
			bp, bn = bp|math.Float32bits(gp[j]), bn|math.Float32bits(gn[j])
		}
		return bp, bn
	}
	gp, gn, q, rel = gp[:len(z)], gn[:len(z)], q[:len(z)], rel[:len(z)]
	for len(z) >= 4 && len(gp) >= 4 && len(gn) >= 4 && len(q) >= 4 && len(rel) >= 4 {
		p, n := (*[4]float32)(gp), (*[4]float32)(gn)
		a, b, c := (*[4]float32)(z), (*[4]float32)(q), (*[4]float32)(rel)
		p[0], n[0] = r.quotient(a[0], b[0], c[0])
		p[1], n[1] = r.quotient(a[1], b[1], c[1])
		p[2], n[2] = r.quotient(a[2], b[2], c[2])
		p[3], n[3] = r.quotient(a[3], b[3], c[3])
		bp |= math.Float32bits(p[0]) | math.Float32bits(p[1]) | math.Float32bits(p[2]) | math.Float32bits(p[3])
		bn |= math.Float32bits(n[0]) | math.Float32bits(n[1]) | math.Float32bits(n[2]) | math.Float32bits(n[3])
		gp, gn, z, q, rel = gp[4:], gn[4:], z[4:], q[4:], rel[4:]
	}
	for j, v := range z {
		gp[j], gn[j] = r.quotient(v, q[j], rel[j])
		bp, bn = bp|math.Float32bits(gp[j]), bn|math.Float32bits(gn[j])
	}
	return bp, bn
}

// quotient is one output of quotients.
func (r Gamma) quotient(z, q, rel float32) (gp, gn float32) {
	switch {
	case z > 0:
		gp = rel / stab(z+r.Gamma*q, r.Stab)
	case z < 0:
		gn = rel / stab(z+r.Gamma*(z-q), r.Stab)
	}
	return gp, gn
}

// ZBox: with c⁺ = W⁺ᵀg and c⁻ = W⁻ᵀg, Wᵀg = c⁺ + c⁻, so
// R_in = x ⊙ Wᵀg − L ⊙ c⁺ − H ⊙ c⁻ = (x − L) ⊙ c⁺ + (x − H) ⊙ c⁻; the
// bound term W⁺·L + b⁺ + W⁻·H + b⁻ does not depend on x and is cached.
func (r ZBox) relevance(s *step) {
	low, high := r.bounds(s)
	lt, ht, d0 := s.w.box(s.l, s.in, len(s.x), low, high, s.a)
	g := s.a.f32(len(s.z))
	quotients(g, s.r, s.z, d0, r.Stab, s.support())
	var cp, cn []float32
	if st, in := s.w.stacked(s.l, s.in); st != nil {
		w, _ := st.params()
		c := s.a.f32(2 * len(s.x))
		st.transpose(c, term(g, w), false, in, s.a)
		cp, cn = c[:len(s.x)], c[len(s.x):]
	} else {
		wp, _ := s.w.pos(s.l)
		wn, _ := s.w.neg(s.l)
		cp, cn = s.bwd(wp, g), s.bwd(wn, g)
	}
	boxSum(s.dst, s.x, lt, ht, cp, cn)
}

func (r ZBox) size(s *sstep) {
	low, high := r.Low, r.High
	if low == nil {
		low, high = s.s.lo, s.s.hi
	}
	s.box(low, high)
	s.div() // g
	st, in := s.stacked()
	if st == nil {
		s.pos()
		s.neg()
		s.bwd(wPos)
		s.bwd(wNeg)
		return
	}
	s.s.f32(2 * s.nx)
	if c, ok := st.(*Conv2D); ok {
		c.sizeTranspose(s.s, in, []wref{s.ref(wStacked)})
	}
}

// boxSum sets dst = (x − L) ⊙ c⁺ + (x − H) ⊙ c⁻, four values per
// iteration.
func boxSum(dst, x, lt, ht, cp, cn []float32) {
	dst, lt, ht, cp, cn = dst[:len(x)], lt[:len(x)], ht[:len(x)], cp[:len(x)], cn[:len(x)]
	for len(x) >= 4 && len(dst) >= 4 && len(lt) >= 4 && len(ht) >= 4 && len(cp) >= 4 && len(cn) >= 4 {
		d, v, l, h := (*[4]float32)(dst), (*[4]float32)(x), (*[4]float32)(lt), (*[4]float32)(ht)
		p, n := (*[4]float32)(cp), (*[4]float32)(cn)
		d[0] = (v[0]-l[0])*p[0] + (v[0]-h[0])*n[0]
		d[1] = (v[1]-l[1])*p[1] + (v[1]-h[1])*n[1]
		d[2] = (v[2]-l[2])*p[2] + (v[2]-h[2])*n[2]
		d[3] = (v[3]-l[3])*p[3] + (v[3]-h[3])*n[3]
		dst, x, lt, ht, cp, cn = dst[4:], x[4:], lt[4:], ht[4:], cp[4:], cn[4:]
	}
	for i, v := range x {
		dst[i] = (v-lt[i])*cp[i] + (v-ht[i])*cn[i]
	}
}

// bounds returns the rule's bounds, or the model's if it has none.
func (r ZBox) bounds(s *step) (low, high []float32) {
	if r.Low == nil {
		return s.lo, s.hi
	}
	return r.Low, r.High
}

func (r WSquare) relevance(s *step) {
	w2, d := s.w.square(s.l, s.in, len(s.x), s.a)
	copy(s.dst, s.bwd(w2, s.div(d, r.Stab)))
}

func (r WSquare) size(s *sstep) {
	s.square()
	s.div()
	s.bwd(wSquare)
}

func (r Flat) relevance(s *step) {
	w1, d := s.w.flat(s.l, s.in, len(s.x), s.a)
	copy(s.dst, s.bwd(w1, s.div(d, r.Stab)))
}

func (r Flat) size(s *sstep) {
	s.flat()
	s.div()
	s.bwd(wOnes)
}

// affineRule is implemented by the rules for Dense and Conv2D. size
// replays relevance for a sizer (memory.go): the same buffers, caches and
// products, in the same order.
type affineRule interface {
	Rule
	relevance(s *step)
	size(s *sstep)
}

// weights caches the modified weights ρ(W) of one layer, and the
// denominators that do not depend on the input, each computed on first use
// and reused by every call.
type weights struct {
	wp, bp, wn, bn []float32 // W⁺, b⁺, W⁻, b⁻
	wu, bu, wd, bd []float32 // W + γW⁺, b + γb⁺, W + γW⁻, b + γb⁻
	gu, gd         float32   // the γ of wu and of wd
	w2, d2         []float32 // W², and W²·1 + b²
	one, d1        []float32 // ones of W's size, and 1·1
	blo, bhi       []float32 // the bounds of lt, ht and dBox
	lt, ht, dBox   []float32 // L and H in the input's shape, W⁺·L + b⁺ + W⁻·H + b⁻
	st             affine    // the layer with W⁺ and W⁻ stacked (see stacked)
	stIn           []int     // its input shape
}

// stacked returns the layer with twice the inputs whose weights are W⁺
// for the first half and W⁻ for the second, and its input shape: its
// transposed product is [W⁺ᵀg; W⁻ᵀg], both of zᴮ's products in one pass
// over g (one density scan, one sweep of g's nonzeros over rows twice as
// long, one col2im). Each entry is the sum the separate products compute,
// in the same order. It is nil for a grouped convolution, whose groups
// would interleave the halves.
func (c *weights) stacked(l affine, in []int) (affine, []int) {
	if c.st != nil {
		return c.st, c.stIn
	}
	wp, _ := c.pos(l)
	wn, _ := c.neg(l)
	switch l := l.(type) {
	case *Dense:
		// w [Out][2·In]: row o is W⁺[o] then W⁻[o].
		w := make([]float32, 2*len(wp))
		for o := range l.Out {
			copy(w[2*o*l.In:], wp[o*l.In:(o+1)*l.In])
			copy(w[(2*o+1)*l.In:], wn[o*l.In:(o+1)*l.In])
		}
		c.st, c.stIn = &Dense{In: 2 * l.In, Out: l.Out, W: w}, []int{2 * l.In}
	case *Conv2D:
		if l.Groups != 1 {
			return nil, nil
		}
		// w [OutC][2·InC][KH][KW]: the channels of W⁺[o], then of W⁻[o].
		k := l.InC * l.KH * l.KW
		w := make([]float32, 2*len(wp))
		for o := range l.OutC {
			copy(w[2*o*k:], wp[o*k:(o+1)*k])
			copy(w[(2*o+1)*k:], wn[o*k:(o+1)*k])
		}
		st := *l
		st.InC, st.W, st.B = 2*l.InC, w, nil
		c.st, c.stIn = &st, []int{2 * l.InC, in[1], in[2]}
	}
	return c.st, c.stIn
}

// signed returns v + kp·v⁺ + kn·v⁻ elementwise, with v⁺ = max(v, 0) and
// v⁻ = min(v, 0), or nil for a nil v: W⁺ is (kp, kn) = (0, −1), W⁻ is
// (−1, 0), W + γW⁺ is (γ, 0) and W + γW⁻ is (0, γ); each is exact where
// the one-term formula is. v⁺ and v⁻ come from the sign bit without a
// branch, four values per iteration: in wasm, a map with a function value
// made the caches of a ResNet-18 cost 0.6 s, and Go's float min and max
// branch there.
func signed(v []float32, kp, kn float32) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	o := out
	for len(v) >= 4 && len(o) >= 4 {
		x, y := (*[4]float32)(v), (*[4]float32)(o)
		y[0] = signed1(x[0], kp, kn)
		y[1] = signed1(x[1], kp, kn)
		y[2] = signed1(x[2], kp, kn)
		y[3] = signed1(x[3], kp, kn)
		v, o = v[4:], o[4:]
	}
	for i, x := range v {
		o[i] = signed1(x, kp, kn)
	}
	return out
}

// signed1 returns x + kp·x⁺ + kn·x⁻ (see signed): the sign bit, spread
// over a mask, keeps x's bits in x⁺ or in x⁻ and zeroes the other.
func signed1(x, kp, kn float32) float32 {
	b := math.Float32bits(x)
	neg := uint32(int32(b) >> 31)
	return x + kp*math.Float32frombits(b&^neg) + kn*math.Float32frombits(b&neg)
}

// pos returns W⁺ and b⁺.
func (c *weights) pos(l affine) (wp, bp []float32) {
	if c.wp == nil {
		w, b := l.params()
		c.wp, c.bp = signed(w, 0, -1), signed(b, 0, -1)
	}
	return c.wp, c.bp
}

// neg returns W⁻ and b⁻.
func (c *weights) neg(l affine) (wn, bn []float32) {
	if c.wn == nil {
		w, b := l.params()
		c.wn, c.bn = signed(w, -1, 0), signed(b, -1, 0)
	}
	return c.wn, c.bn
}

// up returns W + γW⁺ and b + γb⁺.
func (c *weights) up(l affine, g float32) (wu, bu []float32) {
	if c.wu == nil || c.gu != g {
		w, b := l.params()
		c.wu, c.bu, c.gu = signed(w, g, 0), signed(b, g, 0), g
	}
	return c.wu, c.bu
}

// down returns W + γW⁻ and b + γb⁻.
func (c *weights) down(l affine, g float32) (wd, bd []float32) {
	if c.wd == nil || c.gd != g {
		w, b := l.params()
		c.wd, c.bd, c.gd = signed(w, 0, g), signed(b, 0, g), g
	}
	return c.wd, c.bd
}

// square returns W² and D = W²·1 + b² for inputs of shape in (n values).
func (c *weights) square(l affine, in []int, n int, a *arena) (w2, d []float32) {
	if c.w2 == nil {
		w, b := l.params()
		c.w2 = squares(w)
		c.d2 = make([]float32, numel(mustOut(l, in)))
		defer a.whole()()
		l.forward(c.d2, c.ones(n), c.w2, squares(b), nil, in, a)
	}
	return c.w2, c.d2
}

// flat returns weights of ones and D = 1·1 for inputs of shape in.
func (c *weights) flat(l affine, in []int, n int, a *arena) (w1, d []float32) {
	w, _ := l.params()
	if c.d1 == nil {
		c.d1 = make([]float32, numel(mustOut(l, in)))
		defer a.whole()()
		l.forward(c.d1, c.ones(n), c.ones(len(w)), nil, nil, in, a)
	}
	return c.ones(len(w)), c.d1
}

// mustOut is the output shape of an affine layer of a checked model.
func mustOut(l affine, in []int) []int {
	s, err := l.OutShape([][]int{in})
	if err != nil {
		panic(err)
	}
	return s
}

// squares returns v ⊙ v, or nil for a nil v.
func squares(v []float32) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	mul(out, v, v)
	return out
}

// ones returns a slice of n ones.
func (c *weights) ones(n int) []float32 {
	if len(c.one) < n {
		c.one = make([]float32, n)
		for i := range c.one {
			c.one[i] = 1
		}
	}
	return c.one[:n]
}

// box returns the tensors L and H of the layer input's shape (n values)
// filled with the per-channel bounds low and high, and W⁺·L + b⁺ + W⁻·H + b⁻.
// A flat input takes channel i·len(low)/n, as a flattened [C][H][W] tensor
// does.
func (c *weights) box(l affine, in []int, n int, low, high []float32, a *arena) (lt, ht, d []float32) {
	if len(c.lt) == n && slices.Equal(c.blo, low) && slices.Equal(c.bhi, high) {
		return c.lt, c.ht, c.dBox
	}
	c.lt, c.ht = make([]float32, n), make([]float32, n)
	c.blo, c.bhi = append([]float32(nil), low...), append([]float32(nil), high...)
	k := len(low)
	if len(in) == 3 && in[0] != k || n%k != 0 {
		k = 1 // bounds do not match the channels: use the first for all
	}
	for i := range n {
		ch := i / (n / k)
		c.lt[i], c.ht[i] = low[ch], high[ch]
	}
	wp, bp := c.pos(l)
	wn, bn := c.neg(l)
	m := numel(mustOut(l, in))
	c.dBox = make([]float32, m)
	if cv, ok := l.(*Conv2D); ok {
		lc, hc := make([]float32, in[0]), make([]float32, in[0])
		for ch := range lc {
			lc[ch], hc[ch] = c.lt[ch*in[1]*in[2]], c.ht[ch*in[1]*in[2]]
		}
		cv.constant(c.dBox, lc, hc, wp, wn, bp, bn, in[1], in[2])
		return c.lt, c.ht, c.dBox
	}
	defer a.whole()()
	l.forward(c.dBox, c.lt, wp, bp, nil, in, a)
	t := make([]float32, m)
	l.forward(t, c.ht, wn, bn, nil, in, a)
	add(c.dBox, t)
	return c.lt, c.ht, c.dBox
}

// A wname names one of the weights a layer's products use: its own W, or
// one of the modified weights cached in weights.
type wname uint8

const (
	wPlain   wname = iota // W
	wPos                  // W⁺ (pos)
	wNeg                  // W⁻ (neg)
	wUp                   // W + γW⁺ (up)
	wDown                 // W + γW⁻ (down)
	wSquare               // W² (square)
	wOnes                 // ones of W's size (flat)
	wStacked              // W⁺ and W⁻ stacked (stacked)
	numWNames
)

// wref is the weights named w of node i, for the γ of wUp and wDown.
type wref struct {
	i     int
	w     wname
	gamma float32
}

// slice returns the weights r names as e holds them, or nil if it has not
// built them.
func (e *Explainer) slice(r wref) []float32 {
	W, _ := e.m.Nodes[r.i].Layer.(affine).params()
	c := &e.w[r.i]
	switch r.w {
	case wPlain:
		return W
	case wPos:
		return c.wp
	case wNeg:
		return c.wn
	case wUp:
		if c.gu == r.gamma {
			return c.wu
		}
	case wDown:
		if c.gd == r.gamma {
			return c.wd
		}
	case wSquare:
		return c.w2
	case wOnes:
		if len(c.one) >= len(W) {
			return c.one[:len(W)]
		}
	case wStacked:
		if c.st != nil {
			w, _ := c.st.params()
			return w
		}
	}
	return nil
}

// held returns the bytes of the caches c holds.
func (c *weights) held() int64 {
	var n int64
	for _, v := range [...][]float32{c.wp, c.bp, c.wn, c.bn, c.wu, c.bu, c.wd, c.bd, c.w2, c.d2, c.one, c.d1, c.blo, c.bhi, c.lt, c.ht, c.dBox} {
		n += alloc(bytesOf[float32](cap(v)))
	}
	if c.st != nil {
		w, _ := c.st.params()
		n += alloc(bytesOf[float32](cap(w))) + stackedBytes
	}
	return n
}

// stackedBytes is the layer that stacked makes besides its weights.
const stackedBytes = int64(unsafe.Sizeof(Conv2D{})) + 32

// wstate is what a sizer knows of one layer's weights: which caches exist
// (held by the Explainer, or built by the replay) and what they were built
// for.
type wstate struct {
	have   [numWNames]uint8 // absent, held or built
	gu, gd float32
	one    int  // len(ones)
	d2, d1 bool // square's and flat's denominators
	box    bool // lt, ht and dBox, for boxN inputs and the bounds blo, bhi
	boxN   int
	// boxHeld is set while the box terms are the Explainer's.
	boxHeld bool
	blo     []float32
	bhi     []float32
}

const (
	absent uint8 = iota
	held
	built
)

// from sets w to what c holds for layer l.
func (w *wstate) from(c *weights, l Layer) {
	on := func(v []float32) uint8 {
		if v != nil {
			return held
		}
		return absent
	}
	w.have = [numWNames]uint8{wPlain: held, wPos: on(c.wp), wNeg: on(c.wn), wUp: on(c.wu), wDown: on(c.wd), wSquare: on(c.w2)}
	if c.st != nil {
		w.have[wStacked] = held
	}
	if a, ok := l.(affine); ok {
		if W, _ := a.params(); len(c.one) >= len(W) {
			w.have[wOnes] = held
		}
	}
	w.gu, w.gd, w.one = c.gu, c.gd, len(c.one)
	w.d2, w.d1 = c.d2 != nil, c.d1 != nil
	w.box, w.boxN, w.blo, w.bhi = c.lt != nil, len(c.lt), c.blo, c.bhi
	w.boxHeld = w.box
}

// The caches of weights, as a sizer replays them: each allocates what the
// method of the same name does when its cache is missing.

func (s *sstep) state() *wstate { return &s.s.w[s.i] }

// params counts a modified copy of W and b.
func (s *sstep) params() {
	w, b := s.l.params()
	s.s.alloc(bytesOf[float32](len(w)))
	s.s.alloc(bytesOf[float32](len(b)))
}

func (s *sstep) pos() {
	if c := s.state(); c.have[wPos] == absent {
		s.params()
		c.have[wPos] = built
	}
}

func (s *sstep) neg() {
	if c := s.state(); c.have[wNeg] == absent {
		s.params()
		c.have[wNeg] = built
	}
}

func (s *sstep) up() {
	if c := s.state(); c.have[wUp] == absent || c.gu != s.gamma {
		s.params()
		s.s.replaced = s.s.replaced || c.have[wUp] == held
		c.have[wUp], c.gu = built, s.gamma
	}
}

func (s *sstep) down() {
	if c := s.state(); c.have[wDown] == absent || c.gd != s.gamma {
		s.params()
		s.s.replaced = s.s.replaced || c.have[wDown] == held
		c.have[wDown], c.gd = built, s.gamma
	}
}

func (s *sstep) square() {
	c := s.state()
	if c.have[wSquare] != absent {
		return
	}
	w, b := s.l.params()
	s.s.alloc(bytesOf[float32](len(w)))
	s.s.alloc(bytesOf[float32](s.nz))
	s.s.alloc(bytesOf[float32](len(b))) // squares(b), for the call
	c.have[wSquare], c.d2 = built, true
	s.ones(s.nx)
	s.forward(wSquare)
}

func (s *sstep) flat() {
	c := s.state()
	if c.d1 {
		return
	}
	w, _ := s.l.params()
	s.s.alloc(bytesOf[float32](s.nz))
	c.d1 = true
	s.ones(s.nx)
	s.ones(len(w))
	s.forward(wOnes)
}

// ones is weights.ones(n).
func (s *sstep) ones(n int) {
	c := s.state()
	if c.one >= n {
		return
	}
	s.s.alloc(bytesOf[float32](n))
	c.one = n
	c.have[wOnes] = absent
	if w, _ := s.l.params(); n >= len(w) {
		c.have[wOnes] = built
	}
}

// forward is the layer's whole forward product with the weights w, as
// the caches compute it.
func (s *sstep) forward(w wname) {
	if c, ok := s.l.(*Conv2D); ok {
		c.sizeForward(s.s, s.in, s.ref(w), false)
	}
}

func (s *sstep) box(low, high []float32) {
	c := s.state()
	if c.box && c.boxN == s.nx && slices.Equal(c.blo, low) && slices.Equal(c.bhi, high) {
		return
	}
	s.s.replaced = s.s.replaced || c.boxHeld
	c.box, c.boxHeld, c.boxN, c.blo, c.bhi = true, false, s.nx, low, high
	s.s.alloc(bytesOf[float32](s.nx)) // lt
	s.s.alloc(bytesOf[float32](s.nx)) // ht
	s.s.alloc(bytesOf[float32](len(low)))
	s.s.alloc(bytesOf[float32](len(high)))
	s.pos()
	s.neg()
	s.s.alloc(bytesOf[float32](s.nz)) // dBox
	if l, ok := s.l.(*Conv2D); ok {
		oh, ow := l.outSize(s.in[1], s.in[2])
		s.s.alloc(2 * bytesOf[float32](s.in[0]))             // lc, hc
		s.s.alloc(bytesOf[float64]((l.KH + 1) * (l.KW + 1))) // constant's prefix sums
		s.s.alloc(bytesOf[[2]int](oh))
		s.s.alloc(bytesOf[[2]int](ow))
		return
	}
	s.s.alloc(bytesOf[float32](s.nz)) // t
}

// stacked returns the stacked layer's geometry, or nil, as
// weights.stacked does, counting its weights if they are not built yet.
func (s *sstep) stacked() (affine, []int) {
	var st affine
	var in []int
	switch l := s.l.(type) {
	case *Dense:
		st, in = &Dense{In: 2 * l.In, Out: l.Out}, []int{2 * l.In}
	case *Conv2D:
		if l.Groups != 1 {
			return nil, nil
		}
		c := *l
		c.InC, c.W, c.B = 2*l.InC, nil, nil
		st, in = &c, []int{2 * l.InC, s.in[1], s.in[2]}
	}
	if c := s.state(); c.have[wStacked] == absent {
		s.pos()
		s.neg()
		w, _ := s.l.params()
		s.s.alloc(2 * bytesOf[float32](len(w)))
		s.s.bytes += stackedBytes
		c.have[wStacked] = built
	}
	return st, in
}

// constant sets dst [OutC][OH][OW] = W⁺∗L + b⁺ + W⁻∗H + b⁻ for inputs L
// and H of h×w that are constant on each channel c (lc[c] and hc[c]), as
// zᴮ's bounds are. With k[o][u][v] = Σ_c W⁺[o][c][u][v]·lc[c] +
// W⁻[o][c][u][v]·hc[c], output (i, j) is the sum of k[o] over the kernel
// taps that fall inside the input, a rectangle [u0, u1)×[v0, v1) read off
// the 2-D prefix sums of k[o] (in float64). That is KH·KW work per output
// channel and position instead of two convolutions: a ResNet-18's first
// layer takes milliseconds rather than two passes over 224×224.
func (l *Conv2D) constant(dst, lc, hc, wp, wn, bp, bn []float32, h, w int) {
	oh, ow := l.outSize(h, w)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	kk := l.KH * l.KW
	s := make([]float64, (l.KH+1)*(l.KW+1)) // s[u][v] = Σ k[o][<u][<v]
	// The taps inside the input, per output row and column: the same for
	// every channel.
	rows, cols := make([][2]int, oh), make([][2]int, ow)
	for i := range rows {
		rows[i][0], rows[i][1] = span(i*l.SH-l.PT, l.DH, h, l.KH) // taps u with i·SH + u·DH − PT in [0, h)
	}
	for j := range cols {
		cols[j][0], cols[j][1] = span(j*l.SW-l.PL, l.DW, w, l.KW)
	}
	for o := range l.OutC {
		g := o / og
		clear(s)
		for u := range l.KH {
			for v := range l.KW {
				var k float64
				for c := range cg {
					t := (o*cg+c)*kk + u*l.KW + v
					k += float64(wp[t])*float64(lc[g*cg+c]) + float64(wn[t])*float64(hc[g*cg+c])
				}
				s[(u+1)*(l.KW+1)+v+1] = k + s[u*(l.KW+1)+v+1] + s[(u+1)*(l.KW+1)+v] - s[u*(l.KW+1)+v]
			}
		}
		var b float64
		if bp != nil {
			b = float64(bp[o]) + float64(bn[o])
		}
		for i, u := range rows {
			s0, s1 := s[u[0]*(l.KW+1):], s[u[1]*(l.KW+1):]
			out := dst[(o*oh+i)*ow : (o*oh+i+1)*ow]
			for j, v := range cols {
				r := b
				if u[0] < u[1] && v[0] < v[1] {
					r += s1[v[1]] - s0[v[1]] - s1[v[0]] + s0[v[0]]
				}
				out[j] = float32(r)
			}
		}
	}
}
