package lrp

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
)

// A Rule says how relevance crosses one layer. Each rule lives in its own
// file, rule_NAME.go: its type with the formula, its RuleSpec (parameters
// with defaults and ranges, the layer kinds it applies to), its checks and
// its relevance code; the registry ruleSpecs below lists them.
//
// The rules for the affine layers (Dense, Conv2D) are affineRules; the
// rules for the layers without weights are layerRules; Gradient and
// Epsilon (on a BatchNorm or Scale, a diagonal affine layer) are both.
type Rule interface {
	// Name is the rule's name as used in options and model files.
	Name() string
	// Params returns the rule's parameters by name.
	Params() map[string]float64
	// check reports whether the rule applies to layers of kind k, with
	// its parameters in their ranges.
	check(k Kind) error
}

// An affineRule sends relevance across a Dense or Conv2D layer. Its
// relevance runs the engine's version of Zennit's four steps (step, in
// step.go) and size replays it for a sizer (memory.go): the same
// buffers, caches and products, in the same order. The other methods are
// the facts the fast paths need.
type affineRule interface {
	Rule
	relevance(s *step)
	size(s *sstep)
	// prepare builds the cached modified weights that relevance uses on
	// inputs x ≥ 0 (Explainer.Prepare); relu says that only ReLUs read the
	// layer's output.
	prepare(s *step, relu bool)
	// winogradSafe reports whether the rule's products may use Winograd
	// (see winograd.go); if not, its products run on a pass with exact
	// set (Explainer.layerBackward).
	winogradSafe() bool
	// winoWeights returns, for a rule that is winogradSafe, the weights
	// besides W whose forward products, and those whose transposed
	// products, relevance computes on inputs x ≥ 0, for a layer with
	// weights W and caches w: Prepare packs their Winograd operands.
	winoWeights(W []float32, w *weights, relu bool) (forward, transposed [][]float32)
}

// A layerRule sends relevance across a layer without weights (layerStep,
// in backward.go).
type layerRule interface {
	Rule
	backward(b *layerStep)
	// sizeBackward replays backward for a sizer, for layer l with input
	// shape in and output shape out.
	sizeBackward(s *sizer, l Layer, in, out []int)
	// copies reports whether backward passes the relevance at l's output
	// to its input as an exact copy, or spreads its values over zeros, so
	// that its sum is known: the diagnostics skip summing it again.
	copies(l Layer) bool
}

// ruleSpecs is the registry of rules, in the order that error messages
// list them. NewRule, Rules and the composites' parameters read it.
var ruleSpecs = []*RuleSpec{
	&gradientSpec,
	&passSpec,
	&normSpec,
	&epsilonSpec,
	&lrp0Spec,
	&gammaSpec,
	&zplusSpec,
	&alphaBetaSpec,
	&zboxSpec,
	&wsquareSpec,
	&flatSpec,
	&signalSpec,
	&uniformSpec,
}

// A RuleSpec describes a rule for NewRule and for a user interface: its
// name, its formula, its parameters and the layer kinds it applies to.
type RuleSpec struct {
	Name        string // as in NewRule and Rule.Name
	Title       string // for display, e.g. "LRP-ε"
	Formula     string // in one line
	Description string // in one sentence
	Params      []Param
	Kinds       []Kind // the layer kinds the rule applies to
	// Constraint is a relation among the parameters besides their
	// ranges, e.g. "alpha - beta = 1", or "".
	Constraint string

	// layers names Kinds in words, for error messages.
	layers string
	// build makes the rule from its arguments; NewRule checks it after.
	build func(a ruleArgs) (Rule, error)
}

// A Param is one parameter of a rule, with its default and the closed
// range [Min, Max] it must lie in (math.Inf for an unbounded side).
type Param struct {
	Name    string // as in NewRule's parameters and Rule.Params
	Label   string // for display, e.g. "ε"
	Default float64
	// FromModel is set when the default comes from the model rather than
	// Default (zᴮ's bounds: the pixel range through its normalization).
	FromModel bool
	Min, Max  float64
}

// stabilizer is the parameter of the rules whose only parameter is the
// ε of stab, Zennit's stabilizer.
var stabilizer = Param{Name: "stabilizer", Label: "stabilizer", Default: 1e-6, Max: math.Inf(1)}

var (
	affineKinds = []Kind{KindDense, KindConv}
	convKinds   = []Kind{KindConv}
	denseKinds  = []Kind{KindDense}
)

// affineLayers is the layers of the affine rules in words.
const affineLayers = "dense and conv2d layers"

// Rules returns the registry: every rule NewRule accepts, in the order
// of its "known rules" message. The slices are the caller's.
func Rules() []RuleSpec {
	out := make([]RuleSpec, len(ruleSpecs))
	for i, s := range ruleSpecs {
		out[i], _ = LookupRule(s.Name)
	}
	return out
}

