package lrp

import (
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// memoryModels are the shapes TestNeed measures: small CNNs with strides,
// paddings, dilations and groups, pointwise and Winograd-size
// convolutions, dense-only, residual joins, max and average pooling, an
// unfolded BatchNorm, the recipe scaled down, a narrow ResNet,
// and the models with every kind of issue 19 (archModel: Concat reading
// one tensor twice, a gate Mul, the activations, pooling in ceil mode;
// channelsModel: channel splits, a shuffle, LayerNorm and Scale).
func memoryModels(t testing.TB) map[string]*Model {
	r := newRand(7)
	unit := InputSpec{Shape: []int{1, 28, 28}, Low: 0, High: 1}
	rgb := func(h int) InputSpec {
		return InputSpec{Shape: []int{3, h, h}, Low: 0, High: 1, Mean: []float32{0.5, 0.4, 0.3}, Std: []float32{0.2, 0.25, 0.3}}
	}
	conv := func(inC, outC, k, stride, pad, dil, groups int) *Conv2D {
		g := geometry(inC, outC, k, k)
		g.SH, g.SW, g.PT, g.PL, g.PB, g.PR, g.DH, g.DW, g.Groups = stride, stride, pad, pad, pad, pad, dil, dil, groups
		return randConv(r, g, true)
	}
	ms := map[string]*Model{
		"mlp": seq(t, InputSpec{Shape: []int{256}, Low: -1, High: 1},
			randDense(r, 256, 200, true), &ReLU{}, randDense(r, 200, 100, true), &ReLU{}, randDense(r, 100, 10, true)),
		"cnn-mnist": seq(t, unit,
			conv(1, 8, 3, 1, 1, 1, 1), &ReLU{}, &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2},
			conv(8, 16, 3, 1, 1, 1, 1), &ReLU{}, &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2},
			&Flatten{}, randDense(r, 16*7*7, 10, true)),
		"strided-dilated": seq(t, rgb(40),
			conv(3, 12, 5, 2, 2, 1, 1), &ReLU{}, conv(12, 12, 3, 1, 2, 2, 1), &ReLU{},
			&AvgPool2D{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1}, &Flatten{}, randDense(r, 12*10*10, 5, false)),
		"grouped-pointwise": seq(t, rgb(32),
			conv(3, 24, 3, 1, 1, 1, 1), &ReLU6{}, conv(24, 24, 3, 1, 1, 1, 4), &ReLU{}, conv(24, 32, 1, 1, 0, 1, 1), &ReLU{},
			&GlobalAvgPool{}, &Flatten{}, randDense(r, 32, 10, true)),
		"winograd": seq(t, rgb(24),
			conv(3, 32, 3, 1, 1, 1, 1), &ReLU{}, conv(32, 32, 3, 1, 1, 1, 1), &ReLU{}, conv(32, 48, 3, 1, 1, 1, 1), &ReLU{},
			&MaxPool2D{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1}, &Flatten{}, randDense(r, 48*12*12, 10, true)),
		"winograd-neg": seq(t, InputSpec{Shape: []int{16, 12, 12}, Low: -1, High: 1},
			conv(16, 16, 3, 1, 1, 1, 1), conv(16, 16, 3, 1, 1, 1, 1), &ReLU{}, &Flatten{}, randDense(r, 16*144, 4, true)),
		"recipe-small": seq(t, InputSpec{Shape: []int{3, 96, 96}, Low: 0, High: 1},
			conv(3, 92, 3, 1, 1, 1, 1), &GlobalAvgPool{}, &Flatten{}, randDense(r, 92, 10, true)),
		"batchnorm": seq(t, unit,
			conv(1, 6, 3, 1, 0, 1, 1), &BatchNorm{Mean: normals(r, 6, 0.1), Var: uniforms(r, 6, 0.5, 1.5), Gamma: uniforms(r, 6, 0.5, 1.5), Beta: normals(r, 6, 0.1), Eps: 1e-5},
			&ReLU{}, &Flatten{}, randDense(r, 6*26*26, 10, true)),
		"resnet-narrow": SyntheticResNet(3, 8, 32),
		"arch":          archModel(t),
		"channels":      channelsModel(t),
	}
	res, err := NewModel("residual", unit, []Node{
		{Name: "c1", Layer: conv(1, 8, 3, 1, 1, 1, 1), Inputs: []int{Input}},
		{Name: "r1", Layer: &ReLU{}, Inputs: []int{0}},
		{Name: "c2", Layer: conv(8, 8, 3, 1, 1, 1, 1), Inputs: []int{1}},
		{Name: "add", Layer: &Add{}, Inputs: []int{2, 1}},
		{Name: "r2", Layer: &ReLU{}, Inputs: []int{3}},
		{Name: "twice", Layer: &Add{}, Inputs: []int{4, 4}},
		{Name: "pool", Layer: &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2}, Inputs: []int{5}},
		{Name: "flat", Layer: &Flatten{}, Inputs: []int{6}},
		{Name: "fc", Layer: randDense(r, 8*14*14, 10, true), Inputs: []int{7}},
	}, nil)
	require.NoError(t, err)
	ms["residual"] = res
	return ms
}

