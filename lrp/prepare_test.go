package lrp

import (
	"math"
	"runtime"
	"testing"
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
	if c := m.Nodes[2].Layer.(*Conv2D); !c.winograd(8, 8) {
		t.Fatal("the second convolution does not take the Winograd path")
	}
	x := uniforms(newRand(8), m.InputLen(), 0, 1)
	for _, name := range Composites() {
		t.Run(name, func(t *testing.T) {
			o := Options{Method: name}
			cold := NewExplainer(m)
			coldBytes := allocated(func() { mustExplain(t, cold, x, o) })
			warm := NewExplainer(m)
			if err := warm.Prepare(o); err != nil {
				t.Fatal(err)
			}
			prepared := winoFloats(&warm.a)
			warmBytes := allocated(func() { mustExplain(t, warm, x, o) })
			if n := winoFloats(&warm.a); n != prepared || n != winoFloats(&cold.a) {
				t.Errorf("Winograd transforms: %d floats after Prepare, %d after its first call, %d after a first call without it; want all equal", prepared, n, winoFloats(&cold.a))
			}
			for i, got := range warm.res.Relevance {
				if want := cold.res.Relevance[i]; math.Float32bits(got) != math.Float32bits(want) {
					t.Fatalf("relevance[%d] after Prepare = %v, want %v", i, got, want)
				}
			}
			t.Logf("first call allocates %d bytes, %d after Prepare", coldBytes, warmBytes)
			if coldBytes > 1<<20 && warmBytes > coldBytes/4 {
				t.Errorf("first call after Prepare allocates %d bytes, want at most a quarter of %d", warmBytes, coldBytes)
			}
		})
	}
	if err := NewExplainer(m).Prepare(Options{Method: "no_such"}); err == nil {
		t.Error("Prepare(no_such): got no error")
	}
	if err := NewExplainer(m).Prepare(Options{Method: "gradient"}); err != nil {
		t.Errorf("Prepare(gradient): %v", err)
	}
}

func mustExplain(t *testing.T, e *Explainer, x []float32, o Options) {
	t.Helper()
	if _, err := e.Explain(x, o); err != nil {
		t.Fatal(err)
	}
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
	if e.a.packs.n != 0 || e.w[2].wp != nil {
		t.Fatalf("after Release: %d packed floats and W⁺ %v, want none", e.a.packs.n, e.w[2].wp != nil)
	}
	mustExplain(t, e, x, o)
	if e.a.packs.n != held {
		t.Errorf("packed floats after the next call: %d, want %d", e.a.packs.n, held)
	}
	for i, got := range e.res.Relevance {
		if math.Float32bits(got) != math.Float32bits(want[i]) {
			t.Fatalf("relevance[%d] after Release = %v, want %v", i, got, want[i])
		}
	}
}
