package lrp

import (
	"maps"
	"slices"
	"strings"
)

// methodSpecs is the registry of methods: the built-in composites and the
// baselines. Composites, Builtin, Explain, Prepare and the sizer read it;
// nothing else keeps a list of method names.
var methodSpecs = []MethodSpec{
	{Name: "lrp0", Title: "LRP-0", Description: "LRP-0 (ε = 1e-9) on every dense and conv layer",
		composite: func(b *builder) []Entry { return single(b.ruleWith("epsilon", Params{"epsilon": 1e-9})) }},
	{Name: "epsilon", Title: "LRP-ε", Description: "LRP-ε (ε = 0.25) on every dense and conv layer",
		composite: func(b *builder) []Entry { return single(b.ruleWith("epsilon", Params{"epsilon": 0.25})) }},
	{Name: "gamma", Title: "LRP-γ", Description: "LRP-γ (γ = 0.25) on every dense and conv layer",
		composite: func(b *builder) []Entry { return single(b.rule("gamma")) }},
	{Name: "zplus", Title: "LRP-z⁺", Description: "z⁺ on every dense and conv layer",
		composite: func(b *builder) []Entry { return single(b.rule("zplus")) }},
	{Name: "alpha2beta1", Title: "LRP-α2β1", Description: "α2β1 on every dense and conv layer",
		composite: func(b *builder) []Entry { return single(b.rule("alphabeta")) }},
	{Name: "epsilon_gamma_box", Title: "EpsilonGammaBox", Description: "zᴮ on the first conv, γ = 0.25 on the other convs, ε = 1e-6 on dense layers",
		composite: func(b *builder) []Entry {
			return layered(
				Entry{Selector{Kinds: convKinds, Pos: First}, b.rule("zbox")},
				Entry{Selector{Kinds: convKinds}, b.rule("gamma")},
				Entry{Selector{Kinds: denseKinds}, b.rule("epsilon")})
		}},
	{Name: "epsilon_plus", Title: "EpsilonPlus", Description: "z⁺ on convs, ε = 1e-6 on dense layers",
		composite: func(b *builder) []Entry {
			return layered(
				Entry{Selector{Kinds: convKinds}, b.rule("zplus")},
				Entry{Selector{Kinds: denseKinds}, b.rule("epsilon")})
		}},
	{Name: "epsilon_plus_flat", Title: "EpsilonPlusFlat", Description: "flat on the first layer, z⁺ on convs, ε = 1e-6 on dense layers",
		composite: func(b *builder) []Entry {
			return layered(
				Entry{Selector{Kinds: affineKinds, Pos: First}, b.rule("flat")},
				Entry{Selector{Kinds: convKinds}, b.rule("zplus")},
				Entry{Selector{Kinds: denseKinds}, b.rule("epsilon")})
		}},
	{Name: "epsilon_alpha2beta1", Title: "EpsilonAlpha2Beta1", Description: "α2β1 on convs, ε = 1e-6 on dense layers",
		composite: func(b *builder) []Entry {
			return layered(
				Entry{Selector{Kinds: convKinds}, b.rule("alphabeta")},
				Entry{Selector{Kinds: denseKinds}, b.rule("epsilon")})
		}},
	{Name: "epsilon_alpha2beta1_flat", Title: "EpsilonAlpha2Beta1Flat", Description: "flat on the first layer, α2β1 on convs, ε = 1e-6 on dense layers",
		composite: func(b *builder) []Entry {
			return layered(
				Entry{Selector{Kinds: affineKinds, Pos: First}, b.rule("flat")},
				Entry{Selector{Kinds: convKinds}, b.rule("alphabeta")},
				Entry{Selector{Kinds: denseKinds}, b.rule("epsilon")})
		}},
	{Name: "montavon", Title: "Montavon et al.", Description: "zᴮ first, γ on convs, ε = 0.25 on hidden dense layers, LRP-0 on the last (Montavon et al. 2019)",
		composite: func(b *builder) []Entry {
			return layered(
				Entry{Selector{Kinds: affineKinds, Pos: First}, b.rule("zbox")},
				Entry{Selector{Kinds: convKinds}, b.rule("gamma")},
				Entry{Selector{Kinds: denseKinds, Pos: Last}, b.rule("lrp0")},
				Entry{Selector{Kinds: denseKinds}, b.ruleWith("epsilon", Params{"epsilon": 0.25})})
		}},
	{Name: "wsquare_first", Title: "w² first", Description: "w² on the first layer, ε = 1e-6 elsewhere",
		composite: func(b *builder) []Entry {
			return layered(
				Entry{Selector{Kinds: affineKinds, Pos: First}, b.rule("wsquare")},
				Entry{Selector{Kinds: affineKinds}, b.rule("epsilon")})
		}},

	// gradient is both: Explain runs the baseline, Builtin returns the
	// composite (no entries: every node takes the unmatched rule).
	{Name: "gradient", Title: "Gradient", Description: "∂f/∂x, the plain gradient",
		composite: func(*builder) []Entry { return nil },
		baseline:  (*Explainer).gradient, gradients: true},
	{Name: "gradient_x_input", Title: "Gradient × input", Description: "x ⊙ ∂f/∂x",
		baseline: (*Explainer).gradientXInput, gradients: true},
	{Name: "smoothgrad", Title: "SmoothGrad", Description: "mean gradient over Samples inputs x + N(0, (Noise·range)²) (Smilkov et al. 2017)",
		baseline: (*Explainer).smoothGrad, gradients: true},
	{Name: "integrated_gradients", Title: "Integrated gradients", Description: "(x − x̄) ⊙ mean gradient on Steps midpoints from the black image x̄ to x (Sundararajan et al. 2017)",
		baseline: (*Explainer).integratedGradients, gradients: true, keepsBase: true},
	{Name: "taylor", Title: "Taylor", Description: "∂f/∂x|x̃ ⊙ (x − x̃) at the root x̃ of f on the segment from the black image to x",
		baseline: (*Explainer).taylor, gradients: true, keepsBase: true, keepsRoot: true},
	{Name: "single_pixel", Title: "Single pixel", Description: "all relevance on the centre pixel: conserves, explains nothing (a control)",
		baseline: (*Explainer).singlePixel},
	{Name: "uniform", Title: "Uniform", Description: "relevance split evenly over the input: conserves, explains nothing (a control)",
		baseline: (*Explainer).uniform},
}

