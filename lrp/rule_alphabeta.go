package lrp

import (
	"fmt"
	"math"
)

// AlphaBeta is the αβ-rule with α − β = 1, which weighs positive and
// negative contributions apart:
//
//	Da = W⁺·x⁺ + W⁻·x⁻ + b⁺,  Db = W⁻·x⁺ + W⁺·x⁻ + b⁻
//	ga = R / stab(Da),  gb = R / stab(Db)
//	R_in = α(x⁺ ⊙ W⁺ᵀga + x⁻ ⊙ W⁻ᵀga) − β(x⁺ ⊙ W⁻ᵀgb + x⁻ ⊙ W⁺ᵀgb)
type AlphaBeta struct{ Alpha, Beta, Stab float32 }

var alphaBetaSpec = RuleSpec{
	Name:        "alphabeta",
	Title:       "LRP-αβ",
	Formula:     "R_in = α·x ⊙ W⁺ᵀ(R / stab(Da)) − β·x ⊙ W⁻ᵀ(R / stab(Db))",
	Description: "Positive contributions weighted by α, negative ones by β.",
	Params: []Param{
		{Name: "alpha", Label: "α", Default: 2, Min: 1, Max: math.Inf(1)},
		{Name: "beta", Label: "β", Default: 1, Max: math.Inf(1)},
		stabilizer,
	},
	Kinds:      affineKinds,
	Constraint: "alpha - beta = 1",
	layers:     affineLayers,
	build:      newAlphaBeta,
}

// newAlphaBeta completes α and β to α − β = 1 when only one is given.
func newAlphaBeta(a ruleArgs) (Rule, error) {
	alpha, beta := a.get("alpha"), a.get("beta")
	switch {
	case a.has("alpha") && !a.has("beta"):
		beta = alpha - 1
	case a.has("beta") && !a.has("alpha"):
		alpha = beta + 1
	}
	return AlphaBeta{alpha, beta, a.get("stabilizer")}, nil
}

func (AlphaBeta) Name() string { return "alphabeta" }

func (r AlphaBeta) Params() map[string]float64 {
	return map[string]float64{"alpha": f64(r.Alpha), "beta": f64(r.Beta), "stabilizer": f64(r.Stab)}
}

func (r AlphaBeta) check(k Kind) error {
	if !(r.Alpha >= 1) || !(r.Beta >= 0) || math.Abs(float64(r.Alpha)-float64(r.Beta)-1) > 1e-6 {
		return fmt.Errorf("lrp: alphabeta needs α − β = 1 with β ≥ 0, got α=%v β=%v", r.Alpha, r.Beta)
	}
	return alphaBetaSpec.check(k, namedValue{"alpha", r.Alpha}, namedValue{"beta", r.Beta}, namedValue{"stabilizer", r.Stab})
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

func (AlphaBeta) prepare(s *step, _ bool) {
	s.w.pos(s.l)
	s.w.neg(s.l)
}

// winogradSafe: Da and Db vanish apart from z (see winograd.go).
func (AlphaBeta) winogradSafe() bool { return false }

func (AlphaBeta) winoWeights([]float32, *weights, bool) (forward, transposed [][]float32) {
	return nil, nil
}
