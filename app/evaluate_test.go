package app

import (
	"encoding/json"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func TestEvaluateFixtureCNN(t *testing.T) {
	s, err := Open(refdata.Read(t, "cnn.onnx"))
	require.NoError(t, err)
	var cases struct {
		Inputs    [][]float32 `json:"inputs"`
		Predicted []int       `json:"predicted"`
	}
	raw := refdata.Read(t, "cnn.cases.json")
	require.NoError(t, json.Unmarshal(raw, &cases))
	o, err := ParseEvalOptions([]byte(`{"methods":["epsilon_gamma_box","gradient","random"],"seed":3}`))
	require.NoError(t, err)
	r, err := s.Evaluate(Input{X: cases.Inputs[3]}, o)
	require.NoError(t, err)
	require.Equal(t, cases.Predicted[3], r.Target, "target")
	require.Equal(t, 4, r.Patch, "patch")
	require.Equal(t, 49, r.Patches, "patches")
	require.Equal(t, 49, r.Steps, "steps")
	require.Len(t, r.Methods, 3, "methods")
	for _, m := range r.Methods {
		assert.Len(t, m.MoRF, 50, "%s: MoRF curve", m.Method)
		assert.Len(t, m.LeRF, 50, "%s: LeRF curve", m.Method)
		assert.Equal(t, m.MoRF[0], m.LeRF[0], "%s: curves start at %v and %v", m.Method, m.MoRF[0], m.LeRF[0])
		t.Logf("%-18s AOPC MoRF %.3f LeRF %.3f", m.Method, m.AOPCMoRF, m.AOPCLeRF)
	}
	assert.Greater(t, r.Methods[0].AOPCMoRF, r.Methods[2].AOPCMoRF, "epsilon_gamma_box MoRF AOPC not above random")
	// Evaluate leaves the session's explanations intact.
	res, err := s.Explain(Input{X: cases.Inputs[3]}, nil)
	require.NoError(t, err, "explain after evaluate")
	require.Equal(t, cases.Predicted[3], res.Predicted, "explain after evaluate: class")
}

func TestEvalOptionsErrors(t *testing.T) {
	for _, tc := range []struct{ js, want string }{
		{`{"methods":["nope"]}`, "unknown method"},
		{`{"bogus":1}`, "unknown field"},
		{`{"patch":-1}`, "must be ≥ 0"},
	} {
		_, err := ParseEvalOptions([]byte(tc.js))
		assert.ErrorContains(t, err, tc.want, tc.js)
	}
}
