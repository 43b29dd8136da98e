package lrp

import (
	"math"
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// prepareModel is a small CNN with wide layers: its weights, and so the
// caches of modified weights, outweigh its activations; its second
// convolution takes the Winograd path.
func prepareModel(t *testing.T) *Model {
	r := newRand(7)
	c1 := geometry(2, 16, 3, 3)
	c1.PT, c1.PL, c1.PB, c1.PR = 1, 1, 1, 1
	c2 := geometry(16, 64, 3, 3)
	c2.PT, c2.PL, c2.PB, c2.PR = 1, 1, 1, 1
	return seq(t, InputSpec{Shape: []int{2, 8, 8}, Low: 0, High: 1},
		randConv(r, c1, true), &ReLU{}, randConv(r, c2, true), &ReLU{},
		&Flatten{}, randDense(r, 64*8*8, 256, true), &ReLU{}, randDense(r, 256, 10, true))
}

// TestPrepare: after Prepare, every composite's first explanation is the
// same, bit for bit, as without it, builds no Winograd transform and
// allocates at most a quarter of what a first call without Prepare does
// (the caches are built).
func TestPrepare(t *testing.T) {
	m := prepareModel(t)
	require.True(t, m.Nodes[2].Layer.(*Conv2D).winograd(8, 8), "the second convolution does not take the Winograd path")
	x := uniforms(newRand(8), m.InputLen(), 0, 1)
	for _, name := range Composites() {
		t.Run(name, func(t *testing.T) {
			o := Options{Method: name}
			cold := NewExplainer(m)
			coldBytes := allocated(func() { mustExplain(t, cold, x, o) })
			warm := NewExplainer(m)
			require.NoError(t, warm.Prepare(o))
			prepared := winoFloats(&warm.a)
			warmBytes := allocated(func() { mustExplain(t, warm, x, o) })
			n := winoFloats(&warm.a)
			assert.Truef(t, n == prepared && n == winoFloats(&cold.a),
				"Winograd transforms: %d floats after Prepare, %d after its first call, %d after a first call without it; want all equal", prepared, n, winoFloats(&cold.a))
			for i, got := range warm.res.Relevance {
				want := cold.res.Relevance[i]
				require.Equalf(t, math.Float32bits(want), math.Float32bits(got), "relevance[%d] after Prepare = %v, want %v", i, got, want)
			}
			t.Logf("first call allocates %d bytes, %d after Prepare", coldBytes, warmBytes)
			if coldBytes > 1<<20 {
				assert.LessOrEqualf(t, warmBytes, coldBytes/4, "first call after Prepare allocates %d bytes, want at most a quarter of %d", warmBytes, coldBytes)
			}
		})
	}
	assert.Error(t, NewExplainer(m).Prepare(Options{Method: "no_such"}), "Prepare(no_such): got no error")
	assert.NoError(t, NewExplainer(m).Prepare(Options{Method: "gradient"}), "Prepare(gradient)")
}

func mustExplain(t *testing.T, e *Explainer, x []float32, o Options) {
	t.Helper()
	_, err := e.Explain(x, o)
	require.NoError(t, err)
}

// allocated returns the bytes f allocates on the heap.
func allocated(f func()) uint64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return b.TotalAlloc - a.TotalAlloc
}

// winoFloats returns the floats of the Winograd operands in a's cache
// (Prepare leaves the narrow dense products' packed weights to the first
// call: they are cheap to pack).
func winoFloats(a *arena) int {
	n := 0
	for k, e := range a.packs.u {
		if k.kind == winoForward || k.kind == winoFlipped {
			n += len(e.u)
		}
	}
	return n
}

// TestRelease: after Release the caches are empty, and the next call
// builds them again with the same result, bit for bit.
func TestRelease(t *testing.T) {
	m := prepareModel(t)
	x := uniforms(newRand(9), m.InputLen(), 0, 1)
	o := Options{Method: "epsilon_gamma_box"}
	e := NewExplainer(m)
	mustExplain(t, e, x, o)
	want := append([]float32(nil), e.res.Relevance...)
	held := e.a.packs.n
	e.Release()
	require.Truef(t, e.a.packs.n == 0 && e.w[2].wp == nil, "after Release: %d packed floats and W⁺ %v, want none", e.a.packs.n, e.w[2].wp != nil)
	mustExplain(t, e, x, o)
	assert.Equalf(t, held, e.a.packs.n, "packed floats after the next call: %d, want %d", e.a.packs.n, held)
	for i, got := range e.res.Relevance {
		require.Equalf(t, math.Float32bits(want[i]), math.Float32bits(got), "relevance[%d] after Release = %v, want %v", i, got, want[i])
	}
}
