package lrp

// ZPlus is the z⁺-rule, which keeps the positive contributions only
// (ρ(W) = W⁺ on x⁺, W⁻ on x⁻):
//
//	D = W⁺·x⁺ + W⁻·x⁻ + b⁺,  g = R / stab(D),  R_in = x⁺ ⊙ W⁺ᵀg + x⁻ ⊙ W⁻ᵀg
type ZPlus struct{ Stab float32 }

var zplusSpec = RuleSpec{
	Name:        "zplus",
	Title:       "LRP-z⁺",
	Formula:     "R_in = x⁺ ⊙ W⁺ᵀg + x⁻ ⊙ W⁻ᵀg, g = R / stab(W⁺·x⁺ + W⁻·x⁻ + b⁺)",
	Description: "Only the positive contributions carry relevance.",
	Params:      []Param{stabilizer},
	Kinds:       affineKinds,
	layers:      affineLayers,
	build:       func(a ruleArgs) (Rule, error) { return ZPlus{a.get("stabilizer")}, nil },
}

func (ZPlus) Name() string { return "zplus" }

func (r ZPlus) Params() map[string]float64 { return map[string]float64{"stabilizer": f64(r.Stab)} }

func (r ZPlus) check(k Kind) error { return zplusSpec.check(k, namedValue{"stabilizer", r.Stab}) }

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

func (ZPlus) prepare(s *step, _ bool) { s.w.pos(s.l) }

// winogradSafe: D = W⁺x + b⁺ vanishes where x = 0 on a window, apart from
// z (see winograd.go).
func (ZPlus) winogradSafe() bool { return false }

func (ZPlus) winoWeights([]float32, *weights, bool) (forward, transposed [][]float32) {
	return nil, nil
}
