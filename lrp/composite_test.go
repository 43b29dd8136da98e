package lrp

import (
	"fmt"
	"math"
	"slices"
	"sort"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// desc renders a rule as name(param=value,...), sorted by parameter name; a
// ZBox without bounds of its own shows the model's bounds it will use.
func desc(m *Model, r Rule) string {
	p := r.Params()
	if z, ok := r.(ZBox); ok && z.Low == nil {
		lo, hi := m.Bounds()
		p["low"], p["high"] = f64(lo[0]), f64(hi[0])
	}
	if len(p) == 0 {
		return r.Name()
	}
	keys := make([]string, 0, len(p))
	for k := range p {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = fmt.Sprintf("%s=%g", k, p[k])
	}
	return r.Name() + "(" + strings.Join(parts, ",") + ")"
}

// Rules as the fixtures README writes them (all stabilizers 1e-6).
const (
	rGrad   = "gradient"
	rPass   = "pass"
	rNorm   = "norm(stabilizer=1e-06)"
	rE9     = "epsilon(epsilon=1e-09)"
	rE6     = "epsilon(epsilon=1e-06)"
	rE25    = "epsilon(epsilon=0.25)"
	rG25    = "gamma(gamma=0.25,stabilizer=1e-06)"
	rZPlus  = "zplus(stabilizer=1e-06)"
	rAB     = "alphabeta(alpha=2,beta=1,stabilizer=1e-06)"
	rZBox   = "zbox(high=1,low=0,stabilizer=1e-06)"
	rFlat   = "flat(stabilizer=1e-06)"
	rWSq    = "wsquare(stabilizer=1e-06)"
	rSignal = "signal"
)

// compositeModels are the fixture-like architectures, small. For each the
// table gives the rule of every affine node per composite, as in the
// README's "Rules per layer" tables; the other nodes take the rule of their
// kind (nonAffineRule).
func compositeModels(t *testing.T) []struct {
	name   string
	m      *Model
	affine []int
	table  map[string][]string
} {
	r := newRand(5)
	img := InputSpec{Shape: []int{1, 8, 8}, Low: 0, High: 1}
	c3 := func(in, out, stride int) *Conv2D {
		g := geometry(in, out, 3, 3)
		g.SH, g.SW, g.PT, g.PL, g.PB, g.PR = stride, stride, 1, 1, 1, 1
		return randConv(r, g, true)
	}
	pool := func() *MaxPool2D { return &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2} }
	cnn := seq(t, img, c3(1, 2, 1), &ReLU{}, pool(), c3(2, 3, 1), &ReLU{}, pool(), &Flatten{},
		randDense(r, 12, 5, true), &ReLU{}, randDense(r, 5, 4, true))
	mlp := seq(t, img, &Flatten{}, randDense(r, 64, 6, true), &ReLU{}, randDense(r, 6, 5, true), &ReLU{}, randDense(r, 5, 3, true))
	cnnBN := seq(t, img, c3(1, 2, 1), &ReLU{}, &AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2}, c3(2, 3, 2), &ReLU{},
		&GlobalAvgPool{}, &Flatten{}, randDense(r, 3, 4, true))
	bn := &BatchNorm{Mean: normals(r, 3, 1), Var: uniforms(r, 3, 0.5, 2), Gamma: uniforms(r, 3, 0.5, 2), Beta: normals(r, 3, 1), Eps: 1e-5}
	res, err := NewModel("residual", InputSpec{Shape: []int{2, 6, 6}, Low: 0, High: 1}, []Node{
		{"conv", c3(2, 3, 1), []int{Input}},
		{"bn", bn, []int{0}},
		{"relu", &ReLU{}, []int{1}},
		{"conv1x1", randConv(r, geometry(3, 3, 1, 1), true), []int{2}},
		{"add", &Add{}, []int{2, 3}},
		{"relu6", &ReLU6{}, []int{4}},
		{"gap", &GlobalAvgPool{}, []int{5}},
		{"flatten", &Flatten{}, []int{6}},
		{"dense", randDense(r, 3, 2, true), []int{7}},
	}, nil)
	require.NoError(t, err)
	same := func(n int, r string) []string { return slices.Repeat([]string{r}, n) }
	uniform := func(n int) map[string][]string {
		return map[string][]string{
			"gradient": same(n, rGrad), "lrp0": same(n, rE9), "epsilon": same(n, rE25),
			"gamma": same(n, rG25), "zplus": same(n, rZPlus), "alpha2beta1": same(n, rAB),
		}
	}
	with := func(m map[string][]string, rows map[string][]string) map[string][]string {
		for k, v := range rows {
			m[k] = v
		}
		return m
	}
	// Two convolutions then one dense layer: cnn_bn and the residual model.
	convConvDense := map[string][]string{
		"epsilon_gamma_box":        {rZBox, rG25, rE6},
		"epsilon_plus":             {rZPlus, rZPlus, rE6},
		"epsilon_plus_flat":        {rFlat, rZPlus, rE6},
		"epsilon_alpha2beta1":      {rAB, rAB, rE6},
		"epsilon_alpha2beta1_flat": {rFlat, rAB, rE6},
		"montavon":                 {rZBox, rG25, rE9},
		"wsquare_first":            {rWSq, rE6, rE6},
	}
	return []struct {
		name   string
		m      *Model
		affine []int
		table  map[string][]string
	}{
		{"cnn", cnn, []int{0, 3, 7, 9}, with(uniform(4), map[string][]string{
			"epsilon_gamma_box":        {rZBox, rG25, rE6, rE6},
			"epsilon_plus":             {rZPlus, rZPlus, rE6, rE6},
			"epsilon_plus_flat":        {rFlat, rZPlus, rE6, rE6},
			"epsilon_alpha2beta1":      {rAB, rAB, rE6, rE6},
			"epsilon_alpha2beta1_flat": {rFlat, rAB, rE6, rE6},
			"montavon":                 {rZBox, rG25, rE25, rE9},
			"wsquare_first":            {rWSq, rE6, rE6, rE6},
		})},
		{"mlp", mlp, []int{1, 3, 5}, with(uniform(3), map[string][]string{
			"epsilon_gamma_box":        {rE6, rE6, rE6}, // no convolution, so no ZBox
			"epsilon_plus":             {rE6, rE6, rE6},
			"epsilon_plus_flat":        {rFlat, rE6, rE6},
			"epsilon_alpha2beta1":      {rE6, rE6, rE6},
			"epsilon_alpha2beta1_flat": {rFlat, rE6, rE6},
			"montavon":                 {rZBox, rE25, rE9},
			"wsquare_first":            {rWSq, rE6, rE6},
		})},
		{"cnn_bn", cnnBN, []int{0, 3, 7}, with(uniform(3), convConvDense)},
		{"residual_bn", res, []int{0, 3, 8}, with(uniform(3), convConvDense)},
	}
}

