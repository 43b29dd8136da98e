package heatmap

import (
	"fmt"
	"math"
)

// Scale selects how relevance values are mapped to [0, 1] before the
// colormap lookup.
type Scale int

const (
	// Symmetric maps v to (v/m + 1)/2 with m = max|R|, so zero relevance is
	// the colormap's centre. The default, and the right choice for relevance.
	Symmetric Scale = iota
	// MinMax maps min(R) to 0 and max(R) to 1, like Zennit's imgify with
	// symmetric=False.
	MinMax
)

// Sign selects which relevance is shown; the other sign is drawn as zero.
type Sign int

const (
	All      Sign = iota // positive and negative relevance
	Positive             // only R > 0; the rest is drawn as zero
	Negative             // only R < 0; the rest is drawn as zero
)

var (
	scaleNames = [...]string{Symmetric: "symmetric", MinMax: "minmax"}
	signNames  = [...]string{All: "all", Positive: "positive", Negative: "negative"}
)

func (s Scale) String() string { return enumString(scaleNames[:], int(s), "Scale") }
func (s Sign) String() string  { return enumString(signNames[:], int(s), "Sign") }

// ParseScale returns the Scale named "symmetric" or "minmax"; "" is Symmetric.
func ParseScale(name string) (Scale, error) {
	i, err := parseEnum(scaleNames[:], name, "scale")
	return Scale(i), err
}

// ParseSign returns the Sign named "all", "positive" or "negative"; "" is All.
func ParseSign(name string) (Sign, error) {
	i, err := parseEnum(signNames[:], name, "sign")
	return Sign(i), err
}

func enumString(names []string, i int, typ string) string {
	if i >= 0 && i < len(names) {
		return names[i]
	}
	return fmt.Sprintf("%s(%d)", typ, i)
}

func parseEnum(names []string, name, what string) (int, error) {
	if name == "" {
		return 0, nil
	}
	for i, n := range names {
		if n == name {
			return i, nil
		}
	}
	return 0, fmt.Errorf("heatmap: unknown %s %q (known: %v)", what, name, names)
}

// Options control Render. The zero value is bwr, symmetric, both signs.
type Options struct {
	ColorMap string // a name from ColorMapNames; "" is DefaultColorMap
	Scale    Scale
	Sign     Sign
}

// maxPixels bounds every image size the package accepts, so that 4·h·w and
// c·h·w cannot overflow an int on 32-bit targets (wasm is one).
const maxPixels = 1 << 28

// checkSize validates a c×h×w shape and returns h·w.
func checkSize(c, h, w int) (int, error) {
	if c <= 0 || h <= 0 || w <= 0 {
		return 0, fmt.Errorf("heatmap: invalid shape %d×%d×%d", c, h, w)
	}
	if h > maxPixels/w || c > maxPixels/(h*w) {
		return 0, fmt.Errorf("heatmap: shape %d×%d×%d too large", c, h, w)
	}
	return h * w, nil
}

// Render colors the relevance map rel, shape [c][h][w] row-major, into dst,
// RGBA of length 4·h·w, opaque. The channels of each pixel are summed, the
// sign filter applied, and the sum mapped to [0, 1] by opt.Scale and looked
// up in opt.ColorMap's palette.
//
// lo and hi are the relevance values drawn with the first and last palette
// entry, for labelling a Colorbar: (−max|R|, max|R|) for Symmetric,
// (min R, max R) for MinMax. A map that is all zero after the sign filter
// (or constant, for MinMax) is drawn with the centre color.
//
// A NaN or infinite value in rel is an error and leaves dst unspecified.
func Render(dst []uint8, rel []float32, c, h, w int, opt Options) (lo, hi float32, err error) {
	return Draw(dst, nil, rel, c, h, w, opt)
}

