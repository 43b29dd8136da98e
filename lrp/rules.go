package lrp

import (
	"fmt"
	"math"
	"strconv"
)

// A Rule says how relevance crosses one layer. Epsilon, Gamma, ZPlus,
// AlphaBeta, ZBox, WSquare and Flat apply to the affine layers (Dense,
// Conv2D); Pass to activations, BatchNorm and Flatten; Norm to average
// pooling and Add; Gradient to every layer (the plain gradient: for MaxPool it
// sends each output's relevance to the first maximal element of its window).
type Rule interface {
	// Name is the rule's name as used in options and model files.
	Name() string
	// Params returns the rule's parameters by name.
	Params() map[string]float64
	// check reports whether the rule applies to layers of kind k.
	check(k Kind) error
}

// stab is Zennit's stabilizer: d + ε·s(d) with s(d) = +1 for d ≥ 0
// (including −0) and −1 for d < 0, so a zero denominator becomes +ε.
func stab(d, eps float32) float32 {
	if d < 0 {
		return d - eps
	}
	return d + eps
}

// Gradient is the plain gradient of the layer.
type Gradient struct{}

// Pass sends relevance through unchanged (activations, BatchNorm, Flatten).
type Pass struct{}

// Norm splits relevance in proportion to each input's share of the output:
// for average pooling R_i = x_i·Σ_o R_o / (k_o·stab(y_o)), for Add
// R_a = a·R/stab(a+b) and R_b = b·R/stab(a+b).
type Norm struct{ Stab float32 }

// Epsilon is LRP-ε: R_in = x ⊙ Wᵀ·(R / stab(W·x + b)). The bias share of
// every output stays with the bias. LRP-0 is Epsilon{1e-9}.
type Epsilon struct{ Eps float32 }

// Gamma is Zennit's generalized four-term γ-rule. With Wu = W + γW⁺,
// Wd = W + γW⁻, bu = b + γb⁺, bd = b + γb⁻:
//
//	Dp = Wu·x⁺ + Wd·x⁻ + bu,  Dn = Wd·x⁺ + Wu·x⁻ + bd
//	gp = [z > 0]·R / stab(Dp),  gn = [z < 0]·R / stab(Dn)
//	R_in = x⁺ ⊙ (Wuᵀgp + Wdᵀgn) + x⁻ ⊙ (Wdᵀgp + Wuᵀgn)
//
// where z = W·x + b; outputs with z = 0 pass nothing.
type Gamma struct{ Gamma, Stab float32 }

// ZPlus is the z⁺-rule: D = W⁺·x⁺ + W⁻·x⁻ + b⁺, g = R / stab(D),
// R_in = x⁺ ⊙ W⁺ᵀg + x⁻ ⊙ W⁻ᵀg.
type ZPlus struct{ Stab float32 }

// AlphaBeta is the αβ-rule with α − β = 1: Da = W⁺·x⁺ + W⁻·x⁻ + b⁺,
// Db = W⁻·x⁺ + W⁺·x⁻ + b⁻, ga = R/stab(Da), gb = R/stab(Db),
// R_in = α(x⁺ ⊙ W⁺ᵀga + x⁻ ⊙ W⁻ᵀga) − β(x⁺ ⊙ W⁻ᵀgb + x⁻ ⊙ W⁺ᵀgb).
type AlphaBeta struct{ Alpha, Beta, Stab float32 }

// ZBox is the zᴮ-rule for inputs bounded by L ≤ x ≤ H:
// D = W·x + b − (W⁺·L + b⁺) − (W⁻·H + b⁻), g = R / stab(D),
// R_in = x ⊙ Wᵀg − L ⊙ W⁺ᵀg − H ⊙ W⁻ᵀg. Low and High hold one bound per
// input channel (or one for all); nil means the model's pixel range through
// its normalization (Model.Bounds). Padded borders contribute 0.
type ZBox struct {
	Low, High []float32
	Stab      float32
}

// WSquare is the w²-rule: D = W²·1 + b², g = R / stab(D), R_in = W²ᵀg.
type WSquare struct{ Stab float32 }

// Flat is the flat rule: weights and input replaced by ones, no bias:
// D = 1·1 counts the in-bounds inputs of each output, R_in = 1ᵀ·(R / stab(D)).
type Flat struct{ Stab float32 }

func (Gradient) Name() string  { return "gradient" }
func (Pass) Name() string      { return "pass" }
func (Norm) Name() string      { return "norm" }
func (Epsilon) Name() string   { return "epsilon" }
func (Gamma) Name() string     { return "gamma" }
func (ZPlus) Name() string     { return "zplus" }
func (AlphaBeta) Name() string { return "alphabeta" }
func (ZBox) Name() string      { return "zbox" }
func (WSquare) Name() string   { return "wsquare" }
func (Flat) Name() string      { return "flat" }

func (Gradient) Params() map[string]float64 { return nil }
func (Pass) Params() map[string]float64     { return nil }
func (r Norm) Params() map[string]float64   { return map[string]float64{"stabilizer": f64(r.Stab)} }
func (r Epsilon) Params() map[string]float64 {
	return map[string]float64{"epsilon": f64(r.Eps)}
}
func (r Gamma) Params() map[string]float64 {
	return map[string]float64{"gamma": f64(r.Gamma), "stabilizer": f64(r.Stab)}
}
func (r ZPlus) Params() map[string]float64 { return map[string]float64{"stabilizer": f64(r.Stab)} }
func (r AlphaBeta) Params() map[string]float64 {
	return map[string]float64{"alpha": f64(r.Alpha), "beta": f64(r.Beta), "stabilizer": f64(r.Stab)}
}
func (r ZBox) Params() map[string]float64 {
	p := map[string]float64{"stabilizer": f64(r.Stab)}
	if len(r.Low) == 1 && len(r.High) == 1 {
		p["low"], p["high"] = f64(r.Low[0]), f64(r.High[0])
	}
	return p
}
func (r WSquare) Params() map[string]float64 { return map[string]float64{"stabilizer": f64(r.Stab)} }
func (r Flat) Params() map[string]float64    { return map[string]float64{"stabilizer": f64(r.Stab)} }

