package app

import (
	"testing"

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
