package lrp

import (
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func randBN(seed uint64, c int) *BatchNorm {
	r := newRand(seed)
	return &BatchNorm{Mean: normals(r, c, 0.5), Var: uniforms(r, c, 0.2, 3), Gamma: uniforms(r, c, 0.3, 2), Beta: normals(r, c, 0.5), Eps: 1e-5}
}

func kinds(m *Model) []Kind {
	ks := make([]Kind, len(m.Nodes))
	for i, nd := range m.Nodes {
		ks[i] = nd.Layer.Kind()
	}
	return ks
}

// FoldBatchNorm merges BatchNorm into the Conv2D or Dense before it
// without changing the logits; a BatchNorm it cannot merge stays.
func TestFoldBatchNorm(t *testing.T) {
	img := InputSpec{Shape: []int{2, 6, 6}, Low: 0, High: 1}
	conv := func(seed uint64, in, out int, bias bool) *Conv2D {
		g := geometry(in, out, 3, 3)
		g.SH, g.SW, g.PT, g.PL, g.PB, g.PR = 2, 2, 1, 1, 1, 1
		return randConv(newRand(seed), g, bias)
	}
	for _, tc := range []struct {
		name      string
		build     func() *Model
		folded    int
		wantKinds []Kind
	}{
		{"conv+bn", func() *Model {
			return seq(t, img, conv(1, 2, 3, true), randBN(2, 3), &ReLU{}, &Flatten{}, randDense(newRand(3), 27, 4, true))
		}, 1, []Kind{KindConv, KindReLU, KindFlatten, KindDense}},
		{"conv without bias+bn", func() *Model {
			return seq(t, img, conv(1, 2, 3, false), randBN(2, 3), &ReLU{}, &Flatten{}, randDense(newRand(3), 27, 4, true))
		}, 1, []Kind{KindConv, KindReLU, KindFlatten, KindDense}},
		{"two conv+bn pairs", func() *Model {
			return seq(t, img, conv(1, 2, 3, true), randBN(2, 3), &ReLU{}, conv(4, 3, 2, true), randBN(5, 2), &ReLU{},
				&GlobalAvgPool{}, &Flatten{}, randDense(newRand(3), 2, 4, true))
		}, 2, []Kind{KindConv, KindReLU, KindConv, KindReLU, KindGlobalAvgPool, KindFlatten, KindDense}},
		{"dense+bn", func() *Model {
			return seq(t, img, &Flatten{}, randDense(newRand(3), 72, 5, true), randBN(6, 5), &ReLU{}, randDense(newRand(7), 5, 3, true))
		}, 1, []Kind{KindFlatten, KindDense, KindReLU, KindDense}},
		{"bn on the input stays", func() *Model {
			return seq(t, img, randBN(2, 2), conv(1, 2, 3, true), &ReLU{}, &Flatten{}, randDense(newRand(3), 27, 4, true))
		}, 0, []Kind{KindBatchNorm, KindConv, KindReLU, KindFlatten, KindDense}},
		{"conv+bn+bn folds both", func() *Model {
			return seq(t, img, conv(1, 2, 3, true), randBN(2, 3), randBN(9, 3), &ReLU{}, &Flatten{}, randDense(newRand(3), 27, 4, true))
		}, 2, []Kind{KindConv, KindReLU, KindFlatten, KindDense}},
		{"bn after relu stays", func() *Model {
			return seq(t, img, conv(1, 2, 3, true), &ReLU{}, randBN(2, 3), &Flatten{}, randDense(newRand(3), 27, 4, true))
		}, 0, []Kind{KindConv, KindReLU, KindBatchNorm, KindFlatten, KindDense}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			m := tc.build()
			x := uniforms(newRand(8), m.InputLen(), 0, 1)
			before, err := m.Forward(x)
			require.NoError(t, err)
			n, err := m.FoldBatchNorm()
			require.NoError(t, err, "FoldBatchNorm")
			require.Equalf(t, tc.folded, n, "FoldBatchNorm = %d, want %d", n, tc.folded)
			assert.Equal(t, tc.wantKinds, kinds(m), "kinds after folding")
			after, err := m.Forward(x)
			require.NoError(t, err)
			requireClose(t, "logits", after, to64(before), 1e-5)
			// A BatchNorm that stays is an affine layer with LRP-ε in every
			// LRP composite.
			res, err := NewExplainer(m).Explain(x, Options{Method: "epsilon_gamma_box"})
			require.NoError(t, err)
			for _, d := range res.Diagnostics.Layers {
				if d.Kind == KindBatchNorm {
					assert.Equalf(t, "epsilon", d.Rule, "kept batchnorm: rule %s, want epsilon", d.Rule)
				}
			}
		})
	}
}

