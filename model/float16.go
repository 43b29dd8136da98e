package model

import (
	"encoding/binary"
	"math"
	"sync"

	"github.com/x448/float16"
)

// maxF16 is the largest finite float16 value.
const maxF16 = 65504

// f16Table maps every float16 bit pattern to its float32 value. It is built
// on first use (256 KiB), because a table load is several times faster than
// converting the bits one by one and a model has millions of weights.
var f16Table = sync.OnceValue(func() *[1 << 16]float32 {
	var t [1 << 16]float32
	for h := range t {
		t[h] = float16.Frombits(uint16(h)).Float32()
	}
	return &t
})

// decodeF16 sets dst[i] to the little-endian float16 at src[2i:], for
// len(dst) values. It returns the index of the first NaN or Inf, or -1.
func decodeF16(dst []float32, src []byte) int {
	t := f16Table()
	src = src[:2*len(dst)]
	bad := -1
	for i := range dst {
		h := binary.LittleEndian.Uint16(src[2*i:])
		if h&0x7c00 == 0x7c00 && bad < 0 { // exponent all ones: Inf or NaN
			bad = i
		}
		dst[i] = t[h]
	}
	return bad
}

// decodeF32 sets dst[i] to the little-endian float32 at src[4i:], for
// len(dst) values. It returns the index of the first NaN or Inf, or -1.
func decodeF32(dst []float32, src []byte) int {
	src = src[:4*len(dst)]
	bad := -1
	for i := range dst {
		b := binary.LittleEndian.Uint32(src[4*i:])
		if b&0x7f800000 == 0x7f800000 && bad < 0 {
			bad = i
		}
		dst[i] = math.Float32frombits(b)
	}
	return bad
}

// appendF16 appends w as little-endian float16, rounded to nearest even. It
// returns the index of the first value that is NaN, infinite or larger in
// magnitude than 65504 (which float16 cannot hold), or -1.
func appendF16(dst []byte, w []float32) ([]byte, int) {
	for i, v := range w {
		if !(math.Abs(float64(v)) <= maxF16) { // also catches NaN
			return dst, i
		}
		dst = binary.LittleEndian.AppendUint16(dst, float16.Fromfloat32(v).Bits())
	}
	return dst, -1
}

// appendF32 appends w as little-endian float32. It returns the index of the
// first NaN or infinite value, or -1.
func appendF32(dst []byte, w []float32) ([]byte, int) {
	for i, v := range w {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return dst, i
		}
		dst = binary.LittleEndian.AppendUint32(dst, math.Float32bits(v))
	}
	return dst, -1
}
