package app

import (
	"slices"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestWarm: Warm explains a model whose working set is at most warmLimit
// once, on a blank input, and only prepares a larger one (no explanation
// runs); either way the session's account then holds the default
// explanation's whole working set, so that the first user call builds
// nothing: it allocates a few KiB where a cold session's first call
// allocates its caches and buffers.
func TestWarm(t *testing.T) {
	for _, tc := range []struct {
		name     string
		open     func(t *testing.T) *Session
		input    []float32
		explains bool // Warm runs a blank explanation
	}{
		{"cnn", func(t *testing.T) *Session { return open(t, "cnn") }, readCase(t, "cnn").Inputs[0], true},
		{"recipe8 at 256²", func(t *testing.T) *Session {
			s, err := NewSession(recipe(t, 8, 256))
			require.NoError(t, err)
			return s
		}, ramp(3 * 256 * 256), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cold := tc.open(t)
			assert.Equal(t, tc.explains, cold.WorkingSet() <= warmLimit, "working set %d bytes", cold.WorkingSet())
			coldFirst := heapGrowth(func() { _, err := cold.Explain(Input{X: tc.input}, nil); require.NoError(t, err) })

			s := tc.open(t)
			ws, bare := s.WorkingSet(), s.e.Held()
			require.NoError(t, s.Warm())
			assert.Equal(t, tc.explains, s.res.Logits != nil, "a blank explanation ran")
			assert.LessOrEqual(t, s.committed, ws, "committed after Warm, the working set before")
			assert.InEpsilon(t, ws, s.committed, 0.05, "committed after Warm, the working set before")
			assert.Equal(t, s.committed, s.WorkingSet(), "the default explanation needs nothing more")
			held := s.e.Held()
			assert.Greater(t, held, bare, "held after Warm, before %d", bare)

			first := heapGrowth(func() { _, err := s.Explain(Input{X: tc.input}, nil); require.NoError(t, err) })
			t.Logf("first explanation allocates %d bytes warmed, %d cold", first, coldFirst)
			assert.Less(t, first, int64(4<<10), "first explanation after Warm")
			assert.Greater(t, coldFirst, int64(64<<10), "first explanation of a cold session")
			assert.InDelta(t, held, s.e.Held(), 4<<10, "held after the first explanation")
		})
	}
}

// TestWarmLater: after WarmLater, the first explanation of a model whose
// warm-up builds caches keeps no packed operand (it holds less than a
// warmed session does after the same call) and gives the same result to
// the bit; the session's account still covers what the second call
// builds, and keeps. A small model's first explanation is not cold, and
// Warm ends the cold state.
func TestWarmLater(t *testing.T) {
	resnet := func(t *testing.T) *Session {
		s, err := NewSession(&model.File{Model: lrp.SyntheticResNet(1, 16, 64)})
		require.NoError(t, err)
		require.Greater(t, s.WorkingSet(), int64(warmLimit))
		return s
	}
	x := ramp(3 * 64 * 64)
	warm := resnet(t)
	require.NoError(t, warm.Warm())
	want, err := warm.Explain(Input{X: x}, nil)
	require.NoError(t, err)
	wantRel, warmHeld := slices.Clone(want.Relevance), warm.e.Held()

	s := resnet(t)
	s.WarmLater()
	r, err := s.Explain(Input{X: x}, nil)
	require.NoError(t, err)
	assert.Equal(t, wantRel, r.Relevance, "the cold explanation")
	coldHeld := s.e.Held()
	t.Logf("held after the first explanation: %d bytes cold, %d warmed", coldHeld, warmHeld)
	assert.Less(t, coldHeld, warmHeld-(1<<20), "held after the cold explanation")
	assert.GreaterOrEqual(t, s.committed, coldHeld, "committed after the cold explanation")
	committed := s.committed
	grew := heapGrowth(func() { r, err = s.Explain(Input{X: x}, nil); require.NoError(t, err) })
	assert.Equal(t, wantRel, r.Relevance, "the explanation after the cold one")
	assert.Greater(t, s.e.Held(), coldHeld+(1<<20), "the second explanation keeps its packed operands")
	assert.LessOrEqual(t, s.e.Held(), committed, "held after the second explanation, committed after the first")
	assert.Greater(t, grew, int64(1<<20), "the second explanation builds the caches")

	s = resnet(t)
	s.WarmLater()
	require.NoError(t, s.Warm())
	r, err = s.Explain(Input{X: x}, nil)
	require.NoError(t, err)
	assert.Equal(t, wantRel, r.Relevance, "WarmLater then Warm")
	assert.Equal(t, warmHeld, s.e.Held(), "WarmLater then Warm: held after the first explanation, as without WarmLater")

	small := open(t, "cnn")
	small.WarmLater()
	assert.False(t, small.cold, "a model whose warm-up explains is not explained cold")
}
