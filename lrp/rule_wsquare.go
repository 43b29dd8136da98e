package lrp

// WSquare is the w²-rule, which ignores the input:
//
//	D = W²·1 + b²,  g = R / stab(D),  R_in = W²ᵀg
type WSquare struct{ Stab float32 }

var wsquareSpec = RuleSpec{
	Name:        "wsquare",
	Title:       "LRP-w²",
	Formula:     "R_in = W²ᵀ(R / stab(W²·1 + b²))",
	Description: "Relevance by the squared weights alone, whatever the input: for the first layer.",
	Params:      []Param{stabilizer},
	Kinds:       affineKinds,
	layers:      affineLayers,
	build:       func(a ruleArgs) (Rule, error) { return WSquare{a.get("stabilizer")}, nil },
}

func (WSquare) Name() string { return "wsquare" }

func (r WSquare) Params() map[string]float64 { return map[string]float64{"stabilizer": f64(r.Stab)} }

func (r WSquare) check(k Kind) error { return wsquareSpec.check(k, namedValue{"stabilizer", r.Stab}) }

func (r WSquare) relevance(s *step) {
	w2, d := s.w.square(s.l, s.in, len(s.x), s.a)
	copy(s.dst, s.bwd(w2, s.div(d, r.Stab)))
}

func (r WSquare) size(s *sstep) {
	s.square()
	s.div()
	s.bwd(wSquare)
}

func (WSquare) prepare(s *step, _ bool) { s.w.square(s.l, s.in, numel(s.in), s.a) }

// winogradSafe: D does not depend on x.
func (WSquare) winogradSafe() bool { return true }

func (WSquare) winoWeights(_ []float32, w *weights, _ bool) (forward, transposed [][]float32) {
	return nil, [][]float32{w.w2}
}
