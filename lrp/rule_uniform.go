package lrp

// Uniform is AttnLRP's uniform rule for a product of N factors, each of
// which receives 1/N of the relevance of every output it takes part in
// (Achtibat et al. 2024, "AttnLRP: attention-aware layer-wise relevance
// propagation for transformers"). With two factors each receives half:
// for a gate y = x ⊙ g with one g_c per channel,
//
//	R_x = R/2,  R_g,c = Σ_{t ∈ channel c} R_t/2.
//
// It conserves exactly: the signal keeps half, the gate's branch receives
// the other half.
type Uniform struct{}

var uniformSpec = RuleSpec{
	Name:        "uniform",
	Title:       "Uniform (AttnLRP)",
	Formula:     "R_x = R/2, R_g = Σ R/2",
	Description: "Half of the relevance to each factor of a product (Achtibat et al. 2024).",
	Kinds:       []Kind{KindMul},
	layers:      "mul",
	build:       func(ruleArgs) (Rule, error) { return Uniform{}, nil },
}

func (Uniform) Name() string               { return "uniform" }
func (Uniform) Params() map[string]float64 { return nil }
func (Uniform) check(k Kind) error         { return uniformSpec.check(k) }

func (Uniform) backward(b *layerStep) {
	r, dx, dg := b.r, b.dst[0], b.dst[1]
	hw := len(r) / len(dg)
	for c := range dg {
		var s float64
		for t := c * hw; t < (c+1)*hw; t++ {
			dx[t] = r[t] / 2
			s += float64(r[t])
		}
		dg[c] = float32(s / 2)
	}
}

func (Uniform) sizeBackward(*sizer, Layer, []int, []int) {}

func (Uniform) copies(Layer) bool { return false }
