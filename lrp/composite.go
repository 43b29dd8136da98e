package lrp

import (
	"fmt"
	"math"
	"slices"
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

// Assign returns the rule of every node of m, checking that each applies to
// its layer. It takes time linear in the nodes times the entries.
func (c *Composite) Assign(m *Model) ([]Rule, error) {
	span := make([]selected, len(c.Entries))
	for k, e := range c.Entries {
		span[k] = e.Select.span(m)
	}
	rules := make([]Rule, len(m.Nodes))
	for i, nd := range m.Nodes {
		rules[i] = unmatched
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
// defaults: any parameter of a rule of the registry ("epsilon", "gamma",
// "alpha", "beta", "low", "high", "stabilizer"). Each rule of the
// composite takes those it has.
type Params map[string]float64

// Builtin returns the built-in composite name with the parameters p
// overriding its defaults, after checking them.
func Builtin(name string, p Params) (*Composite, error) {
	m := methodSpec(name)
	if m == nil || m.composite == nil {
		return nil, fmt.Errorf("lrp: unknown composite %q (known: %v)", name, Composites())
	}
	for k, v := range p {
		if !ruleParam(k) {
			return nil, fmt.Errorf("lrp: unknown composite parameter %q", k)
		}
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("lrp: composite parameter %s is %v", k, v)
		}
	}
	b := builder{p: p}
	es := m.composite(&b)
	if b.err != nil {
		return nil, b.err
	}
	return &Composite{Name: name, Entries: es}, nil
}
