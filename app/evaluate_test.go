package app

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
)

func TestEvaluateFixtureCNN(t *testing.T) {
	s, err := Open(refdata.Read(t, "cnn.onnx"))
	if err != nil {
		t.Fatal(err)
	}
	var cases struct {
		Inputs    [][]float32 `json:"inputs"`
		Predicted []int       `json:"predicted"`
	}
	raw := refdata.Read(t, "cnn.cases.json")
	if err := json.Unmarshal(raw, &cases); err != nil {
		t.Fatal(err)
	}
	o, err := ParseEvalOptions([]byte(`{"methods":["epsilon_gamma_box","gradient","random"],"seed":3}`))
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Evaluate(Input{X: cases.Inputs[3]}, o)
	if err != nil {
		t.Fatal(err)
	}
	if r.Target != cases.Predicted[3] || r.Patch != 4 || r.Patches != 49 || r.Steps != 49 || len(r.Methods) != 3 {
		t.Fatalf("got target %d patch %d patches %d steps %d methods %d; want %d, 4, 49, 49, 3",
			r.Target, r.Patch, r.Patches, r.Steps, len(r.Methods), cases.Predicted[3])
	}
	for _, m := range r.Methods {
		if len(m.MoRF) != 50 || len(m.LeRF) != 50 || m.MoRF[0] != m.LeRF[0] {
			t.Errorf("%s: curves of %d and %d points starting at %v and %v", m.Method, len(m.MoRF), len(m.LeRF), m.MoRF[0], m.LeRF[0])
		}
		t.Logf("%-18s AOPC MoRF %.3f LeRF %.3f", m.Method, m.AOPCMoRF, m.AOPCLeRF)
	}
	if !(r.Methods[0].AOPCMoRF > r.Methods[2].AOPCMoRF) {
		t.Errorf("epsilon_gamma_box MoRF AOPC %.3f not above random %.3f", r.Methods[0].AOPCMoRF, r.Methods[2].AOPCMoRF)
	}
	// Evaluate leaves the session's explanations intact.
	res, err := s.Explain(Input{X: cases.Inputs[3]}, nil)
	if err != nil || res.Predicted != cases.Predicted[3] {
		t.Fatalf("explain after evaluate: %v, class %v", err, res)
	}
}

func TestEvalOptionsErrors(t *testing.T) {
	for _, tc := range []struct{ js, want string }{
		{`{"methods":["nope"]}`, "unknown method"},
		{`{"bogus":1}`, "unknown field"},
		{`{"patch":-1}`, "must be ≥ 0"},
	} {
		if _, err := ParseEvalOptions([]byte(tc.js)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: got %v, want an error containing %q", tc.js, err, tc.want)
		}
	}
}
