package lrp

import "slices"

// Pass sends relevance through unchanged, R_in = R: Zennit's rule for
// activations and BatchNorm (layer_map_base), and for Flatten. Through
// the layers that only move values (Concat, Slice, Shuffle) each input
// value receives the relevance of the output value it became (route):
// a Concat's inputs their own blocks of R, a channel split the relevance
// of its channels (zero elsewhere), a channel shuffle R by the inverse
// permutation. That is routing, not a rule, and exact.
//
// On a LayerNorm it is AttnLRP's identity rule for normalization layers
// (Achtibat et al. 2024, "AttnLRP: attention-aware layer-wise relevance
// propagation for transformers"): each channel's relevance passes to the
// same channel of the input,
//
//	R_in[c][p] = R[c][p],
//
// as if the normalization, y = (x − μ)/σ·γ + β at each position, were
// the identity: the centring, the division by σ and the affine part move
// no relevance between channels, and none is absorbed. It conserves
// exactly.
type Pass struct{}

var passSpec = RuleSpec{
	Name:        "pass",
	Title:       "Pass",
	Formula:     "R_in = R",
	Description: "Relevance passes through unchanged.",
	Kinds:       append(slices.Clip(activationKinds), KindBatchNorm, KindFlatten, KindConcat, KindSlice, KindShuffle, KindLayerNorm),
	layers:      "activations, batchnorm2d, flatten, concat, slice, shuffle and layernorm",
	build:       func(ruleArgs) (Rule, error) { return Pass{}, nil },
}

func (Pass) Name() string               { return "pass" }
func (Pass) Params() map[string]float64 { return nil }
func (Pass) check(k Kind) error         { return passSpec.check(k) }

func (Pass) backward(b *layerStep) {
	if l, ok := b.l.(router); ok {
		l.route(b.dst, b.in, b.r)
		return
	}
	copy(b.dst[0], b.r)
}

func (Pass) sizeBackward(*sizer, Layer, []int, []int) {}

// copies: a Concat's inputs each receive a part of R, not all of it; a
// Slice spreads R over zeros, a Shuffle permutes it.
func (Pass) copies(l Layer) bool { return l.Kind() != KindConcat }
