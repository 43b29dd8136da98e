package lrp

// Signal is the signal-take-all rule for a multiplicative gate y = x ⊙ g
// (Mul): the gate counts as a constant weight of the signal, so all
// relevance goes to the signal and none to the gate,
//
//	R_x = R,  R_g = 0,
//
// as Arras et al. (2017, "Explaining recurrent neural network predictions
// in sentiment analysis") treat the gates of an LSTM: the gate decides how
// much of the signal passes, the signal carries what is passed. It
// conserves exactly; the gate's branch (a squeeze-and-excitation block)
// receives no relevance. It is the built-in composites' rule for Mul.
type Signal struct{}

var signalSpec = RuleSpec{
	Name:        "signal",
	Title:       "Signal-take-all",
	Formula:     "R_x = R, R_g = 0",
	Description: "All relevance to the signal, none to the gate, which counts as a constant (Arras et al. 2017).",
	Kinds:       []Kind{KindMul},
	layers:      "mul",
	build:       func(ruleArgs) (Rule, error) { return Signal{}, nil },
}

func (Signal) Name() string               { return "signal" }
func (Signal) Params() map[string]float64 { return nil }
func (Signal) check(k Kind) error         { return signalSpec.check(k) }

func (Signal) backward(b *layerStep) {
	copy(b.dst[0], b.r)
	clear(b.dst[1])
}

func (Signal) sizeBackward(*sizer, Layer, []int, []int) {}

// copies: the gate receives nothing, not a copy.
func (Signal) copies(Layer) bool { return false }
