package preprocess

import (
	"fmt"
	"math"
	"strconv"
	"sync/atomic"
)

// Picture draws a model input x ([c][h][w] row-major) into dst (RGBA,
// 4·h·w, opaque) as the image the model saw: it undoes Image's
// normalization and range (steps 4 and 3),
//
//	p = (x·std[k] + mean[k] − lo) · 255 / (hi − lo)
//
// rounded half to even and clamped to 0…255 (hi = lo counts as hi − lo = 1).
// c = 3 is drawn as RGB, any other c shows channel 0 as gray. mean and std
// are both nil (no normalization) or hold an entry for each channel drawn.
//
// The constants are used as the decimals they print as (0.485, not
// float32's 0.48500001430511475), in float64: the page drew the model input
// so in JavaScript, and Picture gives it the same bytes.
func Picture(dst []uint8, x []float32, c, h, w int, mean, std []float32, lo, hi float32) error {
	if c <= 0 || h <= 0 || w <= 0 || h > maxSide || w > maxSide || w > maxArea/h || c > maxArea/(h*w) {
		return fmt.Errorf("preprocess: invalid input shape %d×%d×%d", c, h, w)
	}
	plane := h * w
	if len(x) != c*plane {
		return fmt.Errorf("preprocess: input has %d values, want %d×%d×%d = %d", len(x), c, h, w, c*plane)
	}
	if len(dst) != 4*plane {
		return fmt.Errorf("preprocess: destination has %d bytes, want 4×%d×%d = %d", len(dst), h, w, 4*plane)
	}
	drawn := 1
	if c == 3 {
		drawn = 3
	}
	if len(mean) != len(std) || mean != nil && len(mean) < drawn {
		return fmt.Errorf("preprocess: mean has %d and std %d entries, want both nil or both at least %d", len(mean), len(std), drawn)
	}
	p := pictureParamsOf(drawn, mean, std, lo, hi)
	for i := simdPicture(dst, x, plane, drawn, p); i < plane; i++ {
		d := dst[4*i : 4*i+4 : 4*i+4]
		for k := range drawn {
			// The explicit conversion keeps x·std + mean two roundings
			// (no fused multiply-add), as in JavaScript.
			v := float64(float64(x[k*plane+i])*p[2*k+1]) + p[2*k]
			d[k] = clampByte((v - p[6]) * p[7])
		}
		if drawn == 1 { // gray
			d[1], d[2] = d[0], d[0]
		}
		d[3] = 0xff
	}
	return nil
}

// pictureParams are Picture's mean and std of each channel drawn, as
// float64 pairs (the SIMD kernel reads them so), then low and
// scale = 255 / (hi − lo).
type pictureParams [8]float64

// pictureKey is what Picture's parameters are made of: the channels
// drawn, whether there is a normalization, and the bits of mean, std, lo
// and hi.
type pictureKey struct {
	drawn  int
	norm   bool
	mean   [3]uint32
	std    [3]uint32
	lo, hi uint32
}

// A pictureMemo is the parameters of the last key.
type pictureMemo struct {
	key pictureKey
	p   pictureParams
}

// lastPicture memoizes pictureParamsOf: a model's pictures all have the
// same parameters, and each decimal takes a formatting and a parsing.
var lastPicture atomic.Pointer[pictureMemo]

// pictureParamsOf returns Picture's parameters for drawn channels, mean
// and std (both nil, or with at least drawn entries), lo and hi. The
// result is shared: the caller does not change it.
func pictureParamsOf(drawn int, mean, std []float32, lo, hi float32) *pictureParams {
	k := pictureKey{drawn: drawn, norm: mean != nil, lo: math.Float32bits(lo), hi: math.Float32bits(hi)}
	if mean != nil {
		for c := range drawn {
			k.mean[c], k.std[c] = math.Float32bits(mean[c]), math.Float32bits(std[c])
		}
	}
	if m := lastPicture.Load(); m != nil && m.key == k {
		return &m.p
	}
	m := &pictureMemo{key: k}
	p := &m.p
	for c := range drawn {
		p[2*c], p[2*c+1] = 0, 1
		if mean != nil {
			p[2*c], p[2*c+1] = decimal(mean[c]), decimal(std[c])
		}
	}
	low, span := decimal(lo), decimal(hi)-decimal(lo)
	if span == 0 {
		span = 1
	}
	p[6], p[7] = low, 255/span
	lastPicture.Store(m)
	return p
}

// decimal returns the float64 that prints as v does.
func decimal(v float32) float64 {
	f, _ := strconv.ParseFloat(strconv.FormatFloat(float64(v), 'g', -1, 32), 64)
	return f
}

// clampByte rounds v half to even into 0…255, NaN to 0.
func clampByte(v float64) uint8 {
	if !(v > 0) {
		return 0
	}
	if v > 255 { // min(v, 255), which in wasm is a call (runtime.fmin64)
		v = 255
	}
	return uint8(math.RoundToEven(v))
}
