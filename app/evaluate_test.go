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
		{`{"fill":"roads"}`, `eval: options: unknown fill "roads"`},
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

// ROAD through the session: pixels, the paper's ten points, the combined
// score; and its imputer is counted before the call.
func TestEvaluateROAD(t *testing.T) {
	s, err := Open(refdata.Read(t, "cnn.onnx"))
	require.NoError(t, err)
	var cases struct {
		Inputs [][]float32 `json:"inputs"`
	}
	require.NoError(t, json.Unmarshal(refdata.Read(t, "cnn.cases.json"), &cases))
	o, err := ParseEvalOptions([]byte(`{"methods":["epsilon_gamma_box","random"],"fill":"road","seed":1}`))
	require.NoError(t, err)
	in := Input{X: cases.Inputs[3]}
	require.NoError(t, s.CheckEvaluate(in, o))
	r, err := s.Evaluate(in, o)
	require.NoError(t, err)
	assert.Equal(t, "road", r.Fill)
	assert.Equal(t, 1, r.Patch, "patch")
	assert.Equal(t, 784, r.Patches, "patches")
	assert.Equal(t, 9, r.Steps, "steps")
	assert.Equal(t, []int{0, 78, 156, 235, 313, 392, 470, 548, 627, 705}, r.Removed, "pixels removed at 0, 10, …, 90 %")
	for _, m := range r.Methods {
		assert.Len(t, m.MoRF, 10, "%s: MoRF curve", m.Method)
		t.Logf("%-18s combined %.3f", m.Method, m.Combined)
	}
	assert.Greater(t, r.Methods[0].Combined, 1.0, "epsilon_gamma_box combined")
	assert.Zero(t, r.Methods[1].Combined, "random: one order both ways")

	_, uniform, err := s.evalNeed(in, &EvalOptions{Methods: o.Methods, Fill: "uniform"})
	require.NoError(t, err)
	_, road, err := s.evalNeed(in, o)
	require.NoError(t, err)
	assert.Greater(t, road-uniform, int64(784*80), "ROAD's imputer: about 89 bytes a pixel")
}