// nonAffineRule is the rule every LRP composite gives a layer that is not
// Dense or Conv2D (Zennit's layer_map_base, MaxPool and Flatten unmapped;
// and the kinds Zennit leaves without a rule: Concat, Slice, Shuffle,
// LayerNorm, gate Mul, an unfolded BatchNorm, Scale).
func nonAffineRule(composite string, k Kind) string {
	if composite == "gradient" {
		return rGrad
	}
	switch k {
	case KindReLU, KindReLU6, KindSigmoid, KindHardSigmoid, KindSiLU, KindHardSwish, KindGELU, KindLeakyReLU, KindELU, KindTanh, KindConcat,
		KindSlice, KindShuffle, KindLayerNorm:
		return rPass
	case KindAvgPool, KindGlobalAvgPool, KindAdd:
		return rNorm
	case KindMul:
		return rSignal
	case KindBatchNorm, KindScale:
		return rE6
	}
	return rGrad
}

func TestCompositesAssignDocumentedRules(t *testing.T) {
	names := Composites()
	want := []string{"alpha2beta1", "epsilon", "epsilon_alpha2beta1", "epsilon_alpha2beta1_flat", "epsilon_gamma_box",
		"epsilon_plus", "epsilon_plus_flat", "gamma", "gradient", "lrp0", "montavon", "wsquare_first", "zplus"}
	require.Equalf(t, want, names, "Composites() = %v, want %v (update this test's tables)", names, want)
	for _, mc := range compositeModels(t) {
		x := uniforms(newRand(6), mc.m.InputLen(), 0, 1)
		e := NewExplainer(mc.m)
		for _, name := range names {
			t.Run(mc.name+"/"+name, func(t *testing.T) {
				assert.NotEmptyf(t, DescribeComposite(name), "composite %s has no description", name)
				c, err := Builtin(name, nil)
				require.NoError(t, err)
				assert.Equalf(t, name, c.Name, "Builtin(%q).Name = %q", name, c.Name)
				rules, err := c.Assign(mc.m)
				require.NoError(t, err)
				row, ok := mc.table[name]
				require.Truef(t, ok, "no table row for %s", name)
				for i, nd := range mc.m.Nodes {
					want := nonAffineRule(name, nd.Layer.Kind())
					if k := slices.Index(mc.affine, i); k >= 0 {
						want = row[k]
					}
					assert.Equalf(t, want, desc(mc.m, rules[i]), "node %d (%s)", i, nd.Name)
				}
				// Explain uses the same assignment (LRP composites only:
				// "gradient" is the baseline of that name).
				if name == "gradient" {
					return
				}
				res, err := e.Explain(x, Options{Method: name})
				require.NoError(t, err)
				for _, d := range res.Diagnostics.Layers {
					assert.Equalf(t, rules[d.Node].Name(), d.Rule, "Explain: node %d rule %s, Assign gives %s", d.Node, d.Rule, rules[d.Node].Name())
				}
			})
		}
	}
}

