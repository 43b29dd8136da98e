package train

import (
	"testing"

	"github.com/lrpwasm/lrp/lrp"
)

// BenchmarkExample is one training example of the MNIST architecture:
// forward, loss and backward.
func BenchmarkExample(b *testing.B) { benchmark(b, true) }

// BenchmarkForward is the training forward pass alone.
func BenchmarkForward(b *testing.B) { benchmark(b, false) }

func benchmark(b *testing.B, backward bool) {
	n := mustNet(b, MNIST(), 1)
	x, labels := synthetic(1, 1)
	tp, g, dz := n.newTape(), make([]float32, n.size), make([]float32, 10)
	for b.Loop() {
		crossEntropy(dz, n.forward(tp, x), labels[0])
		if backward {
			n.backward(tp, x, dz, g)
		}
	}
}

// BenchmarkEngineForward is the engine's forward pass on the same model,
// for comparison.
func BenchmarkEngineForward(b *testing.B) {
	e := lrp.NewExplainer(mustNet(b, MNIST(), 1).Model())
	x, _ := synthetic(1, 1)
	for b.Loop() {
		if _, err := e.Forward(x); err != nil {
			b.Fatal(err)
		}
	}
}