// A MethodSpec is one explanation method of the registry: a built-in
// composite of LRP rules, a baseline that explains without them, or
// both (gradient, which Explain runs as the baseline).
type MethodSpec struct {
	Name        string // as in Options.Method
	Title       string // for display, e.g. "EpsilonGammaBox"
	Description string // in one line

	// composite returns the composite's entries besides baseEntries,
	// building its rules with b; nil for a baseline alone.
	composite func(b *builder) []Entry
	// baseline explains x without rules; nil for a composite alone.
	baseline func(e *Explainer, x []float32, o Options) (*Result, error)
	// gradients is set for a baseline that computes gradients (gradAt);
	// keepsBase and keepsRoot for one that keeps the black image
	// (Explainer.base) and taylor's root point (Explainer.root).
	gradients, keepsBase, keepsRoot bool
}

// Baseline reports whether Explain runs the method without LRP rules.
func (m MethodSpec) Baseline() bool { return m.baseline != nil }

// Composite reports whether the method is a built-in composite (Builtin).
func (m MethodSpec) Composite() bool { return m.composite != nil }

// Params returns the parameters that the method's composite reads: those
// of the rules it builds, each once, in the order it builds them, with the
// composite's defaults (LRP-0's ε = 1e-9, Montavon's ε = 0.25). A
// parameter not in the list changes nothing (α on EpsilonGammaBox). A
// baseline alone, and gradient, whose composite has no rules, read none.
func (m MethodSpec) Params() []Param {
	if m.composite == nil || m.baseline != nil {
		return nil
	}
	b := builder{}
	m.composite(&b)
	return b.params
}

// MethodSpecs returns the registry's methods, sorted by name.
func MethodSpecs() []MethodSpec {
	out := slices.Clone(methodSpecs)
	slices.SortFunc(out, func(a, b MethodSpec) int { return strings.Compare(a.Name, b.Name) })
	return out
}