// f64 converts a float32 parameter to the float64 that prints as it was set
// (1e-6, not 9.999999974752427e-07).
func f64(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}

func isAffine(k Kind) bool { return k == KindDense || k == KindConv }

func checkStab(name string, s float32) error {
	if !(s >= 0) || math.IsInf(float64(s), 0) {
		return fmt.Errorf("lrp: %s stabilizer must be ≥ 0 and finite, got %v", name, s)
	}
	return nil
}

func needAffine(name string, k Kind) error {
	if !isAffine(k) {
		return fmt.Errorf("lrp: rule %s applies to dense and conv2d layers, not %v", name, k)
	}
	return nil
}

func (Gradient) check(Kind) error { return nil }

func (Pass) check(k Kind) error {
	switch k {
	case KindReLU, KindReLU6, KindBatchNorm, KindFlatten:
		return nil
	}
	return fmt.Errorf("lrp: rule pass applies to activations, batchnorm2d and flatten, not %v", k)
}

func (r Norm) check(k Kind) error {
	switch k {
	case KindAvgPool, KindGlobalAvgPool, KindAdd:
		return checkStab("norm", r.Stab)
	}
	return fmt.Errorf("lrp: rule norm applies to average pooling and add, not %v", k)
}

func (r Epsilon) check(k Kind) error {
	if !(r.Eps >= 0) || math.IsInf(float64(r.Eps), 0) {
		return fmt.Errorf("lrp: epsilon must be ≥ 0 and finite, got %v", r.Eps)
	}
	return needAffine("epsilon", k)
}

func (r Gamma) check(k Kind) error {
	if !(r.Gamma >= 0) || math.IsInf(float64(r.Gamma), 0) {
		return fmt.Errorf("lrp: gamma must be ≥ 0 and finite, got %v", r.Gamma)
	}
	if err := checkStab("gamma", r.Stab); err != nil {
		return err
	}
	return needAffine("gamma", k)
}

func (r ZPlus) check(k Kind) error {
	if err := checkStab("zplus", r.Stab); err != nil {
		return err
	}
	return needAffine("zplus", k)
}

func (r AlphaBeta) check(k Kind) error {
	if !(r.Alpha >= 1) || !(r.Beta >= 0) || math.Abs(float64(r.Alpha)-float64(r.Beta)-1) > 1e-6 {
		return fmt.Errorf("lrp: alphabeta needs α − β = 1 with β ≥ 0, got α=%v β=%v", r.Alpha, r.Beta)
	}
	if err := checkStab("alphabeta", r.Stab); err != nil {
		return err
	}
	return needAffine("alphabeta", k)
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
	if err := checkStab("zbox", r.Stab); err != nil {
		return err
	}
	return needAffine("zbox", k)
}

func (r WSquare) check(k Kind) error {
	if err := checkStab("wsquare", r.Stab); err != nil {
		return err
	}
	return needAffine("wsquare", k)
}

func (r Flat) check(k Kind) error {
	if err := checkStab("flat", r.Stab); err != nil {
		return err
	}
	return needAffine("flat", k)
}

// NewRule builds a rule from its name and parameters (missing parameters
// take the defaults: ε = 1e-6 for epsilon, γ = 0.25, α = 2 and β = 1,
// bounds from the model, stabilizer 1e-6) and checks them.
func NewRule(name string, p map[string]float64) (Rule, error) {
	get := func(k string, def float64) float32 {
		if v, ok := p[k]; ok {
			return float32(v)
		}
		return float32(def)
	}
	for k, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("lrp: rule %s parameter %s is %v", name, k, v)
		}
	}
	s := get("stabilizer", 1e-6)
	var r Rule
	switch name {
	case "gradient":
		r = Gradient{}
	case "pass":
		r = Pass{}
	case "norm":
		r = Norm{s}
	case "epsilon":
		r = Epsilon{get("epsilon", 1e-6)}
	case "lrp0":
		r = Epsilon{1e-9}
	case "gamma":
		r = Gamma{get("gamma", 0.25), s}
	case "zplus":
		r = ZPlus{s}
	case "alphabeta":
		a, b := get("alpha", 2), get("beta", 1)
		if _, ok := p["beta"]; !ok {
			b = a - 1
		}
		if _, ok := p["alpha"]; !ok {
			a = b + 1
		}
		r = AlphaBeta{a, b, s}
	case "zbox":
		z := ZBox{Stab: s}
		lo, okl := p["low"]
		hi, okh := p["high"]
		if okl != okh {
			return nil, fmt.Errorf("lrp: zbox needs both low and high, or neither")
		}
		if okl {
			z.Low, z.High = []float32{float32(lo)}, []float32{float32(hi)}
		}
		r = z
	case "wsquare":
		r = WSquare{s}
	case "flat":
		r = Flat{s}
	default:
		return nil, fmt.Errorf("lrp: unknown rule %q (known: gradient, pass, norm, epsilon, lrp0, gamma, zplus, alphabeta, zbox, wsquare, flat)", name)
	}
	if err := checkParams(r); err != nil {
		return nil, err
	}
	return r, nil
}

// checkParams validates a rule's parameters independently of a layer kind.
func checkParams(r Rule) error {
	k := KindDense
	switch r.(type) {
	case Pass:
		k = KindReLU
	case Norm:
		k = KindAdd
	}
	return r.check(k)
}