// A conv whose output is also read by another node keeps its BatchNorm:
// folding would change what the other reader sees. Here the BatchNorm of
// the first conv is folded first, which renumbers the nodes.
func TestFoldBatchNormKeepsSharedConv(t *testing.T) {
	g := geometry(2, 2, 3, 3)
	g.PT, g.PL, g.PB, g.PR = 1, 1, 1, 1
	nodes := []Node{
		{"convA", randConv(newRand(1), g, true), []int{Input}},
		{"bnA", randBN(2, 2), []int{0}},
		{"convB", randConv(newRand(3), g, true), []int{1}},
		{"bnB", randBN(4, 2), []int{2}},
		{"add", &Add{}, []int{3, 2}}, // reads convB directly too
		{"gap", &GlobalAvgPool{}, []int{4}},
		{"flatten", &Flatten{}, []int{5}},
		{"dense", randDense(newRand(5), 2, 3, true), []int{6}},
	}
	m, err := NewModel("shared", InputSpec{Shape: []int{2, 5, 5}, Low: 0, High: 1}, nodes, nil)
	require.NoError(t, err)
	x := uniforms(newRand(6), m.InputLen(), 0, 1)
	before, _ := m.Forward(x)
	n, err := m.FoldBatchNorm()
	require.NoError(t, err)
	after, _ := m.Forward(x)
	want := []Kind{KindConv, KindConv, KindBatchNorm, KindAdd, KindGlobalAvgPool, KindFlatten, KindDense}
	assert.Equal(t, 1, n, "folded (bnB must stay: convB is read twice)")
	assert.Equal(t, want, kinds(m), "kinds (bnB must stay: convB is read twice)")
	requireClose(t, "logits after folding", after, to64(before), 1e-5)
}

func TestBoundsAndParams(t *testing.T) {
	m := seq(t, InputSpec{Shape: []int{2, 3, 3}, Low: 0, High: 1, Mean: []float32{0.5, 0.25}, Std: []float32{0.5, 0.25}},
		randConv(newRand(1), geometry(2, 3, 2, 2), true), &Flatten{}, randDense(newRand(2), 12, 2, false))
	lo, hi := m.Bounds()
	assert.Equal(t, []float32{-1, -1}, lo, "Bounds low")
	assert.Equal(t, []float32{1, 3}, hi, "Bounds high")
	assert.Equal(t, 3*2*2*2+3+12*2, m.Params(), "Params")
	assert.Equal(t, 18, m.InputLen(), "InputLen")
	assert.Equal(t, 2, m.Classes(), "Classes")
	assert.Equal(t, []int{3, 2, 2}, m.Shape(0), "Shape(0)")
	assert.Equal(t, []int{2, 3, 3}, m.Shape(Input), "Shape(Input)")
	// ZBox without bounds of its own takes the normalized per-channel
	// bounds: the same as passing them explicitly.
	x := uniforms(newRand(3), 18, -1, 1)
	e := NewExplainer(m)
	a := slices.Clone(explain(t, e, x, Options{Rules: map[int]Rule{0: ZBox{Stab: 1e-6}}}).Relevance)
	b := explain(t, e, x, Options{Rules: map[int]Rule{0: ZBox{Low: []float32{-1, -1}, High: []float32{1, 3}, Stab: 1e-6}}}).Relevance
	assert.Equal(t, a, b, "ZBox with the model's bounds and with the same bounds given differ")
}

// A model of more than MaxNodes nodes is refused by name.
func TestNewModelNodeCap(t *testing.T) {
	nodes := make([]Node, MaxNodes+1)
	for i := range nodes {
		nodes[i] = Node{Name: "r", Layer: &ReLU{}, Inputs: []int{i - 1}}
	}
	_, err := NewModel("deep", InputSpec{Shape: []int{3}, Low: 0, High: 1}, nodes, nil)
	requireErr(t, err, "131073 nodes, more than the 131072 allowed")
}
