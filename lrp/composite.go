package lrp

import (
	"fmt"
	"math"
	"slices"
	"sort"
)

// Position restricts a Selector to a place among the layers it matches.
type Position int

// Positions: any matching layer, the first or last of them (in node
// order), the ones in between, or the node with a given index.
const (
	Any Position = iota
	First
	Last
	Hidden
	Index
)

// A Selector matches nodes by layer kind and position. With Kinds empty it
// matches every kind. First, Last and Hidden are relative to the nodes whose
// kind is in Kinds: First is the first such node of the model, Hidden those
// that are neither first nor last.
type Selector struct {
	Kinds []Kind
	Pos   Position
	Index int // node index, for Pos == Index
}

// An Entry assigns Rule to the nodes its selector matches.
type Entry struct {
	Select Selector
	Rule   Rule
}

// A Composite assigns one rule to every layer: the first entry whose
// selector matches a node wins; nodes no entry matches take the plain
// gradient (as MaxPool2D and Flatten do in Zennit's composites).
type Composite struct {
	Name    string
	Entries []Entry
}

var (
	affineKinds = []Kind{KindConv, KindDense}
	convKinds   = []Kind{KindConv}
	denseKinds  = []Kind{KindDense}
)

// baseEntries is Zennit's layer_map_base: activations and BatchNorm pass,
// average pooling and Add normalize.
func baseEntries() []Entry {
	return []Entry{
		{Selector{Kinds: []Kind{KindReLU, KindReLU6, KindBatchNorm}}, Pass{}},
		{Selector{Kinds: []Kind{KindAvgPool, KindGlobalAvgPool, KindAdd}}, Norm{1e-6}},
	}
}

// Assign returns the rule of every node of m, checking that each applies to
// its layer. It takes time linear in the nodes times the entries.
func (c *Composite) Assign(m *Model) ([]Rule, error) {
	span := make([]selected, len(c.Entries))
	for k, e := range c.Entries {
		span[k] = e.Select.span(m)
	}
	rules := make([]Rule, len(m.Nodes))
	for i, nd := range m.Nodes {
		rules[i] = Gradient{}
		for k, e := range c.Entries {
			if e.Select.matches(m, i, span[k]) {
				rules[i] = e.Rule
				break
			}
		}
		if rules[i] == nil {
			return nil, fmt.Errorf("lrp: composite %s, node %d (%s): nil rule", c.Name, i, nd.Name)
		}
		if err := rules[i].check(nd.Layer.Kind()); err != nil {
			return nil, fmt.Errorf("lrp: composite %s, node %d (%s): %w", c.Name, i, nd.Name, unwrapPrefix(err))
		}
	}
	return rules, nil
}

// selected is the first and last node a selector's kinds match (−1 when
// none does).
type selected struct{ first, last int }

// has reports whether kind k is among the selector's kinds.
func (s Selector) has(k Kind) bool { return len(s.Kinds) == 0 || slices.Contains(s.Kinds, k) }

// span finds the first and last node of m whose kind s names, in one pass.
func (s Selector) span(m *Model) selected {
	sp := selected{-1, -1}
	for j, nd := range m.Nodes {
		if s.has(nd.Layer.Kind()) {
			if sp.first < 0 {
				sp.first = j
			}
			sp.last = j
		}
	}
	return sp
}

// matches reports whether s selects node i of m, given s.span(m).
func (s Selector) matches(m *Model, i int, sp selected) bool {
	if !s.has(m.Nodes[i].Layer.Kind()) {
		return false
	}
	switch s.Pos {
	case First:
		return i == sp.first
	case Last:
		return i == sp.last
	case Hidden:
		return i != sp.first && i != sp.last
	case Index:
		return i == s.Index
	}
	return true
}

// Params are named rule parameters that override a built-in composite's
// defaults: "epsilon", "gamma", "alpha", "beta", "low", "high", "stabilizer".
type Params map[string]float64

func (p Params) get(k string, def float64) float32 {
	if v, ok := p[k]; ok {
		return float32(v)
	}
	return float32(def)
}

