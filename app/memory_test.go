package app

import (
	"fmt"
	"math"
	"runtime"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// recipe is the model of issue 15: input [3,size,size], one 3×3 conv
// 3→ch with padding 1, global average pooling, flatten, dense ch→10. At
// 1024² and 92 channels its file is 8 KB.
func recipe(t testing.TB, ch, size int) *model.File {
	conv := &lrp.Conv2D{InC: 3, OutC: ch, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, PL: 1, PB: 1, PR: 1, Groups: 1,
		W: make([]float32, ch*27), B: make([]float32, ch)}
	for i := range conv.W {
		conv.W[i] = float32(i%7-3) / 10
	}
	fc := &lrp.Dense{In: ch, Out: 10, W: make([]float32, 10*ch), B: make([]float32, 10)}
	for i := range fc.W {
		fc.W[i] = float32(i%5-2) / 10
	}
	m, err := lrp.NewModel(fmt.Sprintf("recipe%d", ch), lrp.InputSpec{Shape: []int{3, size, size}, Low: 0, High: 1}, []lrp.Node{
		{Name: "conv", Layer: conv, Inputs: []int{lrp.Input}},
		{Name: "gap", Layer: &lrp.GlobalAvgPool{}, Inputs: []int{0}},
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{1}},
		{Name: "fc", Layer: fc, Inputs: []int{2}},
	}, nil)
	require.NoError(t, err)
	return &model.File{Model: m, Format: "test"}
}

// heapGrowth returns the bytes f allocates.
func heapGrowth(f func()) int64 {
	var a, b runtime.MemStats
	runtime.ReadMemStats(&a)
	f()
	runtime.ReadMemStats(&b)
	return int64(b.TotalAlloc - a.TotalAlloc)
}

// withLimit runs the test with MemoryLimit lowered to n bytes.
func withLimit(t *testing.T, n int64) {
	old := limit
	limit = n
	t.Cleanup(func() { limit = old })
}

// TestRecipeRefused: the recipe (an 8 KB file whose default
// explanation took 3.25 GB of wasm memory) and its 64-channel variant are
// refused when the session is made, with an error that names the MiB
// they need, having allocated nothing of that size; the 32-channel one
// loads, and its alpha2beta1 explanation is refused the same way.
func TestRecipeRefused(t *testing.T) {
	for _, ch := range []int{92, 64} {
		f := recipe(t, ch, 1024)
		var err error
		grew := heapGrowth(func() { _, err = NewSession(f) })
		require.Error(t, err, "recipe %d", ch)
		assert.Regexp(t, `^lrp: model recipe\d+ needs \d+ MiB to explain with epsilon_gamma_box .*more than the 1536 MiB allowed$`, err.Error())
		assert.Less(t, grew, int64(1<<20), "recipe %d: %d bytes allocated before the refusal", ch, grew)
		t.Log(err)
	}
	s, err := NewSession(recipe(t, 32, 1024))
	require.NoError(t, err)
	var r *Result
	x, o := make([]float32, 3<<20), options(t, `{"composite":"alpha2beta1"}`)
	grew := heapGrowth(func() { r, err = s.Explain(Input{X: x}, o) })
	require.Error(t, err)
	assert.Nil(t, r)
	assert.Regexp(t, `^lrp: model recipe32: explaining with alpha2beta1 needs \d+ MiB .*more than the 1536 MiB allowed$`, err.Error())
	assert.Less(t, grew, int64(1<<20), "alpha2beta1: %d bytes allocated before the refusal", grew)
	t.Log(err)
}

// TestExplainRefusedLeavesSession: a call refused for its memory leaves
// the session as it was: the default composite still explains, and the
// explanation is the one a fresh session gives.
func TestExplainRefusedLeavesSession(t *testing.T) {
	f := recipe(t, 16, 96)
	x := make([]float32, 3*96*96)
	for i := range x {
		x[i] = float32(i%13) / 13
	}
	s, err := NewSession(f)
	require.NoError(t, err)
	want, err := s.Explain(Input{X: x}, nil)
	require.NoError(t, err)
	wantRel := append([]float32(nil), want.Relevance...)
	withLimit(t, s.WorkingSet()+1<<20)
	_, err = s.Explain(Input{X: x}, options(t, `{"composite":"alpha2beta1"}`))
	require.ErrorContains(t, err, "explaining with alpha2beta1 needs")
	got, err := s.Explain(Input{X: x}, nil)
	require.NoError(t, err)
	assert.Equal(t, wantRel, got.Relevance)
}

// TestReleaseMakesRoom: when two composites' caches do not fit together
// but each fits alone, switching drops the other's caches instead of
// refusing. A dense layer of 1024×1024 keeps W⁺, W + γW⁺ and W + γW⁻
// (12 MiB) for γ, W⁺ and W⁻ for α2β1 (8 MiB): 16 MiB together.
func TestReleaseMakesRoom(t *testing.T) {
	w := make([]float32, 1024*1024)
	for i := range w {
		w[i] = float32(i%9-4) / 100
	}
	m, err := lrp.NewModel("wide", lrp.InputSpec{Shape: []int{1024}, Low: -1, High: 1}, []lrp.Node{
		{Name: "fc1", Layer: &lrp.Dense{In: 1024, Out: 1024, W: w}, Inputs: []int{lrp.Input}},
		{Name: "relu", Layer: &lrp.ReLU{}, Inputs: []int{0}},
		{Name: "fc2", Layer: &lrp.Dense{In: 1024, Out: 10, W: w[:10240]}, Inputs: []int{1}},
	}, nil)
	require.NoError(t, err)
	s, err := NewSession(&model.File{Model: m, Format: "test"})
	require.NoError(t, err)
	x := make([]float32, 1024)
	for i := range x {
		x[i] = float32(i%11-5) / 5
	}
	gamma, err := s.e.Need(lrp.Options{Method: "gamma"})
	require.NoError(t, err)
	withLimit(t, s.committed+gamma+1<<20)
	for _, c := range []string{"gamma", "alpha2beta1", "gamma", "alpha2beta1"} {
		_, err := s.Explain(Input{X: x}, options(t, `{"composite":"`+c+`"}`))
		require.NoError(t, err, c)
		assert.LessOrEqual(t, s.committed, limit, "%s: committed %d", c, s.committed)
	}
	withLimit(t, s.committed-1)
	_, err = s.Explain(Input{X: x}, options(t, `{"composite":"gamma"}`))
	assert.ErrorContains(t, err, "explaining with gamma needs")
}

