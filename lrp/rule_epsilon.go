package lrp

import "math"

// Epsilon is LRP-ε, the four steps with ρ(W) = W:
//
//	z = W·x + b,  s = R / stab(z),  c = Wᵀ·s,  R_in = x ⊙ c
//
// The bias share of every output stays with the bias. LRP-0 is
// Epsilon{1e-9} (the rule lrp0).
//
// On a BatchNorm that could not be folded into a convolution (DenseNet's,
// which precede theirs) and on a Scale (a per-channel scale the importer
// could not fold) it is the same rule on a diagonal affine layer,
// y = s·x + t per channel: R_in = x·s·R / stab(y), the shift's share
// t·R / stab(y) staying with the shift as a bias's does, ε's share
// ε·sign(y)·R / stab(y) with ε.
type Epsilon struct{ Eps float32 }

var epsilonSpec = RuleSpec{
	Name:        "epsilon",
	Title:       "LRP-ε",
	Formula:     "R_in = x ⊙ Wᵀ·(R / stab(W·x + b))",
	Description: "Relevance in proportion to each input's contribution, ε absorbing weak or contradictory outputs.",
	Params:      []Param{{Name: "epsilon", Label: "ε", Default: 1e-6, Max: math.Inf(1)}},
	Kinds:       epsilonKinds,
	layers:      epsilonLayers,
	build:       func(a ruleArgs) (Rule, error) { return Epsilon{a.get("epsilon")}, nil },
}

// epsilonKinds are the affine layers and the diagonal ones, BatchNorm
// and Scale.
var epsilonKinds = []Kind{KindDense, KindConv, KindBatchNorm, KindScale}

const epsilonLayers = "dense, conv2d, batchnorm2d and scale layers"

// lrp0Spec is LRP-0: Epsilon with ε = 1e-9 and no parameters.
var lrp0Spec = RuleSpec{
	Name:        "lrp0",
	Title:       "LRP-0",
	Formula:     "R_in = x ⊙ Wᵀ·(R / stab(W·x + b)), ε = 1e-9",
	Description: "LRP-ε with ε = 1e-9: relevance in proportion to each input's contribution.",
	Kinds:       epsilonKinds,
	layers:      epsilonLayers,
	build:       func(ruleArgs) (Rule, error) { return Epsilon{1e-9}, nil },
}

func (Epsilon) Name() string { return "epsilon" }

func (r Epsilon) Params() map[string]float64 { return map[string]float64{"epsilon": f64(r.Eps)} }

func (r Epsilon) check(k Kind) error { return epsilonSpec.check(k, namedValue{"epsilon", r.Eps}) }

func (r Epsilon) relevance(s *step) {
	w, _ := s.l.params()
	g := s.div(s.z, r.Eps)       // s = R / stab(z), z from the forward pass
	mul(s.dst, s.x, s.bwd(w, g)) // R_in = x ⊙ Wᵀ·s
}

func (r Epsilon) size(s *sstep) {
	s.div()
	s.bwd(wPlain)
}

func (Epsilon) prepare(*step, bool) {}

func (Epsilon) winogradSafe() bool { return true }

func (Epsilon) winoWeights(W []float32, _ *weights, _ bool) (forward, transposed [][]float32) {
	return nil, [][]float32{W}
}

// backward is the rule on a BatchNorm or Scale (layerStep): R_in =
// x·s·R / stab(y) per channel, with y from the forward pass.
func (r Epsilon) backward(b *layerStep) {
	l := b.l.(diagonal)
	x, y, rr, dst := b.x[0], b.y, b.r, b.dst[0]
	hw := len(x) / l.channels()
	for c := range l.channels() {
		s, _ := l.scaleShift(c)
		for t := c * hw; t < (c+1)*hw; t++ {
			dst[t] = x[t] * (s * (rr[t] / stab(y[t], r.Eps)))
		}
	}
}

func (Epsilon) sizeBackward(*sizer, Layer, []int, []int) {}

func (Epsilon) copies(Layer) bool { return false }
