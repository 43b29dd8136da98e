package train

import (
	"errors"
	"os"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/mnist"
	"github.com/lrpwasm/lrp/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.LessOrEqual(t, macs, 600_000, "multiply-adds over budget")
	assert.LessOrEqual(t, 2*params, 250_000, "float16 bytes of the %d parameters over budget", params)
}

// TestBuiltinModel checks the committed model file and, when
// scripts/fetch-mnist.sh has been run, its test accuracy.
func TestBuiltinModel(t *testing.T) {
	const path = "../model/mnist.safetensors"
	data, err := os.ReadFile(path)
	require.NoError(t, err)
	f, err := model.DecodeSafetensors(data)
	require.NoError(t, err)
	m := f.Model
	assert.LessOrEqual(t, len(data), 300_000, "%s: bytes, want float16 within 300 KB", path)
	assert.Equal(t, "F16", f.DType, "%s: dtype", path)
	want := MNIST()
	assert.Equal(t, want.Labels, m.Labels, "%s: labels; want the MNIST architecture", path)
	assert.Equal(t, float32(0), m.Input.Low, "%s: range low; want the MNIST architecture", path)
	assert.Equal(t, float32(1), m.Input.High, "%s: range high; want the MNIST architecture", path)
	assert.Equal(t, want.Params(), m.Params(), "%s: params; want the MNIST architecture", path)
	assert.Len(t, m.Nodes, len(want.Nodes), "%s: nodes; want the MNIST architecture", path)
	for _, k := range []string{"training_command", "seed", "data", "test_accuracy"} {
		assert.NotEmpty(t, f.Card[k], "%s: model card lacks %s", path, k)
	}

	_, test, err := mnist.Load("../data/mnist")
	if errors.Is(err, mnist.ErrNoData) {
		t.Skip("no MNIST data in data/mnist (run scripts/fetch-mnist.sh) to check the accuracy")
	}
	require.NoError(t, err)
	correct, err := Accuracy(m, test.Images, test.Labels, 0)
	require.NoError(t, err)
	acc := float64(correct) / float64(test.Len())
	t.Logf("test accuracy %.4f (%d/%d); card: %s", acc, correct, test.Len(), f.Card["test_accuracy"])
	assert.GreaterOrEqual(t, acc, 0.985, "test accuracy (%d/%d)", correct, test.Len())
}
