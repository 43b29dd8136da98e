package app

import (
	"encoding/json"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// rules() as the page reads it: one object per rule with every field,
// null for an unbounded side or a default from the model.
func TestRulesJSON(t *testing.T) {
	b, err := json.Marshal(Rules())
	require.NoError(t, err)
	var rules []map[string]any
	require.NoError(t, json.Unmarshal(b, &rules))
	require.Len(t, rules, len(lrp.Rules()))
	byName := map[string]map[string]any{}
	for _, r := range rules {
		for _, k := range []string{"name", "title", "formula", "description", "kinds", "params", "constraint"} {
			assert.Containsf(t, r, k, "rule %v lacks %q", r["name"], k)
		}
		for _, p := range r["params"].([]any) {
			for _, k := range []string{"name", "label", "default", "min", "max"} {
				assert.Containsf(t, p, k, "rule %v parameter %v lacks %q", r["name"], p, k)
			}
		}
		byName[r["name"].(string)] = r
	}
	var eps map[string]any
	require.NoError(t, json.Unmarshal([]byte(`{"name":"epsilon","title":"LRP-ε","formula":"R_in = x ⊙ Wᵀ·(R / stab(W·x + b))",
		"description":"Relevance in proportion to each input's contribution, ε absorbing weak or contradictory outputs.",
		"kinds":["dense","conv2d","batchnorm2d","scale"],"params":[{"name":"epsilon","label":"ε","default":1e-6,"min":0,"max":null}],"constraint":""}`), &eps))
	assert.Equal(t, eps, byName["epsilon"], "epsilon")

	low := byName["zbox"]["params"].([]any)[0].(map[string]any)
	assert.Equal(t, map[string]any{"name": "low", "label": "low", "default": nil, "min": nil, "max": nil}, low, "zbox low")
	assert.Equal(t, "alpha - beta = 1", byName["alphabeta"]["constraint"], "alphabeta constraint")
	assert.Equal(t, []any{}, byName["lrp0"]["params"], "lrp0 params")
	assert.Equal(t, []any{"avgpool2d", "global_avgpool2d", "add"}, byName["norm"]["kinds"], "norm kinds")
	assert.Len(t, byName["gradient"]["kinds"], 24, "gradient kinds: every layer kind")
	assert.Equal(t, []any{"mul"}, byName["signal"]["kinds"], "signal kinds")
	assert.Equal(t, []any{"mul"}, byName["uniform"]["kinds"], "uniform kinds")
	assert.Contains(t, byName["pass"]["kinds"], "concat", "pass kinds")
	assert.Contains(t, byName["pass"]["kinds"], "silu", "pass kinds")
	assert.Contains(t, byName["pass"]["kinds"], "layernorm", "pass kinds")
	assert.Contains(t, byName["pass"]["kinds"], "shuffle", "pass kinds")
}

// A rule's parameters are checked against the catalogue: lrp0 has none.
func TestRuleParamsFromCatalogue(t *testing.T) {
	_, err := ParseOptions([]byte(`{"rules":{"0":{"rule":"lrp0","epsilon":0.5}}}`))
	require.ErrorContains(t, err, `rule lrp0 has no parameter "epsilon" (it has [])`)
	o, err := ParseOptions([]byte(`{"rules":{"0":{"rule":"zbox","low":-1,"high":1,"stabilizer":0.01}}}`))
	require.NoError(t, err)
	assert.Equal(t, map[string]float64{"low": -1, "high": 1, "stabilizer": 0.01}, o.Explain.Rules[0].Params())
}

func TestMethodsTitles(t *testing.T) {
	titles := map[string]string{}
	for _, m := range Methods() {
		titles[m.Name] = m.Title
	}
	for name, want := range map[string]string{"epsilon_gamma_box": "EpsilonGammaBox", "alpha2beta1": "LRP-α2β1", "gradient_x_input": "Gradient × input", "montavon": "Montavon et al."} {
		assert.Equal(t, want, titles[name], "%s title", name)
	}
	b, err := json.Marshal(Methods()[0])
	require.NoError(t, err)
	assert.JSONEq(t, `{"name":"alpha2beta1","title":"LRP-α2β1","description":"α2β1 on every dense and conv layer","kind":"lrp",
		"params":[{"name":"alpha","label":"α","default":2,"min":1,"max":null},{"name":"beta","label":"β","default":1,"min":0,"max":null},
		{"name":"stabilizer","label":"stabilizer","default":1e-6,"min":0,"max":null}]}`, string(b))
}

// composites() says which parameters a method reads, with its defaults:
// the page enables those alone.
func TestMethodsParams(t *testing.T) {
	params := map[string][]string{}
	defaults := map[string]map[string]any{}
	for _, m := range Methods() {
		b, err := json.Marshal(m)
		require.NoError(t, err)
		var j struct {
			Params []struct {
				Name    string
				Default any
			}
		}
		require.NoError(t, json.Unmarshal(b, &j))
		require.NotNil(t, j.Params, "%s: params is a list, never null", m.Name)
		defaults[m.Name] = map[string]any{}
		for _, p := range j.Params {
			params[m.Name] = append(params[m.Name], p.Name)
			defaults[m.Name][p.Name] = p.Default
		}
	}
	for _, tc := range []struct {
		method string
		want   []string
	}{
		{"epsilon_gamma_box", []string{"low", "high", "stabilizer", "gamma", "epsilon"}},
		{"alpha2beta1", []string{"alpha", "beta", "stabilizer"}},
		{"lrp0", []string{"epsilon"}},
		{"gradient", nil},
		{"integrated_gradients", nil},
	} {
		assert.Equal(t, tc.want, params[tc.method], tc.method)
	}
	assert.Equal(t, 1e-9, defaults["lrp0"]["epsilon"], "LRP-0's ε")
	assert.Equal(t, 1e-6, defaults["epsilon_gamma_box"]["epsilon"], "EpsilonGammaBox's ε")
	assert.Nil(t, defaults["epsilon_gamma_box"]["low"], "zᴮ's low bound comes from the model")
}
