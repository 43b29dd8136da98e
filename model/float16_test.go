package model

import (
	"encoding/binary"
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

func TestAppendF16(t *testing.T) {
	const ulp1 = 0x1p-10 // float16 spacing in [1, 2)
	for _, tc := range []struct {
		in   float32
		want uint16 // bits
		bad  bool
	}{
		{0, 0x0000, false},
		{float32(math.Copysign(0, -1)), 0x8000, false},
		{1, 0x3c00, false},
		{-2, 0xc000, false},
		{1 + ulp1/2, 0x3c00, false},           // tie: to even (down)
		{1 + 3*ulp1/2, 0x3c02, false},         // tie: to even (up)
		{1 + ulp1/2 + 0x1p-20, 0x3c01, false}, // above the tie: up
		{0x1p-24, 0x0001, false},              // smallest subnormal
		{0x1p-26, 0x0000, false},              // underflows to zero
		{65504, 0x7bff, false},                // largest finite
		{-65504, 0xfbff, false},
		{65504.5, 0, true},
		{float32(math.Inf(1)), 0, true},
		{float32(math.NaN()), 0, true},
	} {
		b, bad := appendF16(nil, []float32{tc.in})
		if tc.bad {
			assert.Zero(t, bad, "appendF16(%v): got no error at value 0, want one", tc.in)
		} else if assert.Negative(t, bad, "appendF16(%v): got error at %d, want none", tc.in, bad) {
			assert.Equal(t, tc.want, binary.LittleEndian.Uint16(b), "appendF16(%v) = %#04x, want %#04x", tc.in, binary.LittleEndian.Uint16(b), tc.want)
		}
	}
}

// TestDecodeF16 checks the decoder against x448/float16 for
// every float16 value, and the NaN and Inf report.
func TestDecodeF16(t *testing.T) {
	src := make([]byte, 2<<16)
	for h := range 1 << 16 {
		binary.LittleEndian.PutUint16(src[2*h:], uint16(h))
	}
	dst := make([]float32, 1<<16)
	assert.Equal(t, 0x7c00, decodeF16(dst, src), "index of the first NaN or Inf")
	bad, first := 0, ""
	for h, got := range dst {
		if h&0x7c00 == 0x7c00 {
			continue // Inf and NaN are reported, not decoded
		}
		want := float16.Frombits(uint16(h)).Float32()
		if math.Float32bits(got) != math.Float32bits(want) {
			if bad == 0 {
				first = fmt.Sprintf("decodeF16(%#04x) = %v, want %v", h, got, want)
			}
			bad++
		}
	}
	assert.Zero(t, bad, "values that differ from x448/float16; the first: %s", first)
	assert.Equal(t, -1, decodeF16(dst[:0x7c00], src), "finite values: bad index")
}

func TestDecodeF32(t *testing.T) {
	in := []float32{0, -1, 3.5, math.MaxFloat32, float32(math.Inf(-1))}
	b, bad := appendF32(nil, in[:4])
	require.Equal(t, -1, bad, "appendF32: bad index")
	b = binary.LittleEndian.AppendUint32(b, math.Float32bits(in[4]))
	got := make([]float32, len(in))
	assert.Equal(t, 4, decodeF32(got, b), "bad index")
	assert.Equal(t, in, got, "values")
}

// BenchmarkDecodeF16 measures the decoder; b.SetBytes makes the
// reported MB/s that of float16 input.
func BenchmarkDecodeF16(b *testing.B) {
	benchmarkDecodeF16(b, decodeF16)
}

// BenchmarkDecodeF16Bits measures the x448/float16 conversion, for comparison.
func BenchmarkDecodeF16Bits(b *testing.B) {
	benchmarkDecodeF16(b, func(dst []float32, src []byte) int {
		for i := range dst {
			dst[i] = float16.Frombits(binary.LittleEndian.Uint16(src[2*i:])).Float32()
		}
		return -1
	})
}

func benchmarkDecodeF16(b *testing.B, decode func([]float32, []byte) int) {
	const n = 1 << 20
	rng := rand.New(rand.NewPCG(5, 6))
	src := make([]byte, 0, 2*n)
	for range n {
		src = binary.LittleEndian.AppendUint16(src, float16.Fromfloat32(float32(rng.NormFloat64())).Bits())
	}
	dst := make([]float32, n)
	b.SetBytes(2 * n)
	b.ResetTimer()
	for range b.N {
		decode(dst, src)
	}
}
