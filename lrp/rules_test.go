package lrp

import (
	"math"
	"slices"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The rules the engine has always accepted by name; the registry must
// hold exactly these (add a new rule here and to the registry together).
var knownRules = []string{"gradient", "pass", "norm", "epsilon", "lrp0", "gamma", "zplus", "alphabeta", "zbox", "wsquare", "flat", "signal", "uniform"}

// The registry covers every rule NewRule accepts, and NewRule's message
// for an unknown rule lists them.
func TestRulesCoverNewRule(t *testing.T) {
	var names []string
	for _, s := range Rules() {
		names = append(names, s.Name)
	}
	assert.Equal(t, knownRules, names, "Rules()")
	for _, n := range knownRules {
		_, err := NewRule(n, nil)
		assert.NoErrorf(t, err, "NewRule(%s)", n)
	}
	_, err := NewRule("nope", nil)
	requireErr(t, err, "known: "+strings.Join(knownRules, ", ")+")")
	// Every rule of every built-in composite is in the registry.
	m := mlpWithPool(t)
	for _, name := range Composites() {
		c, err := Builtin(name, nil)
		require.NoError(t, err, name)
		rules, err := c.Assign(m)
		require.NoError(t, err, name)
		for _, r := range rules {
			_, ok := LookupRule(r.Name())
			assert.Truef(t, ok, "composite %s uses rule %s, not in Rules()", name, r.Name())
		}
	}
}

// mlpWithPool is a model with a layer of most kinds, for the composites.
func mlpWithPool(t *testing.T) *Model {
	r := newRand(4)
	c := &Conv2D{InC: 1, OutC: 2, KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1, Groups: 1, W: normals(r, 18, 1), B: normals(r, 2, 1)}
	return seq(t, InputSpec{Shape: []int{1, 6, 6}, Low: 0, High: 1},
		c, &ReLU{}, &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2}, &AvgPool2D{KH: 1, KW: 1, SH: 1, SW: 1}, &Flatten{},
		&Dense{In: 18, Out: 3, W: normals(r, 54, 1), B: normals(r, 3, 1)})
}

// Every rule round-trips through NewRule: built without parameters it has
// its defaults, and built from its defaults it is the same rule; each
// default lies within its range.
func TestRulesDefaults(t *testing.T) {
	for _, s := range Rules() {
		def := map[string]float64{}
		for _, p := range s.Params {
			if p.FromModel {
				continue
			}
			assert.Truef(t, p.Min <= p.Default && p.Default <= p.Max, "%s.%s: default %v outside [%v, %v]", s.Name, p.Name, p.Default, p.Min, p.Max)
			assert.NotEmptyf(t, p.Label, "%s.%s has no label", s.Name, p.Name)
			def[p.Name] = p.Default
		}
		assert.NotEmptyf(t, s.Title, "%s has no title", s.Name)
		assert.NotEmptyf(t, s.Formula, "%s has no formula", s.Name)
		assert.NotEmptyf(t, s.Description, "%s has no description", s.Name)
		assert.NotEmptyf(t, s.Kinds, "%s applies to no kind", s.Name)
		r, err := NewRule(s.Name, nil)
		require.NoError(t, err, s.Name)
		got := r.Params()
		for k, v := range def {
			assert.Equalf(t, v, got[k], "NewRule(%s).Params()[%s]", s.Name, k)
		}
		if s.Name != "lrp0" { // LRP-0 is Epsilon{1e-9}
			assert.Equal(t, s.Name, r.Name(), "NewRule(%s).Name()", s.Name)
			assert.Lenf(t, got, len(def), "NewRule(%s).Params() = %v, want %v", s.Name, got, def)
		}
		again, err := NewRule(s.Name, def)
		require.NoError(t, err, s.Name)
		assert.Equalf(t, r, again, "NewRule(%s, %v)", s.Name, def)
	}
}

// A parameter outside its range is refused, by NewRule and by the rule's
// check; one at the end of its range is taken.
func TestRulesRanges(t *testing.T) {
	n := 0
	for _, s := range Rules() {
		for _, p := range s.Params {
			below := float64(math.Nextafter32(float32(p.Min), float32(math.Inf(-1))))
			for _, bad := range []float64{p.Min - 0.5, p.Max + 0.5, below} {
				if math.IsInf(bad, 0) || bad == p.Min {
					continue
				}
				_, err := NewRule(s.Name, map[string]float64{p.Name: bad})
				assert.Errorf(t, err, "NewRule(%s, %s=%v) outside [%v, %v]: no error", s.Name, p.Name, bad, p.Min, p.Max)
				n++
			}
			if !math.IsInf(p.Min, 0) {
				_, err := NewRule(s.Name, map[string]float64{p.Name: p.Min})
				assert.NoErrorf(t, err, "NewRule(%s, %s=%v) at its minimum", s.Name, p.Name, p.Min)
			}
		}
	}
	assert.Greater(t, n, 10, "parameters with a bounded range")
	// A float64 that overflows float32 is no finite parameter either.
	_, err := NewRule("gamma", map[string]float64{"gamma": 1e39})
	requireErr(t, err, "gamma must be ≥ 0 and finite, got +Inf")
	_, err = NewRule("alphabeta", map[string]float64{"alpha": 1e39})
	requireErr(t, err, "alpha must be ≥ 1 and finite")
}

// A rule applies to exactly the kinds its spec lists.
func TestRulesKinds(t *testing.T) {
	for _, s := range Rules() {
		r, err := NewRule(s.Name, nil)
		require.NoError(t, err, s.Name)
		_, affine := r.(affineRule)
		_, layer := r.(layerRule)
		for k := range numKinds {
			err := r.check(k)
			if slices.Contains(s.Kinds, k) {
				assert.NoErrorf(t, err, "%s on %v", s.Name, k)
				assert.Truef(t, !isAffine(k) || affine, "%s on %v: no affineRule", s.Name, k)
				assert.Truef(t, isAffine(k) || layer, "%s on %v: no layerRule", s.Name, k)
			} else {
				assert.Errorf(t, err, "%s on %v: no error", s.Name, k)
			}
		}
	}
}

func isAffine(k Kind) bool { return k == KindDense || k == KindConv }

// The method registry: unique names, a title and a description each, and
// every composite builds with its defaults.
func TestMethodSpecs(t *testing.T) {
	specs := MethodSpecs()
	names := Methods()
	require.Len(t, specs, len(names))
	for i, m := range specs {
		assert.Equal(t, names[i], m.Name, "MethodSpecs()[%d]", i)
		assert.NotEmptyf(t, m.Title, "%s has no title", m.Name)
		assert.NotEmptyf(t, m.Description, "%s has no description", m.Name)
		assert.Truef(t, m.Baseline() || m.Composite(), "%s is neither composite nor baseline", m.Name)
		got, ok := LookupMethod(m.Name)
		assert.Truef(t, ok && got.Name == m.Name, "LookupMethod(%s)", m.Name)
		if m.Composite() {
			_, err := Builtin(m.Name, nil)
			assert.NoErrorf(t, err, "Builtin(%s)", m.Name)
		}
	}
	assert.Truef(t, slices.IsSorted(names) && len(slices.Compact(slices.Clone(names))) == len(names), "Methods() not sorted or with duplicates: %v", names)
	g, _ := LookupMethod("gradient")
	assert.True(t, g.Baseline() && g.Composite(), "gradient is both a baseline and a composite")
	_, ok := LookupMethod("nope")
	assert.False(t, ok, "LookupMethod(nope)")
}