var builtins = map[string]func(p Params) *Composite{
	"gradient": func(Params) *Composite { return &Composite{} },
	"lrp0":     func(p Params) *Composite { return single(Epsilon{p.get("epsilon", 1e-9)}) },
	"epsilon":  func(p Params) *Composite { return single(Epsilon{p.get("epsilon", 0.25)}) },
	"gamma":    func(p Params) *Composite { return single(Gamma{p.get("gamma", 0.25), p.stab()}) },
	"zplus":    func(p Params) *Composite { return single(ZPlus{p.stab()}) },
	"alpha2beta1": func(p Params) *Composite {
		return single(p.alphaBeta())
	},
	"epsilon_gamma_box": func(p Params) *Composite {
		return layered(
			Entry{Selector{Kinds: convKinds, Pos: First}, p.zbox()},
			Entry{Selector{Kinds: convKinds}, Gamma{p.get("gamma", 0.25), p.stab()}},
			Entry{Selector{Kinds: denseKinds}, Epsilon{p.get("epsilon", 1e-6)}})
	},
	"epsilon_plus": func(p Params) *Composite {
		return layered(
			Entry{Selector{Kinds: convKinds}, ZPlus{p.stab()}},
			Entry{Selector{Kinds: denseKinds}, Epsilon{p.get("epsilon", 1e-6)}})
	},
	"epsilon_plus_flat": func(p Params) *Composite {
		return layered(
			Entry{Selector{Kinds: affineKinds, Pos: First}, Flat{p.stab()}},
			Entry{Selector{Kinds: convKinds}, ZPlus{p.stab()}},
			Entry{Selector{Kinds: denseKinds}, Epsilon{p.get("epsilon", 1e-6)}})
	},
	"epsilon_alpha2beta1": func(p Params) *Composite {
		return layered(
			Entry{Selector{Kinds: convKinds}, p.alphaBeta()},
			Entry{Selector{Kinds: denseKinds}, Epsilon{p.get("epsilon", 1e-6)}})
	},
	"epsilon_alpha2beta1_flat": func(p Params) *Composite {
		return layered(
			Entry{Selector{Kinds: affineKinds, Pos: First}, Flat{p.stab()}},
			Entry{Selector{Kinds: convKinds}, p.alphaBeta()},
			Entry{Selector{Kinds: denseKinds}, Epsilon{p.get("epsilon", 1e-6)}})
	},
	"montavon": func(p Params) *Composite {
		return layered(
			Entry{Selector{Kinds: affineKinds, Pos: First}, p.zbox()},
			Entry{Selector{Kinds: convKinds}, Gamma{p.get("gamma", 0.25), p.stab()}},
			Entry{Selector{Kinds: denseKinds, Pos: Last}, Epsilon{1e-9}},
			Entry{Selector{Kinds: denseKinds}, Epsilon{p.get("epsilon", 0.25)}})
	},
	"wsquare_first": func(p Params) *Composite {
		return layered(
			Entry{Selector{Kinds: affineKinds, Pos: First}, WSquare{p.stab()}},
			Entry{Selector{Kinds: affineKinds}, Epsilon{p.get("epsilon", 1e-6)}})
	},
}

// compositeDocs describes each built-in composite in one line.
var compositeDocs = map[string]string{
	"gradient":                 "plain gradient through every layer (no LRP rule)",
	"lrp0":                     "LRP-0 (ε = 1e-9) on every dense and conv layer",
	"epsilon":                  "LRP-ε (ε = 0.25) on every dense and conv layer",
	"gamma":                    "LRP-γ (γ = 0.25) on every dense and conv layer",
	"zplus":                    "z⁺ on every dense and conv layer",
	"alpha2beta1":              "α2β1 on every dense and conv layer",
	"epsilon_gamma_box":        "zᴮ on the first conv, γ = 0.25 on the other convs, ε = 1e-6 on dense layers",
	"epsilon_plus":             "z⁺ on convs, ε = 1e-6 on dense layers",
	"epsilon_plus_flat":        "flat on the first layer, z⁺ on convs, ε = 1e-6 on dense layers",
	"epsilon_alpha2beta1":      "α2β1 on convs, ε = 1e-6 on dense layers",
	"epsilon_alpha2beta1_flat": "flat on the first layer, α2β1 on convs, ε = 1e-6 on dense layers",
	"montavon":                 "zᴮ first, γ on convs, ε = 0.25 on hidden dense layers, LRP-0 on the last (Montavon et al. 2019)",
	"wsquare_first":            "w² on the first layer, ε = 1e-6 elsewhere",
}

func single(r Rule) *Composite {
	return layered(Entry{Selector{Kinds: affineKinds}, r})
}

func layered(es ...Entry) *Composite {
	return &Composite{Entries: append(es, baseEntries()...)}
}

func (p Params) stab() float32 { return p.get("stabilizer", 1e-6) }

func (p Params) alphaBeta() AlphaBeta {
	_, hasA := p["alpha"]
	_, hasB := p["beta"]
	a, b := p.get("alpha", 2), p.get("beta", 1)
	switch {
	case hasA && !hasB:
		b = a - 1
	case hasB && !hasA:
		a = b + 1
	}
	return AlphaBeta{a, b, p.stab()}
}

func (p Params) zbox() ZBox {
	z := ZBox{Stab: p.stab()}
	if lo, ok := p["low"]; ok {
		z.Low = []float32{float32(lo)}
		z.High = []float32{p.get("high", math.NaN())}
	} else if hi, ok := p["high"]; ok {
		z.Low, z.High = []float32{float32(math.NaN())}, []float32{float32(hi)}
	}
	return z
}

// Composites lists the names of the built-in composites, sorted.
func Composites() []string {
	names := make([]string, 0, len(builtins))
	for n := range builtins {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// DescribeComposite returns a one-line description of a built-in composite.
func DescribeComposite(name string) string { return compositeDocs[name] }

// Builtin returns the built-in composite name with the parameters p
// overriding its defaults, after checking them.
func Builtin(name string, p Params) (*Composite, error) {
	f, ok := builtins[name]
	if !ok {
		return nil, fmt.Errorf("lrp: unknown composite %q (known: %v)", name, Composites())
	}
	for k, v := range p {
		switch k {
		case "epsilon", "gamma", "alpha", "beta", "low", "high", "stabilizer":
		default:
			return nil, fmt.Errorf("lrp: unknown composite parameter %q", k)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("lrp: composite parameter %s is %v", k, v)
		}
	}
	c := f(p)
	c.Name = name
	for _, e := range c.Entries {
		if err := checkParams(e.Rule); err != nil {
			return nil, err
		}
	}
	return c, nil
}
