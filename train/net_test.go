package train

import (
	"fmt"
	"math"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// tiny is a small net that exercises every layer kind and the conv options:
// a non-square two-channel input, stride, uneven padding, dilation and a
// padded max pool.
func tiny(t *testing.T, seed uint64) *Net {
	t.Helper()
	nodes := []lrp.Node{
		{Name: "conv1", Layer: &lrp.Conv2D{InC: 2, OutC: 3, KH: 3, KW: 2, SH: 2, SW: 1, DH: 1, DW: 1,
			PT: 1, PL: 0, PB: 1, PR: 1, Groups: 1, W: make([]float32, 3*2*3*2), B: make([]float32, 3)}},
		{Name: "relu1", Layer: &lrp.ReLU{}},
		{Name: "pool", Layer: &lrp.MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PB: 1}},
		{Name: "conv2", Layer: &lrp.Conv2D{InC: 3, OutC: 2, KH: 2, KW: 2, SH: 1, SW: 1, DH: 1, DW: 2,
			PT: 1, PL: 1, PB: 1, PR: 1, Groups: 1, W: make([]float32, 2*3*2*2), B: make([]float32, 2)}},
		{Name: "relu2", Layer: &lrp.ReLU{}},
		{Name: "flatten", Layer: &lrp.Flatten{}},
		{Name: "fc1", Layer: newDense(2*3*3, 5)},
		{Name: "relu3", Layer: &lrp.ReLU{}},
		{Name: "fc2", Layer: newDense(5, 4)},
	}
	for i := range nodes {
		nodes[i].Inputs = []int{i - 1}
	}
	m, err := lrp.NewModel("tiny", lrp.InputSpec{Shape: []int{2, 7, 6}, Low: 0, High: 1}, nodes, nil)
	require.NoError(t, err)
	n, err := NewNet(m)
	require.NoError(t, err)
	n.Init(seed)
	// Nonzero biases, so that their gradients are checked too.
	rng := rand.New(rand.NewPCG(seed, 1))
	for i, p := range n.params {
		if !n.decay[i] {
			for k := range p {
				p[k] = float32(rng.NormFloat64() * 0.1)
			}
		}
	}
	return n
}

func randomInputs(n, size int, seed uint64) []float32 {
	rng := rand.New(rand.NewPCG(seed, 2))
	x := make([]float32, n*size)
	for i := range x {
		x[i] = rng.Float32()
	}
	return x
}

// refLoss is Σ cross-entropy over the examples in float64, straight from
// the layer definitions: the oracle of TestGradient.
func refLoss(m *lrp.Model, x []float32, labels []int) float64 {
	size := m.InputLen()
	var loss float64
	for e, label := range labels {
		z := make([]float64, size)
		for i, v := range x[e*size : (e+1)*size] {
			z[i] = float64(v)
		}
		for i, nd := range m.Nodes {
			z = refLayer(nd.Layer, z, m.Shape(i-1), m.Shape(i))
		}
		mx := slices.Max(z)
		var s float64
		for _, v := range z {
			s += math.Exp(v - mx)
		}
		loss += math.Log(s) - (z[label] - mx)
	}
	return loss
}