// LookupRule returns the registry's rule named name. Its slices are the
// caller's.
func LookupRule(name string) (RuleSpec, bool) {
	s, ok := ruleSpec(name)
	if !ok {
		return RuleSpec{}, false
	}
	c := *s
	c.Params, c.Kinds = slices.Clone(s.Params), slices.Clone(s.Kinds)
	return c, true
}

// ruleSpec returns the registry entry named name.
func ruleSpec(name string) (*RuleSpec, bool) {
	for _, s := range ruleSpecs {
		if s.Name == name {
			return s, true
		}
	}
	return nil, false
}

// ruleNames returns the names of the registry's rules, in its order.
func ruleNames() []string {
	names := make([]string, len(ruleSpecs))
	for i, s := range ruleSpecs {
		names[i] = s.Name
	}
	return names
}

// ruleParam reports whether some rule has a parameter named name.
func ruleParam(name string) bool {
	for _, s := range ruleSpecs {
		if _, ok := s.param(name); ok {
			return true
		}
	}
	return false
}

// param returns the rule's parameter named name.
func (s *RuleSpec) param(name string) (Param, bool) {
	for _, p := range s.Params {
		if p.Name == name {
			return p, true
		}
	}
	return Param{}, false
}

// ruleArgs are the parameters NewRule builds a rule from.
type ruleArgs struct {
	spec *RuleSpec
	p    map[string]float64
}

// get returns parameter name as given, or its default.
func (a ruleArgs) get(name string) float32 {
	if v, ok := a.p[name]; ok {
		return float32(v)
	}
	p, _ := a.spec.param(name)
	return float32(p.Default)
}

// has reports whether parameter name was given.
func (a ruleArgs) has(name string) bool {
	_, ok := a.p[name]
	return ok
}

// NewRule builds the rule name of the registry from its parameters
// (missing parameters take the defaults of its RuleSpec: ε = 1e-6 for
// epsilon, γ = 0.25, α = 2 and β = 1 completed to α − β = 1 when only one
// is given, bounds from the model, stabilizer 1e-6) and checks them.
// Parameters the rule does not have are ignored.
func NewRule(name string, p map[string]float64) (Rule, error) {
	for k, v := range p {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("lrp: rule %s parameter %s is %v", name, k, v)
		}
	}
	s, ok := ruleSpec(name)
	if !ok {
		return nil, fmt.Errorf("lrp: unknown rule %q (known: %s)", name, strings.Join(ruleNames(), ", "))
	}
	r, err := s.build(ruleArgs{s, p})
	if err != nil {
		return nil, err
	}
	if err := checkParams(r); err != nil {
		return nil, err
	}
	return r, nil
}

// checkParams validates a rule's parameters independently of a layer kind.
func checkParams(r Rule) error {
	s, _ := ruleSpec(r.Name())
	return r.check(s.Kinds[0])
}

// inRange returns an error if v lies outside parameter name's range.
func (s *RuleSpec) inRange(name string, v float32) error {
	p, _ := s.param(name)
	if f := float64(v); f >= p.Min && f <= p.Max && !math.IsInf(f, 0) {
		return nil
	}
	what := s.Name + " " + name
	if name == s.Name {
		what = name
	}
	var want string
	switch lo, hi := !math.IsInf(p.Min, -1), !math.IsInf(p.Max, 1); {
	case lo && hi:
		want = fmt.Sprintf("in [%g, %g]", p.Min, p.Max)
	case lo:
		want = fmt.Sprintf("≥ %g and finite", p.Min)
	case hi:
		want = fmt.Sprintf("≤ %g and finite", p.Max)
	default:
		want = "finite"
	}
	return fmt.Errorf("lrp: %s must be %s, got %v", what, want, v)
}

// applies returns an error if the rule does not apply to kind k.
func (s *RuleSpec) applies(k Kind) error {
	if slices.Contains(s.Kinds, k) {
		return nil
	}
	return fmt.Errorf("lrp: rule %s applies to %s, not %v", s.Name, s.layers, k)
}

// check returns the first error of the rule's parameters, named and in
// order, followed by applies(k).
func (s *RuleSpec) check(k Kind, params ...namedValue) error {
	for _, p := range params {
		if err := s.inRange(p.name, p.v); err != nil {
			return err
		}
	}
	return s.applies(k)
}

// namedValue is one parameter value of a rule, for RuleSpec.check.
type namedValue struct {
	name string
	v    float32
}

// f64 converts a float32 parameter to the float64 that prints as it was set
// (1e-6, not 9.999999974752427e-07).
func f64(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}

// stab is Zennit's stabilizer: d + ε·s(d) with s(d) = +1 for d ≥ 0
// (including −0) and −1 for d < 0, so a zero denominator becomes +ε.
func stab(d, eps float32) float32 {
	if d < 0 {
		return d - eps
	}
	return d + eps
}
