package lrp

// Flat is the flat rule: weights and input replaced by ones, no bias,
//
//	D = 1·1,  g = R / stab(D),  R_in = 1ᵀg
//
// where D counts the in-bounds inputs of each output.
type Flat struct{ Stab float32 }

var flatSpec = RuleSpec{
	Name:        "flat",
	Title:       "LRP-flat",
	Formula:     "R_in = 1ᵀ(R / stab(1·1))",
	Description: "Relevance spread evenly over each output's inputs: for the first layer.",
	Params:      []Param{stabilizer},
	Kinds:       affineKinds,
	layers:      affineLayers,
	build:       func(a ruleArgs) (Rule, error) { return Flat{a.get("stabilizer")}, nil },
}

func (Flat) Name() string { return "flat" }

func (r Flat) Params() map[string]float64 { return map[string]float64{"stabilizer": f64(r.Stab)} }

func (r Flat) check(k Kind) error { return flatSpec.check(k, namedValue{"stabilizer", r.Stab}) }

func (r Flat) relevance(s *step) {
	w1, d := s.w.flat(s.l, s.in, len(s.x), s.a)
	copy(s.dst, s.bwd(w1, s.div(d, r.Stab)))
}

func (r Flat) size(s *sstep) {
	s.flat()
	s.div()
	s.bwd(wOnes)
}

func (Flat) prepare(s *step, _ bool) { s.w.flat(s.l, s.in, numel(s.in), s.a) }

// winogradSafe: D does not depend on x.
func (Flat) winogradSafe() bool { return true }

func (Flat) winoWeights(W []float32, w *weights, _ bool) (forward, transposed [][]float32) {
	return nil, [][]float32{w.one[:len(W)]}
}
