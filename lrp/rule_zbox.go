package lrp

import (
	"errors"
	"fmt"
	"math"
)

// ZBox is the zᴮ-rule for inputs bounded by L ≤ x ≤ H, meant for the
// first layer:
//
//	D = W·x + b − (W⁺·L + b⁺) − (W⁻·H + b⁻),  g = R / stab(D)
//	R_in = x ⊙ Wᵀg − L ⊙ W⁺ᵀg − H ⊙ W⁻ᵀg
//
// Low and High hold one bound per input channel (or one for all); nil
// means the model's pixel range through its normalization (Model.Bounds).
// Padded borders contribute 0.
type ZBox struct {
	Low, High []float32
	Stab      float32
}

var zboxSpec = RuleSpec{
	Name:        "zbox",
	Title:       "LRP-zᴮ",
	Formula:     "R_in = x ⊙ Wᵀg − L ⊙ W⁺ᵀg − H ⊙ W⁻ᵀg, g = R / stab(W·x + b − W⁺·L − b⁺ − W⁻·H − b⁻)",
	Description: "For the first layer: relevance relative to the box of possible inputs L ≤ x ≤ H.",
	Params: []Param{
		{Name: "low", Label: "low", FromModel: true, Min: math.Inf(-1), Max: math.Inf(1)},
		{Name: "high", Label: "high", FromModel: true, Min: math.Inf(-1), Max: math.Inf(1)},
		stabilizer,
	},
	Kinds:      affineKinds,
	Constraint: "low ≤ high",
	layers:     affineLayers,
	build:      newZBox,
}

// errBothBounds is the error for one bound without the other.
var errBothBounds = errors.New("lrp: zbox needs both low and high, or neither")

// newZBox takes both bounds, or neither for the model's.
func newZBox(a ruleArgs) (Rule, error) {
	z := ZBox{Stab: a.get("stabilizer")}
	if a.has("low") != a.has("high") {
		return nil, errBothBounds
	}
	if a.has("low") {
		z.Low, z.High = []float32{a.get("low")}, []float32{a.get("high")}
	}
	return z, nil
}

func (ZBox) Name() string { return "zbox" }

func (r ZBox) Params() map[string]float64 {
	p := map[string]float64{"stabilizer": f64(r.Stab)}
	if len(r.Low) == 1 && len(r.High) == 1 {
		p["low"], p["high"] = f64(r.Low[0]), f64(r.High[0])
	}
	return p
}

func (r ZBox) check(k Kind) error {
	if len(r.Low) != len(r.High) || (r.Low != nil && len(r.Low) == 0) || (r.High != nil && len(r.High) == 0) {
		return fmt.Errorf("lrp: zbox needs as many low as high bounds (nil for the model's), got %d and %d", len(r.Low), len(r.High))
	}
	for i := range r.Low {
		if !(r.Low[i] <= r.High[i]) || isBad(r.Low[i]) || isBad(r.High[i]) {
			return fmt.Errorf("lrp: zbox bounds [%v, %v] invalid", r.Low[i], r.High[i])
		}
	}
	return zboxSpec.check(k, namedValue{"stabilizer", r.Stab})
}

// relevance: with c⁺ = W⁺ᵀg and c⁻ = W⁻ᵀg, Wᵀg = c⁺ + c⁻, so
// R_in = x ⊙ Wᵀg − L ⊙ c⁺ − H ⊙ c⁻ = (x − L) ⊙ c⁺ + (x − H) ⊙ c⁻; the
// bound term W⁺·L + b⁺ + W⁻·H + b⁻ does not depend on x and is cached.
func (r ZBox) relevance(s *step) {
	low, high := r.bounds(s)
	lt, ht, d0 := s.w.box(s.l, s.in, len(s.x), low, high, s.a)
	g := s.a.f32(len(s.z))
	quotients(g, s.r, s.z, d0, r.Stab, s.support())
	var cp, cn []float32
	if st, in := s.w.stacked(s.l, s.in); st != nil {
		w, _ := st.params()
		c := s.a.f32(2 * len(s.x))
		st.transpose(c, term(g, w), false, in, &s.p, s.a)
		cp, cn = c[:len(s.x)], c[len(s.x):]
	} else {
		wp, _ := s.w.pos(s.l)
		wn, _ := s.w.neg(s.l)
		cp, cn = s.bwd(wp, g), s.bwd(wn, g)
	}
	boxSum(s.dst, s.x, lt, ht, cp, cn)
}

func (r ZBox) size(s *sstep) {
	low, high := r.Low, r.High
	if low == nil {
		low, high = s.s.lo, s.s.hi
	}
	s.box(low, high)
	s.div() // g
	st, in := s.stacked()
	if st == nil {
		s.pos()
		s.neg()
		s.bwd(wPos)
		s.bwd(wNeg)
		return
	}
	s.s.f32(2 * s.nx)
	if c, ok := st.(*Conv2D); ok {
		c.sizeTranspose(s.s, in, []wref{s.ref(wStacked)}, s.exact)
	}
}

// boxSum sets dst = (x − L) ⊙ c⁺ + (x − H) ⊙ c⁻, four values per
// iteration.
func boxSum(dst, x, lt, ht, cp, cn []float32) {
	if simdBoxSum(dst, x, lt, ht, cp, cn) {
		return
	}
	dst, lt, ht, cp, cn = dst[:len(x)], lt[:len(x)], ht[:len(x)], cp[:len(x)], cn[:len(x)]
	for len(x) >= 4 && len(dst) >= 4 && len(lt) >= 4 && len(ht) >= 4 && len(cp) >= 4 && len(cn) >= 4 {
		d, v, l, h := (*[4]float32)(dst), (*[4]float32)(x), (*[4]float32)(lt), (*[4]float32)(ht)
		p, n := (*[4]float32)(cp), (*[4]float32)(cn)
		d[0] = (v[0]-l[0])*p[0] + (v[0]-h[0])*n[0]
		d[1] = (v[1]-l[1])*p[1] + (v[1]-h[1])*n[1]
		d[2] = (v[2]-l[2])*p[2] + (v[2]-h[2])*n[2]
		d[3] = (v[3]-l[3])*p[3] + (v[3]-h[3])*n[3]
		dst, x, lt, ht, cp, cn = dst[4:], x[4:], lt[4:], ht[4:], cp[4:], cn[4:]
	}
	for i, v := range x {
		dst[i] = (v-lt[i])*cp[i] + (v-ht[i])*cn[i]
	}
}

// bounds returns the rule's bounds, or the model's if it has none.
func (r ZBox) bounds(s *step) (low, high []float32) {
	if r.Low == nil {
		return s.lo, s.hi
	}
	return r.Low, r.High
}

// prepare builds the bound terms.
func (r ZBox) prepare(s *step, _ bool) {
	low, high := r.bounds(s)
	s.w.box(s.l, s.in, numel(s.in), low, high, s.a)
}

// winogradSafe: D = z − W⁺L − W⁻H vanishes where x is at the bounds (see
// winograd.go).
func (ZBox) winogradSafe() bool { return false }

func (ZBox) winoWeights([]float32, *weights, bool) (forward, transposed [][]float32) {
	return nil, nil
}