// randomInput returns an input of m uniform in its bounds.
func randomInput(m *Model, seed uint64) []float32 {
	r := rand.New(rand.NewPCG(seed, 3))
	lo, hi := m.Bounds()
	x := make([]float32, m.InputLen())
	for i := range x {
		c := i * len(lo) / len(x)
		x[i] = lo[c] + (hi[c]-lo[c])*r.Float32()
	}
	return x
}

// TestNeed measures, for every model of memoryModels and every method,
// the bytes that a new Explainer and its first explanation allocate
// (everything, garbage included, with the collector off: the heap's peak
// if nothing is collected), and checks that WorkingSet is at least that
// and at most twice that. It also checks that Need then reports 0, that a
// second call allocates nothing beyond what Need counted, and that Held
// is what WorkingSet predicted.
func TestNeed(t *testing.T) {
	ms := memoryModels(t)
	lo, hi := 100.0, 0.0
	var table strings.Builder
	for name, m := range ms {
		x := randomInput(m, 1)
		for _, method := range Methods() {
			o := Options{Method: method}
			est, err := WorkingSet(m, o)
			require.NoError(t, err)
			var e *Explainer
			got := allocated(func() {
				e = NewExplainer(m)
				_, err = e.Explain(x, o)
			})
			require.NoError(t, err, "%s %s", name, method)
			ratio := float64(est) / float64(got)
			lo, hi = min(lo, ratio), max(hi, ratio)
			fmt.Fprintf(&table, "%-18s %-26s %10d %10d %10d %5.2f\n", name, method, got, est, e.Held(), ratio)
			assert.GreaterOrEqual(t, est, int64(got), "%s %s: WorkingSet %d < allocated %d", name, method, est, got)
			assert.LessOrEqual(t, ratio, 2.0, "%s %s: WorkingSet %d > 2 × allocated %d", name, method, est, got)
			need, err := e.Need(o)
			require.NoError(t, err)
			assert.Zero(t, need, "%s %s: Need after a call", name, method)
		}
	}
	t.Logf("model              method                      allocated  estimate       held ratio\n%s", table.String())
	t.Logf("estimate / allocated: %.2f – %.2f", lo, hi)
}

// TestNeedEveryInput: what WorkingSet counts covers any input, whichever
// branches its signs and zeros take (inputs at the low and high bounds,
// random, and far outside the bounds): the calls after the first do not
// grow the arena, and everything allocated stays within the count.
func TestNeedEveryInput(t *testing.T) {
	for name, m := range memoryModels(t) {
		lo, hi := m.Bounds()
		inputs := [][]float32{randomInput(m, 1), make([]float32, m.InputLen()), make([]float32, m.InputLen()), normals(newRand(3), m.InputLen(), 5)}
		for i := range inputs[1] {
			c := i * len(lo) / len(inputs[1])
			inputs[1][i], inputs[2][i] = lo[c], hi[c]
		}
		for _, method := range Composites() {
			o := Options{Method: method}
			est, err := WorkingSet(m, o)
			require.NoError(t, err)
			var e *Explainer
			var caps []int
			got := allocated(func() {
				e = NewExplainer(m)
				for k, x := range inputs {
					_, err = e.Explain(x, o)
					if k == 0 {
						caps = arenaCaps(&e.a)
					}
				}
			})
			require.NoError(t, err)
			assert.Equal(t, caps, arenaCaps(&e.a), "%s %s: the arena grew after the first call", name, method)
			assert.GreaterOrEqual(t, est, int64(got), "%s %s: WorkingSet %d < allocated by 4 inputs %d", name, method, est, got)
		}
	}
}