// LookupMethod returns the registry's method named name.
func LookupMethod(name string) (MethodSpec, bool) {
	if m := methodSpec(name); m != nil {
		return *m, true
	}
	return MethodSpec{}, false
}

// methodSpec returns the registry's method named name, or nil.
func methodSpec(name string) *MethodSpec {
	for i := range methodSpecs {
		if methodSpecs[i].Name == name {
			return &methodSpecs[i]
		}
	}
	return nil
}

// baselineOf returns the baseline named name, or nil.
func baselineOf(name string) *MethodSpec {
	if m := methodSpec(name); m != nil && m.baseline != nil {
		return m
	}
	return nil
}

// Methods lists every method name Explain accepts: the built-in composites
// and the baselines, sorted.
func Methods() []string {
	names := make([]string, len(methodSpecs))
	for i, m := range methodSpecs {
		names[i] = m.Name
	}
	slices.Sort(names)
	return names
}

// Composites lists the names of the built-in composites, sorted.
func Composites() []string {
	var names []string
	for _, m := range methodSpecs {
		if m.composite != nil {
			names = append(names, m.Name)
		}
	}
	slices.Sort(names)
	return names
}

// DescribeMethod returns a one-line description of a composite or baseline,
// or "" for an unknown name.
func DescribeMethod(name string) string {
	if m := methodSpec(name); m != nil {
		return m.Description
	}
	return ""
}

// DescribeComposite returns a one-line description of a built-in
// composite, or "" for a name that is none.
func DescribeComposite(name string) string {
	if m := methodSpec(name); m != nil && m.composite != nil {
		return m.Description
	}
	return ""
}

// unmatched is the rule of the nodes that no entry of a composite selects:
// the plain gradient, as MaxPool2D and Flatten take in Zennit's composites.
var unmatched Rule = Gradient{}

// baseEntries is Zennit's layer_map_base, activations pass and average
// pooling and Add normalize, and the kinds Zennit's composites leave
// without a rule: a Concat, Slice or Shuffle routes each input value the
// relevance of the output value it became (Pass), a LayerNorm passes it
// unchanged (Pass: AttnLRP's identity rule), a gate Mul gives all of it
// to the signal (Signal, Arras et al. 2017), and a BatchNorm that could
// not be folded (the others are gone) or a Scale is a diagonal affine
// layer with LRP-ε, ε = 1e-6 (whatever the composite's parameters).
func baseEntries() []Entry {
	return []Entry{
		{Selector{Kinds: append(slices.Clip(activationKinds), KindConcat, KindSlice, KindShuffle, KindLayerNorm)}, Pass{}},
		{Selector{Kinds: []Kind{KindAvgPool, KindGlobalAvgPool, KindAdd}}, Norm{1e-6}},
		{Selector{Kinds: []Kind{KindMul}}, Signal{}},
		{Selector{Kinds: []Kind{KindBatchNorm, KindScale}}, Epsilon{1e-6}},
	}
}

// single applies r to every dense and conv layer.
func single(r Rule) []Entry {
	return layered(Entry{Selector{Kinds: affineKinds}, r})
}

// layered is the entries es, then baseEntries.
func layered(es ...Entry) []Entry {
	return append(es, baseEntries()...)
}

// A builder builds a composite's rules from its parameters.
type builder struct {
	p      Params
	err    error   // the first rule's error
	params []Param // the parameters of the rules built, with their defaults here
}

// rule builds the rule name as NewRule does from the composite's
// parameters: the rule's own defaults for those it lacks.
func (b *builder) rule(name string) Rule { return b.ruleWith(name, nil) }

// ruleWith is rule with the defaults def in place of the rule's own.
func (b *builder) ruleWith(name string, def Params) Rule {
	p := b.p
	if len(def) > 0 {
		p = maps.Clone(def)
		maps.Copy(p, b.p)
	}
	r, err := NewRule(name, p)
	if err != nil && b.err == nil {
		b.err = err
	}
	s, _ := ruleSpec(name)
	for _, q := range s.Params {
		if slices.ContainsFunc(b.params, func(x Param) bool { return x.Name == q.Name }) {
			continue
		}
		if v, ok := def[q.Name]; ok {
			q.Default = v
		}
		b.params = append(b.params, q)
	}
	return r
}