// TestImageRefusedBeforeCopy: CheckExplain refuses an RGBA input too large
// for the limit from its size alone, and a mode the model cannot take,
// before the pixels exist; Explain refuses them the same way.
func TestImageRefusedBeforeCopy(t *testing.T) {
	s := open(t, "cnn")
	err := s.CheckExplain(Input{Width: 30000, Height: 30000}, nil)
	require.Error(t, err)
	assert.Regexp(t, `^lrp: model .*: explaining with epsilon_gamma_box needs \d+ MiB .*the call's input and scratch 34\d\d MiB\), more than the 1536 MiB allowed$`, err.Error())
	assert.NoError(t, s.CheckExplain(Input{Width: 640, Height: 480}, nil))
	assert.ErrorContains(t, s.CheckExplain(Input{Width: 64, Height: 64, Mode: "warp"}, nil), `preprocess: unknown mode "warp"`)
	r := recipe(t, 4, 32)
	rs, err := NewSession(r)
	require.NoError(t, err)
	assert.ErrorContains(t, rs.CheckExplain(Input{Width: 64, Height: 64, Mode: "digit"}, nil), "preprocess: mode digit needs a 1×28×28 model input")
	withLimit(t, s.WorkingSet()+1<<20)
	pix := make([]uint8, 4*1024*1024)
	_, err = s.Explain(Input{RGBA: pix, Width: 1024, Height: 1024}, nil)
	assert.Regexp(t, `the call's input and scratch \d MiB\), more than the \d MiB allowed$`, err)
	_, err = s.Explain(Input{RGBA: pix[:4*256*256], Width: 256, Height: 256}, nil)
	assert.NoError(t, err)
}

// TestEvaluateRefused: evaluate checks what its methods need together.
func TestEvaluateRefused(t *testing.T) {
	s, err := NewSession(recipe(t, 32, 1024))
	require.NoError(t, err)
	o, err := ParseEvalOptions([]byte(`{"methods":["epsilon","alpha2beta1","random"]}`))
	require.NoError(t, err)
	in := Input{X: make([]float32, 3<<20)}
	require.ErrorContains(t, s.CheckEvaluate(in, o), "evaluating 2 methods needs")
	var r *Evaluation
	grew := heapGrowth(func() { r, err = s.Evaluate(in, o) })
	require.ErrorContains(t, err, "evaluating 2 methods needs")
	assert.Nil(t, r)
	assert.Less(t, grew, int64(1<<20), "%d bytes allocated before the refusal", grew)
}

func TestCheckFileSize(t *testing.T) {
	assert.NoError(t, CheckFileSize(100<<20))
	assert.EqualError(t, CheckFileSize(2<<30), "lrp: a model file of 2048 MiB is larger than the 1536 MiB a session may hold (its weights alone take about its size or more)")
}

// TestPackBytes: packBytes bounds a packed result, whose arrays grow the
// buffer once.
func TestPackBytes(t *testing.T) {
	for _, s := range []*Session{open(t, "cnn"), open(t, "cnn_bn")} {
		r, err := s.Explain(Input{X: make([]float32, s.Model().InputLen())}, nil)
		require.NoError(t, err)
		var b []byte
		grew := heapGrowth(func() { b = r.Pack(nil) })
		need := packBytes(s.Model(), s.h, s.w)
		assert.LessOrEqual(t, int64(len(b)), need)
		assert.LessOrEqual(t, grew, 2*need, "pack allocated %d bytes for %d", grew, len(b))
	}
}

// TestCommittedDoesNotDrift: what the session counts as committed stays
// bounded over calls that build nothing new: repeated parameters,
// alternating composites, and inputs refused after the memory check; so
// no call is refused for memory the session does not hold.
func TestCommittedDoesNotDrift(t *testing.T) {
	s := open(t, "cnn")
	x := readCase(t, "cnn").Inputs[0]
	bad := append([]float32(nil), x...)
	bad[5] = float32(math.NaN())
	for _, o := range []string{`{}`, `{"composite":"gamma","params":{"gamma":0.5}}`, `{"composite":"alpha2beta1"}`} {
		_, err := s.Explain(Input{X: x}, options(t, o))
		require.NoError(t, err)
	}
	after := s.committed
	for i := range 200 {
		o := []string{`{}`, `{"composite":"gamma","params":{"gamma":0.5}}`, `{"composite":"alpha2beta1"}`, `{"rules":{"0":{"rule":"flat"}}}`}[i%4]
		_, err := s.Explain(Input{X: x}, options(t, o))
		require.NoError(t, err)
		_, err = s.Explain(Input{X: bad}, options(t, `{"composite":"zplus"}`))
		require.ErrorContains(t, err, "NaN")
	}
	held := s.e.Held() + s.own
	t.Logf("committed %d after the first calls, %d after 400 more; the session holds %d", after, s.committed, held)
	assert.LessOrEqual(t, s.committed, held+held/2, "committed %d, held %d", s.committed, held)
}