// arenaCaps returns the capacities of a's buffers.
func arenaCaps(a *arena) []int {
	var c []int
	for _, b := range a.b32 {
		c = append(c, cap(b))
	}
	for _, b := range [...][]float32{a.cols, a.pa, a.pb, a.wv, a.wm, a.wpad, a.wps} {
		c = append(c, cap(b))
	}
	return append(c, cap(a.b64))
}

// TestNeedAfter: Need counts what a call allocates beyond what the
// Explainer holds after other calls (every method after
// epsilon_gamma_box, Prepare, and a call after Release), or, when it is
// 0, the call only makes a little garbage (less than the margin).
func TestNeedAfter(t *testing.T) {
	for name, m := range memoryModels(t) {
		x := randomInput(m, 2)
		e := NewExplainer(m)
		mustExplain(t, e, x, Options{})
		for _, method := range Methods() {
			o := Options{Method: method}
			need, err := e.Need(o)
			require.NoError(t, err)
			got := allocated(func() { _, err = e.Explain(x, o) })
			require.NoError(t, err)
			if need == 0 {
				need = margin(m)
			}
			assert.GreaterOrEqual(t, need, int64(got), "%s: %s after others: Need %d < allocated %d", name, method, need, got)
		}
		// Options with parameters are counted on every call: what the
		// first call did not build (for other inputs) is counted again,
		// and stays within the first count.
		o := Options{Method: "gamma", Params: Params{"gamma": 0.5}}
		first, err := e.Need(o)
		require.NoError(t, err)
		mustExplain(t, e, x, o)
		need, err := e.Need(o)
		require.NoError(t, err)
		assert.LessOrEqual(t, need, first, "%s: gamma 0.5 again", name)
		got := allocated(func() { _, err = e.Explain(x, o) })
		require.NoError(t, err)
		assert.GreaterOrEqual(t, need+margin(m), int64(got), "%s: gamma 0.5 again: Need %d < allocated %d", name, need, got)
		e.Release()
		need, err = e.Need(o)
		require.NoError(t, err)
		got = allocated(func() { _, err = e.Explain(x, o) })
		require.NoError(t, err)
		assert.GreaterOrEqual(t, need, int64(got), "%s: gamma 0.5 after Release: Need %d < allocated %d", name, need, got)

		p := NewExplainer(m)
		for _, method := range []string{"epsilon_gamma_box", "epsilon_plus_flat", "wsquare_first", "integrated_gradients"} {
			o := Options{Method: method}
			need, err := p.Need(o)
			require.NoError(t, err)
			got := allocated(func() { err = p.Prepare(o) })
			require.NoError(t, err)
			assert.GreaterOrEqual(t, need, int64(got), "%s: Prepare(%s): Need %d < allocated %d", name, method, need, got)
		}
	}
}

// TestNeedErrors: Need and WorkingSet refuse what Explain refuses.
func TestNeedErrors(t *testing.T) {
	m := memoryModels(t)["cnn-mnist"]
	e := NewExplainer(m)
	for _, o := range []Options{
		{Method: "no_such"},
		{Target: Class(10)},
		{Start: Start(9)},
		{Method: "smoothgrad", Params: Params{"gamma": 1}},
		{Rules: map[int]Rule{99: Epsilon{}}},
	} {
		_, want := e.Explain(randomInput(m, 1), o)
		require.Error(t, want, "%+v", o)
		_, err := e.Need(o)
		assert.EqualError(t, err, want.Error(), "Need(%+v)", o)
		_, err = WorkingSet(m, o)
		assert.EqualError(t, err, want.Error(), "WorkingSet(%+v)", o)
	}
}

