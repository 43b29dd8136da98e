package lrp_test

import (
	"encoding/json"
	"os"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

// BenchmarkExplain and BenchmarkForward time one Explainer on the fixture
// cnn (../../shared/fixtures, see its README) and the first fixture input;
// loading and the first call are outside the timer.

const fixtureDir = "../../shared/fixtures"

func loadFixtureCNN(b *testing.B) (*lrp.Model, []float32) {
	b.Helper()
	data, err := os.ReadFile(fixtureDir + "/cnn.layers.json")
	if err != nil {
		b.Skipf("fixtures not available: %v", err)
	}
	m, err := model.DecodeLayersJSON("cnn", data)
	if err != nil {
		b.Fatal(err)
	}
	data, err = os.ReadFile(fixtureDir + "/cnn.cases.json")
	if err != nil {
		b.Skipf("fixtures not available: %v", err)
	}
	var cases struct {
		Inputs [][]float32 `json:"inputs"`
	}
	if err := json.Unmarshal(data, &cases); err != nil {
		b.Fatal(err)
	}
	if len(cases.Inputs) == 0 {
		b.Fatal("cnn.cases.json has no inputs")
	}
	return m, cases.Inputs[0]
}

func BenchmarkExplain(b *testing.B) {
	m, x := loadFixtureCNN(b)
	e := lrp.NewExplainer(m)
	o := lrp.Options{Method: "epsilon_gamma_box"}
	if _, err := e.Explain(x, o); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Explain(x, o); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkForward(b *testing.B) {
	m, x := loadFixtureCNN(b)
	e := lrp.NewExplainer(m)
	if _, err := e.Forward(x); err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := e.Forward(x); err != nil {
			b.Fatal(err)
		}
	}
}
