package app

import (
	"math"

	"github.com/lrpwasm/lrp/lrp"
)

// The catalogue is what a page shows of the engine's rules and methods,
// read from their registries (lrp.Rules, lrp.MethodSpecs): rules() and
// composites() in docs/JS_API.md.

// Rule is one LRP rule of the catalogue.
type Rule struct {
	Name        string      `json:"name"`
	Title       string      `json:"title"`
	Formula     string      `json:"formula"`
	Description string      `json:"description"`
	Kinds       []string    `json:"kinds"` // the layer kinds it applies to, as in info().layers
	Params      []RuleParam `json:"params"`
	Constraint  string      `json:"constraint"` // a relation among the parameters, e.g. "alpha - beta = 1", or ""
}

// RuleParam is one parameter of a rule: its default and the closed range
// it must lie in. A nil Default comes from the model (zᴮ's bounds); a nil
// Min or Max is unbounded.
type RuleParam struct {
	Name    string   `json:"name"`
	Label   string   `json:"label"`
	Default *float64 `json:"default"`
	Min     *float64 `json:"min"`
	Max     *float64 `json:"max"`
}

// Rules lists every rule that the option "rules" accepts, in the order of
// the engine's registry.
func Rules() []Rule {
	specs := lrp.Rules()
	out := make([]Rule, len(specs))
	for i, s := range specs {
		r := Rule{Name: s.Name, Title: s.Title, Formula: s.Formula, Description: s.Description,
			Kinds: make([]string, len(s.Kinds)), Params: make([]RuleParam, len(s.Params)), Constraint: s.Constraint}
		for k, kind := range s.Kinds {
			r.Kinds[k] = kind.String()
		}
		for k, p := range s.Params {
			r.Params[k] = ruleParam(p)
		}
		out[i] = r
	}
	return out
}

// ruleParam is p as the catalogue shows it.
func ruleParam(p lrp.Param) RuleParam {
	q := RuleParam{Name: p.Name, Label: p.Label, Min: finite(p.Min), Max: finite(p.Max)}
	if !p.FromModel {
		q.Default = finite(p.Default)
	}
	return q
}

// finite returns &v, or nil for ±Inf.
func finite(v float64) *float64 {
	if math.IsInf(v, 0) {
		return nil
	}
	return &v
}

// Method is one explanation method (composites() in docs/JS_API.md).
type Method struct {
	Name        string `json:"name"`
	Title       string `json:"title"`
	Description string `json:"description"`
	Kind        string `json:"kind"` // "lrp" (a composite of LRP rules) or "baseline"
	// Params are the parameters of the option "params" that the method
	// reads (lrp.MethodSpec.Params), with its defaults; any other changes
	// nothing. A baseline reads none.
	Params []RuleParam `json:"params"`
}

// Methods lists every method Explain accepts, sorted by name.
func Methods() []Method {
	specs := lrp.MethodSpecs()
	out := make([]Method, len(specs))
	for i, m := range specs {
		kind := "lrp"
		if m.Baseline() {
			kind = "baseline"
		}
		ps := m.Params()
		params := make([]RuleParam, len(ps))
		for k, p := range ps {
			params[k] = ruleParam(p)
		}
		out[i] = Method{m.Name, m.Title, m.Description, kind, params}
	}
	return out
}

// isBaseline reports whether Explain runs method name as a baseline.
func isBaseline(name string) bool {
	m, ok := lrp.LookupMethod(name)
	return ok && m.Baseline()
}