func TestCompositeParams(t *testing.T) {
	cnn := compositeModels(t)[0]
	for _, tc := range []struct {
		name   string
		params Params
		want   []string // rules of the affine nodes 0, 3, 7, 9
	}{
		{"epsilon", Params{"epsilon": 0.1}, slices.Repeat([]string{"epsilon(epsilon=0.1)"}, 4)},
		{"lrp0", Params{"epsilon": 0}, slices.Repeat([]string{"epsilon(epsilon=0)"}, 4)},
		{"gamma", Params{"gamma": 1, "stabilizer": 1e-3}, slices.Repeat([]string{"gamma(gamma=1,stabilizer=0.001)"}, 4)},
		{"alpha2beta1", Params{"alpha": 3}, slices.Repeat([]string{"alphabeta(alpha=3,beta=2,stabilizer=1e-06)"}, 4)},
		{"alpha2beta1", Params{"beta": 0}, slices.Repeat([]string{"alphabeta(alpha=1,beta=0,stabilizer=1e-06)"}, 4)},
		{"epsilon_gamma_box", Params{"gamma": 0.5, "low": -1, "high": 2, "epsilon": 0.01, "stabilizer": 1e-4},
			[]string{"zbox(high=2,low=-1,stabilizer=0.0001)", "gamma(gamma=0.5,stabilizer=0.0001)", "epsilon(epsilon=0.01)", "epsilon(epsilon=0.01)"}},
		{"montavon", Params{"epsilon": 0.5}, []string{rZBox, rG25, "epsilon(epsilon=0.5)", rE9}}, // the last layer stays LRP-0
	} {
		t.Run(fmt.Sprintf("%s%v", tc.name, map[string]float64(tc.params)), func(t *testing.T) {
			c, err := Builtin(tc.name, tc.params)
			require.NoError(t, err)
			rules, err := c.Assign(cnn.m)
			require.NoError(t, err)
			for k, i := range cnn.affine {
				assert.Equalf(t, tc.want[k], desc(cnn.m, rules[i]), "node %d", i)
			}
			assert.Equal(t, rPass, desc(cnn.m, rules[1]), "relu")
		})
	}
}

// Options.Rules overrides single nodes; the result equals a custom
// Composite whose first entries select those nodes by index.
func TestRuleOverrides(t *testing.T) {
	cnn := compositeModels(t)[0]
	x := uniforms(newRand(7), cnn.m.InputLen(), 0, 1)
	e := NewExplainer(cnn.m)
	over := map[int]Rule{3: ZPlus{1e-6}, 7: Epsilon{0.5}, 8: Gradient{}}
	res, err := e.Explain(x, Options{Method: "epsilon_gamma_box", Rules: over})
	require.NoError(t, err)
	got := append([]float32(nil), res.Relevance...)
	for _, d := range res.Diagnostics.Layers {
		want := map[int]string{0: "zbox", 3: "zplus", 7: "epsilon", 8: "gradient", 9: "epsilon"}[d.Node]
		if want != "" {
			assert.Equalf(t, want, d.Rule, "node %d: rule %s, want %s", d.Node, d.Rule, want)
		}
	}
	egb, err := Builtin("epsilon_gamma_box", nil)
	require.NoError(t, err)
	custom := &Composite{Name: "custom"}
	for _, i := range []int{3, 7, 8} {
		custom.Entries = append(custom.Entries, Entry{Selector{Pos: Index, Index: i}, over[i]})
	}
	custom.Entries = append(custom.Entries, egb.Entries...)
	res, err = e.Explain(x, Options{Composite: custom})
	require.NoError(t, err)
	for i := range got {
		require.Equalf(t, got[i], res.Relevance[i], "relevance[%d]: Options.Rules gives %v, the equivalent composite %v", i, got[i], res.Relevance[i])
	}
}

func TestSelectorPositions(t *testing.T) {
	mlp := compositeModels(t)[1] // flatten, dense, relu, dense, relu, dense
	for _, tc := range []struct {
		sel  Selector
		want []int
	}{
		{Selector{Kinds: denseKinds}, []int{1, 3, 5}},
		{Selector{Kinds: denseKinds, Pos: First}, []int{1}},
		{Selector{Kinds: denseKinds, Pos: Last}, []int{5}},
		{Selector{Kinds: denseKinds, Pos: Hidden}, []int{3}},
		{Selector{Kinds: []Kind{KindReLU}, Pos: Last}, []int{4}},
		{Selector{Pos: First}, []int{0}}, // no kinds: every kind
		{Selector{Pos: Index, Index: 2}, []int{2}},
		{Selector{Kinds: convKinds}, nil},
	} {
		var got []int
		for i := range mlp.m.Nodes {
			if tc.sel.matches(mlp.m, i, tc.sel.span(mlp.m)) {
				got = append(got, i)
			}
		}
		assert.Truef(t, slices.Equal(got, tc.want), "%+v matches %v, want %v", tc.sel, got, tc.want)
	}
}

