package lrp

// arena hands out scratch buffers that are reused across calls: a request
// returns the front of a buffer that only grows. Buffers obtained from one
// arena alias each other across calls to the same getter, so a caller uses
// each scratch buffer before asking for the next of the same type.
type arena struct {
	b32 [][]float32
	b64 []float64
	n32 int
}

// f64 returns a float64 scratch buffer of length n (contents undefined).
func (a *arena) f64(n int) []float64 {
	if cap(a.b64) < n {
		a.b64 = make([]float64, n)
	}
	return a.b64[:n]
}

// f32 returns a float32 scratch buffer of length n (contents undefined),
// distinct from the buffers returned since the last reset.
func (a *arena) f32(n int) []float32 {
	if a.n32 == len(a.b32) {
		a.b32 = append(a.b32, nil)
	}
	b := a.b32[a.n32]
	if cap(b) < n {
		b = make([]float32, n)
		a.b32[a.n32] = b
	}
	a.n32++
	return b[:n]
}

// reset makes every f32 buffer available again.
func (a *arena) reset() { a.n32 = 0 }
