package preprocess

import (
	"runtime"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestScratchBytes: a Scratch grows to at most ScratchBytes preprocessing
// images of several sizes into inputs of several sizes, as a digit or an
// image.
func TestScratchBytes(t *testing.T) {
	for _, c := range []struct{ w, h, outW, outH int }{
		{28, 28, 28, 28}, {300, 200, 28, 28}, {640, 480, 224, 224}, {50, 40, 224, 224}, {1000, 30, 64, 64}, {1, 1, 28, 28},
	} {
		pix := canvas(c.w, c.h, 255, 255, 255, 255)
		fill(pix, c.w, c.w/4, c.h/4, c.w/2+1, c.h/2+1, 0, 0, 0, 255)
		dst := make([]float32, 3*c.outW*c.outH)
		var a, b runtime.MemStats
		runtime.ReadMemStats(&a)
		var s Scratch
		require.NoError(t, s.Image(dst, pix, c.w, c.h, 3, c.outH, c.outW, nil, nil, 0, 1))
		require.NoError(t, s.Digit(dst[:DigitSize*DigitSize], pix, c.w, c.h))
		runtime.ReadMemStats(&b)
		got, need := int64(b.TotalAlloc-a.TotalAlloc), ScratchBytes(c.w, c.h, c.outW, c.outH)
		t.Logf("%d×%d → %d×%d: allocated %d, ScratchBytes %d", c.w, c.h, c.outW, c.outH, got, need)
		assert.GreaterOrEqual(t, need, got, "%d×%d → %d×%d", c.w, c.h, c.outW, c.outH)
	}
}