// TestPending: after a first call, what later calls with the same method
// build for other inputs stays within Pending, which Release empties.
func TestPending(t *testing.T) {
	for name, m := range memoryModels(t) {
		lo, _ := m.Bounds()
		low := make([]float32, m.InputLen())
		for i := range low {
			low[i] = lo[i*len(lo)/len(low)]
		}
		inputs := [][]float32{low, randomInput(m, 1), normals(newRand(3), m.InputLen(), 5)}
		for _, method := range Composites() {
			o := Options{Method: method}
			e := NewExplainer(m)
			mustExplain(t, e, inputs[0], o)
			held, pending := e.Held(), e.Pending()
			for _, x := range inputs[1:] {
				mustExplain(t, e, x, o)
			}
			assert.LessOrEqual(t, e.Held(), held+pending, "%s %s: held %d after other inputs, %d + pending %d after the first", name, method, e.Held(), held, pending)
			e.Release()
			assert.Zero(t, e.Pending(), "%s %s: Pending after Release", name, method)
		}
	}
}

// TestNeedCold: a cold Explainer (SetCold) explains to the bit as a warm
// one does, keeps no packed operand, and allocates within what Need
// counted for it; set back, what its next call allocates stays within
// Pending, and that call keeps its packed operands.
func TestNeedCold(t *testing.T) {
	for name, m := range memoryModels(t) {
		x := randomInput(m, 4)
		for _, method := range []string{"epsilon_gamma_box", "epsilon", "epsilon_plus_flat", "integrated_gradients"} {
			o := Options{Method: method}
			want, err := NewExplainer(m).Explain(x, o)
			require.NoError(t, err, "%s %s", name, method)
			e := NewExplainer(m)
			e.SetCold(true)
			need, err := e.Need(o)
			require.NoError(t, err)
			var r *Result
			got := allocated(func() { r, err = e.Explain(x, o) })
			require.NoError(t, err)
			assert.GreaterOrEqual(t, need, int64(got), "%s %s cold: Need %d < allocated %d", name, method, need, got)
			assert.Zero(t, e.a.packs.n, "%s %s cold: packed operands kept", name, method)
			n, worst := bitsDiffer(r.Relevance, want.Relevance)
			assert.Zero(t, n, "%s %s cold: %d values differ, by up to %g", name, method, n, worst)
			e.SetCold(false)
			pending := e.Pending()
			got = allocated(func() { r, err = e.Explain(x, o) })
			require.NoError(t, err)
			assert.GreaterOrEqual(t, pending+margin(m), int64(got), "%s %s after cold: Pending %d < allocated %d", name, method, pending, got)
			n, worst = bitsDiffer(r.Relevance, want.Relevance)
			assert.Zero(t, n, "%s %s after cold: %d values differ, by up to %g", name, method, n, worst)
			if method == "epsilon_gamma_box" && name == "winograd" {
				assert.Positive(t, e.a.packs.n, "%s %s after cold: no packed operand kept", name, method)
			}
		}
	}
}

// TestColdSplit: a split explanation whose one half is cold (SetCold)
// gives both halves the plain explanation's relevance to the bit.
func TestColdSplit(t *testing.T) {
	for name, m := range splitModels(t) {
		x := randomInput(m, 5)
		o := Options{Method: "epsilon_gamma_box"}
		want, err := NewExplainer(m).Explain(x, o)
		require.NoError(t, err)
		e := NewExplainer(m)
		e.SetCold(true)
		r0, r1, _ := explainBoth(t, e, m, x, o)
		for part, r := range []Result{r0, r1} {
			n, worst := bitsDiffer(r.Relevance, want.Relevance)
			assert.Zero(t, n, "%s part %d: %d values differ, by up to %g", name, part, n, worst)
		}
		assert.Zero(t, e.a.packs.n, "%s: the cold half kept packed operands", name)
	}
}
