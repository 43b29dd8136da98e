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
		{`{"patch":-1}`, "patch -1: want 1 or more"},
		{`{"patch":0}`, "patch 0: want 1 or more"},
		{`{"steps":0}`, "steps 0: want 1 or more"},
	} {
		_, err := ParseEvalOptions([]byte(tc.js))
		assert.ErrorContains(t, err, tc.want, tc.js)
	}
	o, err := ParseEvalOptions([]byte(`{"patch":null,"steps":3}`))
	require.NoError(t, err)
	assert.Equal(t, 0, o.Patch, "null patch is the default")
	assert.Equal(t, 3, o.Steps)
}

// A patch larger than the input is refused by name when the evaluation
// starts (the options alone do not know the input's size).
func TestEvaluatePatchTooLarge(t *testing.T) {
	s := open(t, "cnn")
	o, err := ParseEvalOptions([]byte(`{"patch":29}`))
	require.NoError(t, err)
	_, err = s.Evaluate(Input{X: make([]float32, 784)}, o)
	assert.ErrorContains(t, err, "eval: patch 29: want 1..28")
}