// refLayer applies one layer to x of shape in (output shape out).
func refLayer(layer lrp.Layer, x []float64, in, out []int) []float64 {
	n := 1
	for _, d := range out {
		n *= d
	}
	y := make([]float64, n)
	switch l := layer.(type) {
	case *lrp.Conv2D: // y[o][i][j] = b[o] + Σ_{c,u,v} W[o][c][u][v]·x[c][i·SH+u·DH−PT][j·SW+v·DW−PL]
		h, w := in[1], in[2]
		for o := range out[0] {
			for i := range out[1] {
				for j := range out[2] {
					s := float64(l.B[o])
					for c := range l.InC {
						for u := range l.KH {
							for v := range l.KW {
								yy, xx := i*l.SH+u*l.DH-l.PT, j*l.SW+v*l.DW-l.PL
								if yy >= 0 && yy < h && xx >= 0 && xx < w {
									s += float64(l.W[((o*l.InC+c)*l.KH+u)*l.KW+v]) * x[(c*h+yy)*w+xx]
								}
							}
						}
					}
					y[(o*out[1]+i)*out[2]+j] = s
				}
			}
		}
	case *lrp.Dense:
		for o := range l.Out {
			y[o] = float64(l.B[o])
			for i := range l.In {
				y[o] += float64(l.W[o*l.In+i]) * x[i]
			}
		}
	case *lrp.ReLU:
		for i, v := range x {
			y[i] = max(v, 0)
		}
	case *lrp.MaxPool2D:
		h, w := in[1], in[2]
		for c := range out[0] {
			for i := range out[1] {
				for j := range out[2] {
					m := math.Inf(-1)
					for u := range l.KH {
						for v := range l.KW {
							yy, xx := i*l.SH+u-l.PT, j*l.SW+v-l.PL
							if yy >= 0 && yy < h && xx >= 0 && xx < w {
								m = max(m, x[(c*h+yy)*w+xx])
							}
						}
					}
					y[(c*out[1]+i)*out[2]+j] = m
				}
			}
		}
	case *lrp.Flatten:
		copy(y, x)
	default:
		panic("refLayer: unexpected layer")
	}
	return y
}

// TestGradient checks every weight and bias gradient of backward against
// central finite differences of refLoss.
func TestGradient(t *testing.T) {
	n := tiny(t, 3)
	labels := []int{0, 3, 1}
	size := n.m.InputLen()
	x := randomInputs(len(labels), size, 3)

	g := make([]float32, n.size)
	tp := n.newTape()
	dz := make([]float32, n.m.Classes())
	for i, l := range labels {
		xi := x[i*size : (i+1)*size]
		crossEntropy(dz, n.forward(tp, xi), l)
		n.backward(tp, xi, dz, g)
	}

	const h = 1e-4
	off, worst := 0, 0.0
	bad, first := 0, ""
	for pi, p := range n.params {
		for k := range p {
			v := p[k]
			p[k] = v + h
			up, dup := refLoss(n.m, x, labels), float64(p[k])-float64(v) // the step as rounded to float32
			p[k] = v - h
			down, ddown := refLoss(n.m, x, labels), float64(v)-float64(p[k])
			p[k] = v
			num, ana := (up-down)/(dup+ddown), float64(g[off+k])
			d := math.Abs(num-ana) / (1e-3 + math.Abs(num))
			worst = max(worst, d)
			if d > 1e-3 {
				if bad == 0 {
					first = fmt.Sprintf("param %d[%d]: backward %.6g, finite difference %.6g", pi, k, ana, num)
				}
				bad++
			}
		}
		off += len(p)
	}
	t.Logf("%d parameters, largest relative difference %.2g", n.size, worst)
	assert.Zero(t, bad, "parameters whose gradient is off the finite difference by more than 1e-3 (relative); the first: %s", first)
}

// TestForward checks the training forward pass against the engine's.
func TestForward(t *testing.T) {
	for _, tc := range []struct {
		name string
		n    *Net
	}{{"tiny", tiny(t, 5)}, {"mnist", mustNet(t, MNIST(), 5)}} {
		size := tc.n.m.InputLen()
		x := randomInputs(4, size, 7)
		tp := tc.n.newTape()
		for i := range 4 {
			xi := x[i*size : (i+1)*size]
			want, err := tc.n.m.Forward(xi)
			require.NoError(t, err)
			got := tc.n.forward(tp, xi)
			for k := range want {
				d := math.Abs(float64(got[k] - want[k]))
				assert.LessOrEqual(t, d, 1e-5*(1+math.Abs(float64(want[k]))), "%s input %d logit %d: %v, engine %v", tc.name, i, k, got[k], want[k])
			}
		}
	}
}

func mustNet(t testing.TB, m *lrp.Model, seed uint64) *Net {
	n, err := NewNet(m)
	require.NoError(t, err)
	n.Init(seed)
	return n
}

func TestNewNetErrors(t *testing.T) {
	m, err := lrp.NewModel("add", lrp.InputSpec{Shape: []int{4}, Low: 0, High: 1}, []lrp.Node{
		{Name: "fc", Layer: newDense(4, 4), Inputs: []int{lrp.Input}},
		{Name: "add", Layer: &lrp.Add{}, Inputs: []int{0, lrp.Input}},
	}, nil)
	require.NoError(t, err)
	_, err = NewNet(m)
	assert.Error(t, err, "NewNet accepted a residual join")
}

