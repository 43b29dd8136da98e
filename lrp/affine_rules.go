package lrp

import "slices"

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

// div returns R / stab(d) in a scratch buffer.
func (s *step) div(d []float32, eps float32) []float32 {
	g := s.a.f32(len(d))
	for j, v := range d {
		g[j] = s.r[j] / stab(v, eps)
	}
	return g
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

func (r Gamma) relevance(s *step) {
	xp, xn, neg := s.split()
	var wu, wd []float32
	var dp, dn []float32
	if neg {
		var bu, bd []float32
		wu, wd, bu, bd = s.w.gamma(s.l, r.Gamma)
		dp, dn = s.fwd(wu, bu, xp), s.fwd(wd, bd, xp)
		add(dp, s.fwd(wd, nil, xn))
		add(dn, s.fwd(wu, nil, xn))
	} else {
		// Wu·x + bu = z + γq and Wd·x + bd = z + γ(z − q).
		wp, bp := s.w.pos(s.l)
		dp, dn = s.fwd(wp, bp, xp), s.a.f32(len(s.z))
		for j, z := range s.z {
			q := dp[j]
			dp[j], dn[j] = z+r.Gamma*q, z+r.Gamma*(z-q)
		}
	}
	gp, gn := s.a.f32(len(s.z)), s.a.f32(len(s.z))
	var anyP, anyN bool
	for j, z := range s.z {
		gp[j], gn[j] = 0, 0
		switch {
		case z > 0:
			gp[j] = s.r[j] / stab(dp[j], r.Stab)
			anyP = anyP || gp[j] != 0
		case z < 0:
			gn[j] = s.r[j] / stab(dn[j], r.Stab)
			anyN = anyN || gn[j] != 0
		}
	}
	switch {
	case neg:
		mul(s.dst, xp, s.bwd2(wu, gp, wd, gn))
		mulAdd(s.dst, xn, s.bwd2(wd, gp, wu, gn), 1)
	case !anyN: // a ReLU after the layer: relevance only where z > 0
		wu, _ := s.w.gammaUp(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd(wu, gp))
	case !anyP:
		wd, _ := s.w.gammaDown(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd(wd, gn))
	default:
		// Both signs, no negative input: since W⁻ = W − W⁺,
		// (W + γW⁺)ᵀg⁺ + (W + γW⁻)ᵀg⁻ = Wᵀ(g⁺ + (1+γ)g⁻) + W⁺ᵀ(γ(g⁺ − g⁻)),
		// the same two products with W and W⁺, which the forward passes
		// use too: W + γW⁻ is not built, and no Winograd transform of
		// either modified weight is kept (g⁺ and g⁻ have disjoint supports).
		w, _ := s.l.params()
		wp, _ := s.w.pos(s.l)
		for j := range gp {
			p, n := gp[j], gn[j]
			gp[j], gn[j] = p+(1+r.Gamma)*n, r.Gamma*(p-n)
		}
		mul(s.dst, xp, s.bwd2(w, gp, wp, gn))
	}
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

// ZBox: with c⁺ = W⁺ᵀg and c⁻ = W⁻ᵀg, Wᵀg = c⁺ + c⁻, so
// R_in = x ⊙ Wᵀg − L ⊙ c⁺ − H ⊙ c⁻ = (x − L) ⊙ c⁺ + (x − H) ⊙ c⁻; the
// bound term W⁺·L + b⁺ + W⁻·H + b⁻ does not depend on x and is cached.
func (r ZBox) relevance(s *step) {
	low, high := r.Low, r.High
	if low == nil {
		low, high = s.lo, s.hi
	}
	lt, ht, d0 := s.w.box(s.l, s.in, len(s.x), low, high, s.a)
	d := s.a.f32(len(s.z))
	for j, z := range s.z {
		d[j] = z - d0[j]
	}
	g := s.div(d, r.Stab)
	wp, _ := s.w.pos(s.l)
	wn, _ := s.w.neg(s.l)
	cp, cn := s.bwd(wp, g), s.bwd(wn, g)
	for i, x := range s.x {
		s.dst[i] = (x-lt[i])*cp[i] + (x-ht[i])*cn[i]
	}
}

func (r WSquare) relevance(s *step) {
	w2, d := s.w.square(s.l, s.in, len(s.x), s.a)
	copy(s.dst, s.bwd(w2, s.div(d, r.Stab)))
}

func (r Flat) relevance(s *step) {
	w1, d := s.w.flat(s.l, s.in, len(s.x), s.a)
	copy(s.dst, s.bwd(w1, s.div(d, r.Stab)))
}

// affineRule is implemented by the rules for Dense and Conv2D.
type affineRule interface {
	Rule
	relevance(s *step)
}

// weights caches the modified weights ρ(W) of one layer, and the
// denominators that do not depend on the input, each computed on first use
// and reused by every call.
type weights struct {
	wp, bp, wn, bn []float32 // W⁺, b⁺, W⁻, b⁻
	gammaV         float32
	wu, wd, bu, bd []float32 // W + γW⁺, W + γW⁻, b + γb⁺, b + γb⁻
	w2, d2         []float32 // W², and W²·1 + b²
	one, d1        []float32 // ones of W's size, and 1·1
	blo, bhi       []float32 // the bounds of lt, ht and dBox
	lt, ht, dBox   []float32 // L and H in the input's shape, W⁺·L + b⁺ + W⁻·H + b⁻
}

func mapf(v []float32, f func(float32) float32) []float32 {
	if v == nil {
		return nil
	}
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = f(x)
	}
	return out
}

func pos(v float32) float32 { return max(v, 0) }
func neg(v float32) float32 { return min(v, 0) }

// pos returns W⁺ and b⁺.
func (c *weights) pos(l affine) (wp, bp []float32) {
	if c.wp == nil {
		w, b := l.params()
		c.wp, c.bp = mapf(w, pos), mapf(b, pos)
	}
	return c.wp, c.bp
}

// neg returns W⁻ and b⁻.
func (c *weights) neg(l affine) (wn, bn []float32) {
	if c.wn == nil {
		w, b := l.params()
		c.wn, c.bn = mapf(w, neg), mapf(b, neg)
	}
	return c.wn, c.bn
}

// gamma returns W + γW⁺, W + γW⁻, b + γb⁺, b + γb⁻.
func (c *weights) gamma(l affine, g float32) (wu, wd, bu, bd []float32) {
	wu, bu = c.gammaUp(l, g)
	wd, bd = c.gammaDown(l, g)
	return wu, wd, bu, bd
}

// gammaUp returns W + γW⁺ and b + γb⁺, built on first use for this γ.
func (c *weights) gammaUp(l affine, g float32) (wu, bu []float32) {
	c.setGamma(g)
	if c.wu == nil {
		w, b := l.params()
		c.wu = mapf(w, func(v float32) float32 { return v + g*pos(v) })
		c.bu = mapf(b, func(v float32) float32 { return v + g*pos(v) })
	}
	return c.wu, c.bu
}

// gammaDown returns W + γW⁻ and b + γb⁻, built on first use for this γ.
func (c *weights) gammaDown(l affine, g float32) (wd, bd []float32) {
	c.setGamma(g)
	if c.wd == nil {
		w, b := l.params()
		c.wd = mapf(w, func(v float32) float32 { return v + g*neg(v) })
		c.bd = mapf(b, func(v float32) float32 { return v + g*neg(v) })
	}
	return c.wd, c.bd
}

// setGamma drops the γ weights built for another γ.
func (c *weights) setGamma(g float32) {
	if c.gammaV != g {
		c.gammaV = g
		c.wu, c.wd, c.bu, c.bd = nil, nil, nil, nil
	}
}

// square returns W² and D = W²·1 + b² for inputs of shape in (n values).
func (c *weights) square(l affine, in []int, n int, a *arena) (w2, d []float32) {
	if c.w2 == nil {
		w, b := l.params()
		sq := func(v float32) float32 { return v * v }
		c.w2 = mapf(w, sq)
		c.d2 = make([]float32, numel(mustOut(l, in)))
		l.forward(c.d2, c.ones(n), c.w2, mapf(b, sq), nil, in, a)
	}
	return c.w2, c.d2
}

// flat returns weights of ones and D = 1·1 for inputs of shape in.
func (c *weights) flat(l affine, in []int, n int, a *arena) (w1, d []float32) {
	w, _ := l.params()
	if c.d1 == nil {
		c.d1 = make([]float32, numel(mustOut(l, in)))
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
	l.forward(c.dBox, c.lt, wp, bp, nil, in, a)
	t := make([]float32, m)
	l.forward(t, c.ht, wn, bn, nil, in, a)
	add(c.dBox, t)
	return c.lt, c.ht, c.dBox
}
