package lrp

// Norm splits relevance in proportion to each input's share of the
// output: for average pooling R_i = x_i·Σ_o R_o / (k_o·stab(y_o)), over
// the windows o that hold input i with k_o inputs each; for Add
// R_a = a·R / stab(a + b) and R_b = b·R / stab(a + b).
type Norm struct{ Stab float32 }

var normSpec = RuleSpec{
	Name:        "norm",
	Title:       "Norm",
	Formula:     "R_i = x_i·Σ_o R_o / (k_o·stab(y_o))",
	Description: "Relevance split in proportion to each input's share of the output.",
	Params:      []Param{stabilizer},
	Kinds:       []Kind{KindAvgPool, KindGlobalAvgPool, KindAdd},
	layers:      "average pooling and add",
	build:       func(a ruleArgs) (Rule, error) { return Norm{a.get("stabilizer")}, nil },
}

func (Norm) Name() string { return "norm" }

func (r Norm) Params() map[string]float64 { return map[string]float64{"stabilizer": f64(r.Stab)} }

func (r Norm) check(k Kind) error { return normSpec.check(k, namedValue{"stabilizer", r.Stab}) }

func (r Norm) backward(b *layerStep) {
	switch l := b.l.(type) {
	case *Add:
		if simdNormAdd(b.dst[0], b.dst[1], b.x[0], b.x[1], b.r, b.y, r.Stab) {
			return
		}
		for t, v := range b.y {
			g := b.r[t] / stab(v, r.Stab)
			b.dst[0][t], b.dst[1][t] = b.x[0][t]*g, b.x[1][t]*g
		}
	case *AvgPool2D, *GlobalAvgPool:
		dst := b.dst[0]
		acc := b.a.f64(len(dst))
		g := b.a.f32(len(b.y))
		for o, v := range b.y {
			g[o] = b.r[o] / stab(v, r.Stab)
		}
		poolOf(l, b.in[0]).spread(dst, g, b.in[0], acc)
		for t, v := range b.x[0] {
			dst[t] *= v
		}
	}
}

func (Norm) sizeBackward(s *sizer, l Layer, in, out []int) {
	switch l.(type) {
	case *AvgPool2D, *GlobalAvgPool:
		s.f64(numel(in))
		s.f32(numel(out))
	}
}

func (Norm) copies(Layer) bool { return false }
