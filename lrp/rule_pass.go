package lrp

import "slices"

// Pass sends relevance through unchanged, R_in = R: Zennit's rule for
// activations and BatchNorm (layer_map_base), and for Flatten. Through a
// Concat each input receives its own block of R, the relevance of its
// channels (concatSplit): routing, not a rule, and exact.
type Pass struct{}

var passSpec = RuleSpec{
	Name:        "pass",
	Title:       "Pass",
	Formula:     "R_in = R",
	Description: "Relevance passes through unchanged.",
	Kinds:       append(slices.Clip(activationKinds), KindBatchNorm, KindFlatten, KindConcat),
	layers:      "activations, batchnorm2d, flatten and concat",
	build:       func(ruleArgs) (Rule, error) { return Pass{}, nil },
}

func (Pass) Name() string               { return "pass" }
func (Pass) Params() map[string]float64 { return nil }
func (Pass) check(k Kind) error         { return passSpec.check(k) }

func (Pass) backward(b *layerStep) {
	if _, ok := b.l.(*Concat); ok {
		concatSplit(b.dst, b.r)
		return
	}
	copy(b.dst[0], b.r)
}

func (Pass) sizeBackward(*sizer, Layer, []int, []int) {}

// copies: a Concat's inputs each receive a part of R, not all of it.
func (Pass) copies(l Layer) bool { return l.Kind() != KindConcat }
