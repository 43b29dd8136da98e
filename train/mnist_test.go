package train

import (
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/mnist"
	"github.com/lrpwasm/lrp/model"
)

// multiplyAdds counts the multiply-adds of one forward pass of m.
func multiplyAdds(m *lrp.Model) int {
	n := 0
	for i, nd := range m.Nodes {
		switch l := nd.Layer.(type) {
		case *lrp.Conv2D:
			out := m.Shape(i)
			n += out[0] * out[1] * out[2] * l.InC / l.Groups * l.KH * l.KW
		case *lrp.Dense:
			n += l.In * l.Out
		}
	}
	return n
}

// TestMNISTBudget keeps the built-in architecture small enough to explain
// live in a browser and to ship in a 300 KB float16 file.
func TestMNISTBudget(t *testing.T) {
	m := MNIST()
	macs, params := multiplyAdds(m), m.Params()
	t.Logf("%d multiply-adds, %d parameters", macs, params)
	if macs > 600_000 || 2*params > 250_000 {
		t.Errorf("%d multiply-adds and %d parameters: over budget", macs, params)
	}
}

// TestBuiltinModel checks the committed model file and, when
// scripts/fetch-mnist.sh has been run, its test accuracy.
func TestBuiltinModel(t *testing.T) {
	const path = "../model/mnist.safetensors"
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	f, err := model.DecodeSafetensors(data)
	if err != nil {
		t.Fatal(err)
	}
	m := f.Model
	if len(data) > 300_000 || f.DType != "F16" {
		t.Errorf("%s: %d bytes of %s, want float16 within 300 KB", path, len(data), f.DType)
	}
	want := MNIST()
	if !slices.Equal(m.Labels, want.Labels) || m.Input.Low != 0 || m.Input.High != 1 || m.Params() != want.Params() || len(m.Nodes) != len(want.Nodes) {
		t.Errorf("%s: labels %v, range [%v, %v], %d params in %d nodes; want the MNIST architecture", path, m.Labels, m.Input.Low, m.Input.High, m.Params(), len(m.Nodes))
	}
	for _, k := range []string{"training_command", "seed", "data", "test_accuracy"} {
		if f.Card[k] == "" {
			t.Errorf("%s: model card lacks %s", path, k)
		}
	}

	_, test, err := mnist.Load("../data/mnist")
	if errors.Is(err, mnist.ErrNoData) {
		t.Skip("no MNIST data in data/mnist (run scripts/fetch-mnist.sh) to check the accuracy")
	}
	if err != nil {
		t.Fatal(err)
	}
	correct, err := Accuracy(m, test.Images, test.Labels, 0)
	if err != nil {
		t.Fatal(err)
	}
	acc := float64(correct) / float64(test.Len())
	t.Logf("test accuracy %.4f (%d/%d); card: %s", acc, correct, test.Len(), f.Card["test_accuracy"])
	if acc < 0.985 {
		t.Errorf("test accuracy %.4f (%d/%d), want ≥ 0.985", acc, correct, test.Len())
	}
}
