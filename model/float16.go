package model

import (
	"encoding/binary"
	"math"

	"github.com/x448/float16"
)

// maxF16 is the largest finite float16 value.
const maxF16 = 65504

// decodeF16 sets dst[i] to the little-endian float16 at src[2i:], for
// len(dst) values. It returns the index of the first NaN or Inf, or -1;
// only that one of them is decoded exactly (into dst), for the error.
//
// Each value is converted without a table or a branch: with the sign
// cleared, the float16 bits h shifted left by 13 are a float32 whose
// exponent field is h's, biased by 15 instead of 127, so multiplying it by
// 2¹¹² (= 2^(127−15)) gives h's value exactly, subnormals included; the
// sign bit is then copied over. In wasm this runs at about 3× the speed
// of a 256 KiB table (35 against 110 ms for the 11.7M weights of a
// ResNet-18), whose loads miss the cache. Inf and NaN (exponent all ones)
// are detected in bulk: (h & 0x7c00) + 0x400 carries into bit 15 only
// for them.
func decodeF16(dst []float32, src []byte) int {
	src = src[:2*len(dst)]
	var ones uint32
	for i := 0; i < len(dst); i += f16Block {
		j := min(i+f16Block, len(dst))
		ones |= f16s(dst[i:j], src[2*i:2*j])
	}
	if ones&0x8000 == 0 {
		return -1
	}
	for i := range dst {
		if h := binary.LittleEndian.Uint16(src[2*i:]); h&0x7c00 == 0x7c00 {
			dst[i] = float16.Frombits(h).Float32()
			return i
		}
	}
	return -1
}

// f16Block is the number of values decoded per call of f16s. A fresh wasm
// instance runs a function in the baseline compiler until a call has used
// up its budget, and the optimized code serves only the calls after that:
// blocks let a model's first big tensor be decoded at the optimized speed.
const f16Block = 1 << 14

// f16s decodes dst from src (see decodeF16) and returns the OR over the
// values h of (h & 0x7c00) + 0x400, whose bit 15 is set by Inf and NaN.
// It is not inlined, for the blocks to be separate calls.
//
//go:noinline
func f16s(dst []float32, src []byte) (ones uint32) {
	for len(dst) >= 4 && len(src) >= 8 {
		w := binary.LittleEndian.Uint64(src)
		h0, h1, h2, h3 := uint32(w)&0xffff, uint32(w>>16)&0xffff, uint32(w>>32)&0xffff, uint32(w>>48)
		ones |= (h0&0x7c00 + 0x400) | (h1&0x7c00 + 0x400) | (h2&0x7c00 + 0x400) | (h3&0x7c00 + 0x400)
		d := (*[4]float32)(dst)
		d[0], d[1], d[2], d[3] = f16(h0), f16(h1), f16(h2), f16(h3)
		dst, src = dst[4:], src[8:]
	}
	for i := range dst {
		h := uint32(binary.LittleEndian.Uint16(src[2*i:]))
		ones |= h&0x7c00 + 0x400
		dst[i] = f16(h)
	}
	return ones
}

// f16 returns the value of the finite float16 bits h (see decodeF16).
func f16(h uint32) float32 {
	v := math.Float32frombits((h&0x7fff)<<13) * 0x1p112
	return math.Float32frombits(math.Float32bits(v) | (h&0x8000)<<16)
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