func TestNewRule(t *testing.T) {
	for _, tc := range []struct {
		name string
		p    map[string]float64
		want string
	}{
		{"gradient", nil, "gradient"},
		{"pass", nil, "pass"},
		{"norm", nil, rNorm},
		{"epsilon", nil, rE6},
		{"epsilon", map[string]float64{"epsilon": 0.25}, rE25},
		{"lrp0", nil, rE9},
		{"gamma", nil, rG25},
		{"zplus", map[string]float64{"stabilizer": 1e-3}, "zplus(stabilizer=0.001)"},
		{"alphabeta", nil, rAB},
		{"alphabeta", map[string]float64{"alpha": 1}, "alphabeta(alpha=1,beta=0,stabilizer=1e-06)"},
		{"alphabeta", map[string]float64{"beta": 2}, "alphabeta(alpha=3,beta=2,stabilizer=1e-06)"},
		{"zbox", map[string]float64{"low": -1, "high": 1}, "zbox(high=1,low=-1,stabilizer=1e-06)"},
		{"wsquare", nil, rWSq},
		{"flat", nil, rFlat},
	} {
		r, err := NewRule(tc.name, tc.p)
		if !assert.NoErrorf(t, err, "NewRule(%s, %v)", tc.name, tc.p) {
			continue
		}
		// nil model: no rule here lacks its bounds
		assert.Equalf(t, tc.want, desc(nil, r), "NewRule(%s, %v)", tc.name, tc.p)
	}
}

// A method's Params are the parameters of the rules its composite builds,
// with the composite's defaults; baselines read none.
func TestMethodParams(t *testing.T) {
	for _, tc := range []struct {
		method string
		want   map[string]float64 // name → default; NaN: from the model
	}{
		{"lrp0", map[string]float64{"epsilon": 1e-9}},
		{"epsilon", map[string]float64{"epsilon": 0.25}},
		{"gamma", map[string]float64{"gamma": 0.25, "stabilizer": 1e-6}},
		{"zplus", map[string]float64{"stabilizer": 1e-6}},
		{"alpha2beta1", map[string]float64{"alpha": 2, "beta": 1, "stabilizer": 1e-6}},
		{"epsilon_gamma_box", map[string]float64{"low": math.NaN(), "high": math.NaN(), "stabilizer": 1e-6, "gamma": 0.25, "epsilon": 1e-6}},
		{"montavon", map[string]float64{"low": math.NaN(), "high": math.NaN(), "stabilizer": 1e-6, "gamma": 0.25, "epsilon": 0.25}},
		{"epsilon_plus_flat", map[string]float64{"stabilizer": 1e-6, "epsilon": 1e-6}},
		{"gradient", map[string]float64{}},
		{"smoothgrad", map[string]float64{}},
		{"uniform", map[string]float64{}},
	} {
		m, ok := LookupMethod(tc.method)
		require.True(t, ok, tc.method)
		got := map[string]float64{}
		for _, p := range m.Params() {
			_, dup := got[p.Name]
			require.Falsef(t, dup, "%s lists %s twice", tc.method, p.Name)
			got[p.Name] = p.Default
			if p.FromModel {
				got[p.Name] = math.NaN()
			}
		}
		require.Len(t, got, len(tc.want), "%s params %v", tc.method, got)
		for k, v := range tc.want {
			require.Containsf(t, got, k, "%s params %v", tc.method, got)
			if math.IsNaN(v) {
				assert.Truef(t, math.IsNaN(got[k]), "%s %s from the model", tc.method, k)
			} else {
				assert.Equalf(t, v, got[k], "%s %s default", tc.method, k)
			}
		}
	}
	// What a composite does not read changes nothing: α on EpsilonGammaBox.
	cnn := compositeModels(t)[0]
	a, err := Builtin("epsilon_gamma_box", nil)
	require.NoError(t, err)
	b, err := Builtin("epsilon_gamma_box", Params{"alpha": 3, "beta": 2})
	require.NoError(t, err)
	ra, err := a.Assign(cnn.m)
	require.NoError(t, err)
	rb, err := b.Assign(cnn.m)
	require.NoError(t, err)
	for i := range ra {
		assert.Equal(t, desc(cnn.m, ra[i]), desc(cnn.m, rb[i]), "node %d", i)
	}
}