// synthetic returns count 1×28×28 images of four classes, a blurred square
// in one of four quadrants, with noise.
func synthetic(count int, seed uint64) ([]float32, []int) {
	rng := rand.New(rand.NewPCG(seed, 9))
	x := make([]float32, count*784)
	labels := make([]int, count)
	for i := range labels {
		c := rng.IntN(4)
		labels[i] = c
		img := x[i*784 : (i+1)*784]
		y0, x0 := 4+14*(c/2)+rng.IntN(3), 4+14*(c%2)+rng.IntN(3)
		for p := range img {
			img[p] = 0.2 * rng.Float32()
		}
		for u := range 6 {
			for v := range 6 {
				img[(y0+u)*28+x0+v] = 0.6 + 0.4*rng.Float32()
			}
		}
	}
	return x, labels
}

func meanLoss(m *lrp.Model, x []float32, labels []int) float64 {
	return refLoss(m, x, labels) / float64(len(labels))
}

// TestTrainSmoke trains the MNIST architecture for a few steps on
// synthetic data and checks that the loss falls.
func TestTrainSmoke(t *testing.T) {
	x, labels := synthetic(96, 1)
	n := mustNet(t, MNIST(), 1)
	before := meanLoss(n.m, x, labels)
	var epochs []Epoch
	err := n.Train(x, labels, Config{Epochs: 3, Batch: 32, LR: 3e-3, Seed: 1,
		Augment:  Augment{Shift: 1, Rotate: 10, Scale: 0.1, Thickness: 0.3},
		Progress: func(e Epoch) { epochs = append(epochs, e) }})
	require.NoError(t, err)
	after := meanLoss(n.m, x, labels)
	t.Logf("loss %.3f → %.3f; epochs %+v", before, after, epochs)
	assert.Less(t, after, 0.5*before, "loss %.3f → %.3f after 9 steps, want it at least halved", before, after)
	assert.Len(t, epochs, 3, "epochs")
}

// TestTrainDeterministic checks that the number of goroutines does not
// change the result, for both optimizers.
func TestTrainDeterministic(t *testing.T) {
	x, labels := synthetic(40, 2)
	for _, opt := range []string{"adam", "sgd"} {
		var weights [][]float32
		for _, workers := range []int{1, 3} {
			n := mustNet(t, MNIST(), 2)
			cfg := Config{Epochs: 1, Batch: 20, Optimizer: opt, WeightDecay: 1e-4, Seed: 2, Workers: workers,
				Augment: Augment{Shift: 2, Rotate: 15, Scale: 0.15, Thickness: 0.5, Elastic: 20}}
			require.NoError(t, n.Train(x, labels, cfg))
			weights = append(weights, slices.Concat(n.params...))
		}
		assert.True(t, slices.Equal(weights[0], weights[1]), "%s: weights differ between 1 and 3 workers", opt)
	}
}

func TestTrainErrors(t *testing.T) {
	n := mustNet(t, MNIST(), 1)
	x, labels := synthetic(4, 1)
	for _, tc := range []struct {
		x      []float32
		labels []int
		cfg    Config
	}{
		{x[:100], labels, Config{}},
		{x, []int{0, 1, 2, 10}, Config{}},
		{x, labels, Config{Optimizer: "lion"}},
		{x, labels, Config{LR: -1}},
	} {
		assert.Error(t, n.Train(tc.x, tc.labels, tc.cfg), "Train(%d values, labels %v, %+v) did not fail", len(tc.x), tc.labels, tc.cfg)
	}
}

func TestAccuracy(t *testing.T) {
	n := mustNet(t, MNIST(), 4)
	x, _ := synthetic(10, 4)
	pred := make([]int, 10)
	for i := range pred {
		z, err := n.m.Forward(x[i*784 : (i+1)*784])
		require.NoError(t, err)
		pred[i] = lrp.Argmax(z)
	}
	pred[3] = (pred[3] + 1) % 10
	got, err := Accuracy(n.m, x, pred, 3)
	assert.NoError(t, err, "Accuracy")
	assert.Equal(t, 9, got, "Accuracy")
}
