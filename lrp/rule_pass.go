package lrp

// Pass sends relevance through unchanged, R_in = R: Zennit's rule for
// activations and BatchNorm (layer_map_base), and for Flatten.
type Pass struct{}

var passSpec = RuleSpec{
	Name:        "pass",
	Title:       "Pass",
	Formula:     "R_in = R",
	Description: "Relevance passes through unchanged.",
	Kinds:       []Kind{KindReLU, KindReLU6, KindBatchNorm, KindFlatten},
	layers:      "activations, batchnorm2d and flatten",
	build:       func(ruleArgs) (Rule, error) { return Pass{}, nil },
}

func (Pass) Name() string               { return "pass" }
func (Pass) Params() map[string]float64 { return nil }
func (Pass) check(k Kind) error         { return passSpec.check(k) }

func (Pass) backward(b *layerStep) { copy(b.dst[0], b.r) }

func (Pass) sizeBackward(*sizer, Layer, []int, []int) {}

func (Pass) copies(Layer) bool { return true }
