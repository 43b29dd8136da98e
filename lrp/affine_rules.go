package lrp

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

// fwd returns ρ(W)·x + b in a scratch buffer.
func (s *step) fwd(w, b, x []float32) []float32 {
	out := s.a.f32(len(s.z))
	s.l.forward(out, x, w, b, s.in, s.a)
	return out
}

// bwd returns ρ(W)ᵀ·g in a scratch buffer.
func (s *step) bwd(w, g []float32) []float32 {
	out := s.a.f32(len(s.x))
	s.l.transpose(out, g, w, s.in, s.a)
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

// split returns x⁺, x⁻ and whether x has any negative entry.
func (s *step) split() (xp, xn []float32, neg bool) {
	xp, xn = s.a.f32(len(s.x)), s.a.f32(len(s.x))
	for i, v := range s.x {
		xp[i], xn[i] = max(v, 0), min(v, 0)
		neg = neg || v < 0
	}
	return xp, xn, neg
}

func add(dst, a []float32) {
	for i, v := range a {
		dst[i] += v
	}
}

// mul sets dst = x ⊙ c.
func mul(dst, x, c []float32) {
	for i, v := range c {
		dst[i] = x[i] * v
	}
}

// mulAdd sets dst += k·(x ⊙ c).
func mulAdd(dst, x, c []float32, k float32) {
	for i, v := range c {
		dst[i] += k * (x[i] * v)
	}
}

// relevance implements each affine rule over the four steps
// z = ρ(W)·x, s = R/stab(z), c = ρ(W)ᵀ·s, R_in = x ⊙ c.
func (r Epsilon) relevance(s *step) {
	w, _ := s.l.params()
	g := s.div(s.z, r.Eps)
	mul(s.dst, s.x, s.bwd(w, g))
}

func (r Gamma) relevance(s *step) {
	wu, wd, bu, bd := s.w.gamma(s.l, r.Gamma)
	xp, xn, neg := s.split()
	dp, dn := s.fwd(wu, bu, xp), s.fwd(wd, bd, xp)
	if neg {
		add(dp, s.fwd(wd, nil, xn))
		add(dn, s.fwd(wu, nil, xn))
	}
	gp, gn := s.a.f32(len(s.z)), s.a.f32(len(s.z))
	for j, z := range s.z {
		gp[j], gn[j] = 0, 0
		switch {
		case z > 0:
			gp[j] = s.r[j] / stab(dp[j], r.Stab)
		case z < 0:
			gn[j] = s.r[j] / stab(dn[j], r.Stab)
		}
	}
	c := s.bwd(wu, gp)
	add(c, s.bwd(wd, gn))
	mul(s.dst, xp, c)
	if neg {
		c := s.bwd(wd, gp)
		add(c, s.bwd(wu, gn))
		mulAdd(s.dst, xn, c, 1)
	}
}

func (r ZPlus) relevance(s *step) {
	wp, wn, bp, _ := s.w.signs(s.l)
	xp, xn, neg := s.split()
	d := s.fwd(wp, bp, xp)
	if neg {
		add(d, s.fwd(wn, nil, xn))
	}
	g := s.div(d, r.Stab)
	mul(s.dst, xp, s.bwd(wp, g))
	if neg {
		mulAdd(s.dst, xn, s.bwd(wn, g), 1)
	}
}

func (r AlphaBeta) relevance(s *step) {
	wp, wn, bp, bn := s.w.signs(s.l)
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

func (r ZBox) relevance(s *step) {
	w, _ := s.l.params()
	wp, wn, bp, bn := s.w.signs(s.l)
	low, high := r.Low, r.High
	if low == nil {
		low, high = s.lo, s.hi
	}
	lt, ht := s.w.bounds(len(s.x), s.in, low, high)
	d := s.a.f32(len(s.z))
	copy(d, s.z)
	for j, v := range s.fwd(wp, bp, lt) {
		d[j] -= v
	}
	for j, v := range s.fwd(wn, bn, ht) {
		d[j] -= v
	}
	g := s.div(d, r.Stab)
	mul(s.dst, s.x, s.bwd(w, g))
	mulAdd(s.dst, lt, s.bwd(wp, g), -1)
	mulAdd(s.dst, ht, s.bwd(wn, g), -1)
}

func (r WSquare) relevance(s *step) {
	w2, b2 := s.w.square(s.l)
	g := s.div(s.fwd(w2, b2, s.w.ones(len(s.x))), r.Stab)
	copy(s.dst, s.bwd(w2, g))
}

func (r Flat) relevance(s *step) {
	w, _ := s.l.params()
	w1 := s.w.ones(len(w))
	g := s.div(s.fwd(w1, nil, s.w.ones(len(s.x))), r.Stab)
	copy(s.dst, s.bwd(w1, g))
}

// affineRule is implemented by the rules for Dense and Conv2D.
type affineRule interface {
	Rule
	relevance(s *step)
}

// weights caches the modified weights ρ(W) of one layer, computed once per
// layer and rule parameter and reused by every call.
type weights struct {
	wp, wn, bp, bn []float32
	gammaV         float32
	wu, wd, bu, bd []float32
	w2, b2         []float32
	one            []float32
	lt, ht         []float32
	blo, bhi       []float32
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

// signs returns W⁺, W⁻, b⁺, b⁻.
func (c *weights) signs(l affine) (wp, wn, bp, bn []float32) {
	if c.wp == nil {
		w, b := l.params()
		c.wp, c.wn, c.bp, c.bn = mapf(w, pos), mapf(w, neg), mapf(b, pos), mapf(b, neg)
	}
	return c.wp, c.wn, c.bp, c.bn
}

// gamma returns W + γW⁺, W + γW⁻, b + γb⁺, b + γb⁻.
func (c *weights) gamma(l affine, g float32) (wu, wd, bu, bd []float32) {
	if c.wu == nil || c.gammaV != g {
		w, b := l.params()
		c.gammaV = g
		c.wu = mapf(w, func(v float32) float32 { return v + g*pos(v) })
		c.wd = mapf(w, func(v float32) float32 { return v + g*neg(v) })
		c.bu = mapf(b, func(v float32) float32 { return v + g*pos(v) })
		c.bd = mapf(b, func(v float32) float32 { return v + g*neg(v) })
	}
	return c.wu, c.wd, c.bu, c.bd
}

// square returns W² and b².
func (c *weights) square(l affine) (w2, b2 []float32) {
	if c.w2 == nil {
		w, b := l.params()
		sq := func(v float32) float32 { return v * v }
		c.w2, c.b2 = mapf(w, sq), mapf(b, sq)
	}
	return c.w2, c.b2
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

// bounds returns the tensors L and H of the layer input's shape filled with
// the per-channel bounds low and high. A flat input of n values takes
// channel i·len(low)/n, as a flattened [C][H][W] tensor does.
func (c *weights) bounds(n int, in []int, low, high []float32) (lt, ht []float32) {
	if len(c.lt) == n && equal(c.blo, low) && equal(c.bhi, high) {
		return c.lt, c.ht
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
	return c.lt, c.ht
}

func equal(a, b []float32) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
