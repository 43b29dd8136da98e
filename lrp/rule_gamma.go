package lrp

import "math"

// Gamma is Zennit's generalized four-term γ-rule, which favours positive
// contributions. With Wu = W + γW⁺, Wd = W + γW⁻, bu = b + γb⁺,
// bd = b + γb⁻ and z = W·x + b, its four steps are
//
//	Dp = Wu·x⁺ + Wd·x⁻ + bu,  Dn = Wd·x⁺ + Wu·x⁻ + bd
//	gp = [z > 0]·R / stab(Dp),  gn = [z < 0]·R / stab(Dn)
//	R_in = x⁺ ⊙ (Wuᵀgp + Wdᵀgn) + x⁻ ⊙ (Wdᵀgp + Wuᵀgn)
//
// so that outputs with z = 0 pass nothing.
type Gamma struct{ Gamma, Stab float32 }

var gammaSpec = RuleSpec{
	Name:        "gamma",
	Title:       "LRP-γ",
	Formula:     "R_in = x⁺ ⊙ (Wuᵀgp + Wdᵀgn) + x⁻ ⊙ (Wdᵀgp + Wuᵀgn), Wu = W + γW⁺, Wd = W + γW⁻",
	Description: "LRP-ε with the positive contributions weighted up by γ: less noisy heatmaps.",
	Params:      []Param{{Name: "gamma", Label: "γ", Default: 0.25, Max: math.Inf(1)}, stabilizer},
	Kinds:       affineKinds,
	layers:      affineLayers,
	build:       func(a ruleArgs) (Rule, error) { return Gamma{a.get("gamma"), a.get("stabilizer")}, nil },
}

func (Gamma) Name() string { return "gamma" }

func (r Gamma) Params() map[string]float64 {
	return map[string]float64{"gamma": f64(r.Gamma), "stabilizer": f64(r.Stab)}
}

func (r Gamma) check(k Kind) error {
	return gammaSpec.check(k, namedValue{"gamma", r.Gamma}, namedValue{"stabilizer", r.Stab})
}

// relevance takes the formula's last step as written where x has negative
// values. Where x ≥ 0 (after a ReLU, the usual case) x⁻ = 0 and
// R_in = x ⊙ (Wuᵀgp + Wdᵀgn), with one of gp and gn often all zero.
func (r Gamma) relevance(s *step) {
	xp, xn, neg := s.split()
	gp, gn, anyP, anyN := r.quotients(s, xp, xn, neg)
	switch {
	case neg:
		wu, _ := s.w.up(s.l, r.Gamma)
		wd, _ := s.w.down(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd2(wu, gp, wd, gn))       // x⁺ ⊙ (Wuᵀgp + Wdᵀgn)
		mulAdd(s.dst, xn, s.bwd2(wd, gp, wu, gn), 1) // + x⁻ ⊙ (Wdᵀgp + Wuᵀgn)
	case !anyN: // gn = 0, as with a ReLU after the layer: x ⊙ Wuᵀgp
		wu, _ := s.w.up(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd(wu, gp))
	case !anyP: // gp = 0: x ⊙ Wdᵀgn
		wd, _ := s.w.down(s.l, r.Gamma)
		mul(s.dst, xp, s.bwd(wd, gn))
	default:
		// Both live: since Wd = (1+γ)W − γW⁺,
		// Wuᵀgp + Wdᵀgn = Wᵀ(gp + (1+γ)gn) + W⁺ᵀγ(gp − gn),
		// two products with W and W⁺, which the forward passes use
		// too: Wd is not built, and no Winograd transform of a modified
		// weight is kept for them.
		w, _ := s.l.params()
		wp, _ := s.w.pos(s.l)
		for j, p := range gp {
			n := gn[j]
			gp[j], gn[j] = p+(1+r.Gamma)*n, r.Gamma*(p-n)
		}
		mul(s.dst, xp, s.bwd2(w, gp, wp, gn))
	}
}

// quotients runs the first two steps: it returns gp and gn in scratch
// buffers, and whether any gp and any gn is nonzero. Where x ≥ 0 one
// forward product is enough, q = W⁺·x + b⁺: Dp = Wu·x + bu = z + γq and
// Dn = Wd·x + bd = z + γ(z − q), with z from the forward pass, computed
// in the same loop as gp and gn (quotientsFrom).
func (r Gamma) quotients(s *step, xp, xn []float32, neg bool) (gp, gn []float32, anyP, anyN bool) {
	gp, gn = s.a.f32(len(s.z)), s.a.f32(len(s.z))
	// The bits of every gp (gn) ORed: some gp ≠ ±0 iff bp<<1 ≠ 0.
	var bp, bn uint32
	if neg {
		wu, bu := s.w.up(s.l, r.Gamma)
		wd, bd := s.w.down(s.l, r.Gamma)
		dp, dn := s.fwd(wu, bu, xp), s.fwd(wd, bd, xp)
		add(dp, s.fwd(wd, nil, xn)) // Dp = Wu·x⁺ + bu + Wd·x⁻
		add(dn, s.fwd(wu, nil, xn)) // Dn = Wd·x⁺ + bd + Wu·x⁻
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
		wp, b := s.w.pos(s.l)
		bp, bn = r.quotientsFrom(gp, gn, s.z, s.fwd(wp, b, xp), s.r, s.support())
	}
	return gp, gn, bp<<1 != 0, bn<<1 != 0
}

// quotientsFrom sets gp = [z > 0]·R/stab(z + γq) and gn = [z < 0]·R/stab(z +
// γ(z − q)), four values per iteration (Go's wasm pays a dispatch per loop
// iteration), or, with R's support sup, at its indices only and 0
// elsewhere; it returns the bits of all gp and of all gn ORed.
func (r Gamma) quotientsFrom(gp, gn, z, q, rel []float32, sup []int32) (bp, bn uint32) {
	if sup != nil {
		if bp, bn, ok := simdGammaQuotientsAt(gp, gn, z, q, rel, r.Gamma, r.Stab, sup); ok {
			return bp, bn
		}
		clear(gp[:len(z)])
		clear(gn[:len(z)])
		for _, j := range sup {
			gp[j], gn[j] = r.quotient(z[j], q[j], rel[j])
			bp, bn = bp|math.Float32bits(gp[j]), bn|math.Float32bits(gn[j])
		}
		return bp, bn
	}
	if bp, bn, ok := simdGammaQuotients(gp, gn, z, q, rel, r.Gamma, r.Stab); ok {
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

// quotient is one output of quotientsFrom: Dp = z + γq, Dn = z + γ(z − q).
func (r Gamma) quotient(z, q, rel float32) (gp, gn float32) {
	switch {
	case z > 0:
		gp = rel / stab(z+r.Gamma*q, r.Stab)
	case z < 0:
		gn = rel / stab(z+r.Gamma*(z-q), r.Stab)
	}
	return gp, gn
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

// prepare builds W⁺ for q, and, when only ReLUs read the output (so
// that gn = 0), Wu. Wd is only used where x has negative values.
func (r Gamma) prepare(s *step, relu bool) {
	s.w.pos(s.l)
	if relu {
		s.w.up(s.l, r.Gamma)
	}
}

// winogradSafe: g = R/stab(D) is bounded where |D| ≥ |z| and R ∝ z.
func (Gamma) winogradSafe() bool { return true }

func (Gamma) winoWeights(W []float32, w *weights, relu bool) (forward, transposed [][]float32) {
	if relu {
		return [][]float32{w.wp}, [][]float32{w.wu}
	}
	return [][]float32{w.wp}, [][]float32{W, w.wp}
}