// Draw is Render into heat and, unless mask is nil, Mask into mask with
// opt.Sign, in one pass over rel after Render's: the same bytes, for a
// quarter of the work (Mask's peak is Render's largest magnitude). As for
// Render, a NaN or infinite value in rel is an error.
func Draw(heat, mask []uint8, rel []float32, c, h, w int, opt Options) (lo, hi float32, err error) {
	hw, err := checkSize(c, h, w)
	if err != nil {
		return 0, 0, err
	}
	if len(rel) != c*hw {
		return 0, 0, fmt.Errorf("heatmap: relevance has %d values, want %d×%d×%d = %d", len(rel), c, h, w, c*hw)
	}
	if len(heat) != 4*hw {
		return 0, 0, fmt.Errorf("heatmap: destination has %d bytes, want 4×%d×%d = %d", len(heat), h, w, 4*hw)
	}
	if mask != nil && len(mask) != hw {
		return 0, 0, fmt.Errorf("heatmap: mask has %d bytes, want %d×%d = %d", len(mask), h, w, hw)
	}
	cm, err := lookup(opt.ColorMap)
	if err != nil {
		return 0, 0, err
	}
	if opt.Scale != Symmetric && opt.Scale != MinMax {
		return 0, 0, fmt.Errorf("heatmap: invalid %v", opt.Scale)
	}
	if opt.Sign < All || opt.Sign > Negative {
		return 0, 0, fmt.Errorf("heatmap: invalid %v", opt.Sign)
	}

	// Pass 1: bounds of the filtered channel sums; the first n pixels on
	// the SIMD kernel when it is in use (simd_wasm.go).
	vmin, vmax := float32(math.Inf(1)), float32(math.Inf(-1))
	n, lo1, hi1, ok := simdBounds(rel, c, hw, opt.Sign)
	if ok {
		vmin, vmax = lo1, hi1
	}
	for i := n; i < hw; i++ {
		v := pixel(rel, i, hw, c, opt.Sign)
		if v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 {
			return 0, 0, fmt.Errorf("heatmap: relevance at pixel (%d, %d) is %v", i/w, i%w, v)
		}
		// min and max only where they can change something: in wasm
		// each is a call (runtime.fmin32), and ±0 needs their rule.
		if v <= vmin {
			vmin = min(vmin, v)
		}
		if v >= vmax {
			vmax = max(vmax, v)
		}
	}

	// t = v·a + b maps [lo, hi] onto [0, 1]; a = 0, b = ½ draws everything
	// with the centre color when the range is empty.
	var a, b float32 = 0, 0.5
	if opt.Scale == Symmetric {
		m := max(-vmin, vmax)
		lo, hi = -m, m
		if m > 0 {
			a = 0.5 / m
		}
	} else {
		lo, hi = vmin, vmax
		if hi > lo {
			a = 1 / (hi - lo)
			b = -lo * a
		}
	}

	// Pass 2: color, and opacity. Summing the channels again is cheaper
	// than a buffer. Mask's peak, max |v|, is max(−vmin, vmax): every v is
	// finite here. The first pixels on the SIMD kernel when it is in use.
	peak := float64(max(-vmin, vmax))
	if mask != nil && !(peak > 0) {
		clear(mask)
		mask = nil
	}
	for i := simdDraw(heat, mask, rel, c, hw, opt.Sign, a, b, cm, peak); i < hw; i++ {
		v := pixel(rel, i, hw, c, opt.Sign)
		rgb := &cm.palette[paletteIndex(v*a+b)]
		d := heat[4*i : 4*i+4 : 4*i+4]
		d[0], d[1], d[2], d[3] = rgb[0], rgb[1], rgb[2], 0xff
		if mask != nil {
			mask[i] = opacity(v, peak)
		}
	}
	return lo, hi, nil
}

// pixel returns the channel sum of pixel i of rel ([c][hw]) after the sign
// filter.
func pixel(rel []float32, i, hw, c int, sign Sign) float32 {
	v := rel[i]
	for k := 1; k < c; k++ {
		v += rel[k*hw+i]
	}
	switch {
	case sign == Positive && v < 0, sign == Negative && v > 0:
		return 0
	}
	return v
}
