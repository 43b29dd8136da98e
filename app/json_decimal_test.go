package app

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/require"
)

// TestDecimal32 requires decimal32's arithmetic to give the float64 that
// parsing the shortest decimal gives (decimal32Text), to the bit, for
// special values, every power of two, and random bit patterns.
func TestDecimal32(t *testing.T) {
	vals := []float32{0, float32(math.Copysign(0, -1)), 1, -1, 0.1, 0.3, 1e-45, -1e-45, math.SmallestNonzeroFloat32, math.MaxFloat32, -math.MaxFloat32,
		1.17549435e-38, 16777216, 16777217, 123456789, 1e22, 1e23, 9.999999e21, 3.4e38, 1e-22, 1e-23, 0.48500001430511475}
	for e := -149; e <= 127; e++ {
		vals = append(vals, float32(math.Ldexp(1, e)))
	}
	r := rand.New(rand.NewPCG(32, 1))
	for range 200000 {
		vals = append(vals, math.Float32frombits(r.Uint32()))
	}
	for _, f := range vals {
		got, want := decimal32(f), decimal32Text(f)
		if f != f {
			require.True(t, got != got, "%v", f)
			continue
		}
		require.Equal(t, math.Float64bits(want), math.Float64bits(got), "%v (%#08x)", f, math.Float32bits(f))
	}
}
