package app

import (
	"encoding/binary"
	"math"
	"runtime/debug"
	"slices"
	"strconv"
	"unicode/utf8"
	"unsafe"

	"github.com/lrpwasm/lrp/heatmap"
	"github.com/lrpwasm/lrp/lrp"
)

// Meta encodes everything of r but its arrays (logits, probabilities,
// input, relevance, heatmap) as the JSON object of docs/JS_API.md; the
// arrays cross to JavaScript as typed arrays. It is AppendMeta(nil).
func (r *Result) Meta() []byte { return r.AppendMeta(nil) }

// AppendMeta appends r's JSON object to dst. It is written by hand, not by
// encoding/json, because it runs on every call of a page that redraws as
// the user draws: with a reused dst it allocates nothing. NaN and ±Inf
// (a relevance that blew up) are written as null.
func (r *Result) AppendMeta(dst []byte) []byte {
	b := append(dst, `{"predicted":`...)
	b = strconv.AppendInt(b, int64(r.Predicted), 10)
	b = append(b, `,"target":`...)
	b = strconv.AppendInt(b, int64(r.Target), 10)
	b = append(b, `,"top":[`...)
	for i, c := range r.Top {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"index":`...)
		b = strconv.AppendInt(b, int64(c.Index), 10)
		b = append(b, `,"label":`...)
		b = appendString(b, c.Label)
		b = append(b, `,"probability":`...)
		b = appendFloat(b, float64(c.Probability), 32)
		b = append(b, `,"logit":`...)
		b = appendFloat(b, float64(c.Logit), 32)
		b = append(b, '}')
	}
	b = appendSize(append(b, "],"...), r.Width, r.Height, r.Range)
	d := &r.Diagnostics
	b = append(b, `,"diagnostics":{"startSum":`...)
	b = appendFloat(b, d.StartSum, 64)
	b = append(b, `,"inputSum":`...)
	b = appendFloat(b, d.InputSum, 64)
	b = append(b, `,"positiveShare":`...)
	b = appendFloat(b, d.PositiveShare, 64)
	b = append(b, `,"output":`...)
	b = appendFloat(b, d.Output, 64)
	b = append(b, `,"nan":`...)
	b = strconv.AppendBool(b, d.NaN)
	b = append(b, `,"consistent":`...)
	b = strconv.AppendBool(b, d.Consistent)
	b = append(b, `,"layers":[`...)
	for i, l := range d.Layers {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, `{"node":`...)
		b = strconv.AppendInt(b, int64(l.Node), 10)
		b = append(b, `,"name":`...)
		b = appendString(b, l.Name)
		b = append(b, `,"kind":`...)
		b = appendString(b, l.Kind.String())
		b = append(b, `,"rule":`...)
		b = appendString(b, l.Rule)
		b = append(b, `,"out":`...)
		b = appendFloat(b, l.Out, 64)
		b = append(b, `,"in":`...)
		b = appendFloat(b, l.In, 64)
		b = append(b, `,"inputs":[`...)
		for k, v := range l.Inputs {
			if k > 0 {
				b = append(b, ',')
			}
			b = appendFloat(b, v, 64)
		}
		b = append(b, `],"absorbed":`...)
		b = appendFloat(b, l.Absorbed, 64)
		b = append(b, `,"nan":`...)
		b = strconv.AppendBool(b, l.NaN)
		b = append(b, '}')
	}
	t := &r.Timings
	b = append(b, `]},"timings":{"preprocess":`...)
	b = appendFloat(b, t.Preprocess, 64)
	b = append(b, `,"explain":`...)
	b = appendFloat(b, t.Explain, 64)
	b = append(b, `,"render":`...)
	b = appendFloat(b, t.Render, 64)
	b = append(b, `,"total":`...)
	b = appendFloat(b, t.Total, 64)
	return append(b, "}}"...)
}

// Meta encodes r's size and range as JSON; the heatmap crosses separately.
func (r *Rendered) Meta() []byte {
	return append(appendSize([]byte{'{'}, r.Width, r.Height, r.Range), '}')
}

// Pack appends r to dst in the binary form the wasm build returns to
// web/lrp.js, one buffer per call:
//
//	header      6 × uint32: M meta bytes, K classes, N input values,
//	            H heatmap bytes, P picture bytes, A mask bytes
//	meta        M bytes (a multiple of 8): uint32 T, uint32 F, T bytes of
//	            JSON text (appendStrings), zeros to a multiple of 8 bytes,
//	            F float64 numbers (appendNumbers)
//	logits      K × float32
//	probs       K × float32
//	input       N × float32
//	relevance   N × float32
//	heatmap     H bytes, RGBA
//	picture     P bytes, RGBA
//	mask        A bytes
//
// All numbers little-endian, offsets from the first byte of the header.
// The meta holds what AppendMeta writes as JSON: its numbers as float64
// (reading them is much cheaper than formatting and parsing them), its
// strings as a JSON text that stays the same from call to call of a model
// and composite, which lrp.js parses again only when it changes.
func (r *Result) Pack(dst []byte) []byte {
	return pack(dst, r.appendStrings, r.appendNumbers, [][]float32{r.Logits, r.Probabilities, r.Input, r.Relevance}, r.Heatmap, r.Picture, r.Mask)
}

// Pack appends r to dst in the form of Result.Pack, with K = N = P = 0
// and no strings.
func (r *Rendered) Pack(dst []byte) []byte {
	sizes := func(b []byte) []byte { return appendSizeNumbers(b, r.Width, r.Height, r.Range) }
	return pack(dst, func(b []byte) []byte { return b }, sizes, nil, r.Heatmap, nil, r.Mask)
}

// appendStrings appends the JSON text of r's strings, escaped as
// AppendMeta escapes them: [labels, layers], the class labels by index
// and, for each layer of the diagnostics, [name, kind, rule]. A Session's
// results keep the text (r.text) and write it again only when a string
// changes.
func (r *Result) appendStrings(b []byte) []byte {
	if r.text != nil {
		return append(b, r.text.of(r)...)
	}
	return r.writeStrings(b)
}

// stringsText is the JSON text of a Session's results' strings
// (appendStrings) and the strings it was written from: the same from call
// to call of a model and composite, which is cheaper to compare than to
// escape.
type stringsText struct {
	labels []string
	layers []layerStrings
	text   []byte
}

type layerStrings struct {
	name string
	kind lrp.Kind
	rule string
}

// of returns the text of r's strings.
func (c *stringsText) of(r *Result) []byte {
	ls := r.Diagnostics.Layers
	same := c.text != nil && slices.Equal(c.labels, r.Labels) && len(c.layers) == len(ls)
	for i := 0; same && i < len(ls); i++ {
		same = c.layers[i] == layerStrings{ls[i].Name, ls[i].Kind, ls[i].Rule}
	}
	if !same {
		c.labels = append(c.labels[:0], r.Labels...)
		c.layers = c.layers[:0]
		for _, l := range ls {
			c.layers = append(c.layers, layerStrings{l.Name, l.Kind, l.Rule})
		}
		c.text = r.writeStrings(c.text[:0])
	}
	return c.text
}

// writeStrings is appendStrings, written.
func (r *Result) writeStrings(b []byte) []byte {
	b = append(b, "[["...)
	for i, l := range r.Labels {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(b, l)
	}
	b = append(b, "],["...)
	for i, l := range r.Diagnostics.Layers {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendString(append(b, '['), l.Name)
		b = appendString(append(b, ','), l.Kind.String())
		b = appendString(append(b, ','), l.Rule)
		b = append(b, ']')
	}
	return append(b, "]]"...)
}

// appendNumbers appends the numbers of AppendMeta's object as float64, in
// this order: width, height, range (appendSizeNumbers); predicted, target,
// K, and index, probability, logit of each entry of top; startSum,
// inputSum, positiveShare, output, nan, consistent (1 or 0) and L of the
// diagnostics, and node, out, in, the count and values of inputs,
// absorbed and nan of each of its L layers; the four timings. A float32
// is the float64 that its JSON reads as (decimal32).
func (r *Result) appendNumbers(b []byte) []byte {
	b = appendSizeNumbers(b, r.Width, r.Height, r.Range)
	b = appendNumber(b, float64(r.Predicted), float64(r.Target), float64(len(r.Top)))
	for _, c := range r.Top {
		b = appendNumber(b, float64(c.Index), decimal32(c.Probability), decimal32(c.Logit))
	}
	d := &r.Diagnostics
	b = appendNumber(b, d.StartSum, d.InputSum, d.PositiveShare, d.Output, bit(d.NaN), bit(d.Consistent), float64(len(d.Layers)))
	for _, l := range d.Layers {
		b = appendNumber(b, float64(l.Node), l.Out, l.In, float64(len(l.Inputs)))
		b = appendNumber(b, l.Inputs...)
		b = appendNumber(b, l.Absorbed, bit(l.NaN))
	}
	t := &r.Timings
	return appendNumber(b, t.Preprocess, t.Explain, t.Render, t.Total)
}

// appendSizeNumbers appends width, height and range as appendNumbers does.
func appendSizeNumbers(b []byte, w, h int, rng [2]float32) []byte {
	return appendNumber(b, float64(w), float64(h), decimal32(rng[0]), decimal32(rng[1]))
}

func appendNumber(b []byte, v ...float64) []byte {
	for _, f := range v {
		b = binary.LittleEndian.AppendUint64(b, math.Float64bits(f))
	}
	return b
}

func bit(v bool) float64 {
	if v {
		return 1
	}
	return 0
}

// decimal32 is the float64 nearest to f's shortest decimal, what
// JavaScript reads from appendFloat(f, 32); NaN and ±Inf stay as they are.
//
// The shortest decimal of a float32 has at most 9 digits m and an
// exponent e, m·10^e; for |e| ≤ 22 both m and 10^|e| are float64 exactly,
// so one correctly rounded multiplication or division gives the nearest
// float64, as strconv.ParseFloat's exact path does, without parsing a
// text (decimal32Text is the slow way, for the other exponents).
func decimal32(f float32) float64 {
	if f != f || math.IsInf(float64(f), 0) {
		return float64(f)
	}
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], float64(f), 'e', -1, 32) // -d.ddde±dd
	neg := s[0] == '-'
	if neg {
		s = s[1:]
	}
	var m uint64
	digits, i := 0, 0
	for ; i < len(s) && s[i] != 'e'; i++ {
		if c := s[i]; c != '.' {
			m = 10*m + uint64(c-'0')
			digits++
		}
	}
	e := 0 // e±dd
	for _, c := range s[i+2:] {
		e = 10*e + int(c-'0')
	}
	if s[i+1] == '-' {
		e = -e
	}
	e -= digits - 1
	var v float64
	switch {
	case e >= 0 && e <= 22:
		v = float64(m) * pow10[e]
	case e < 0 && e >= -22:
		v = float64(m) / pow10[-e]
	default:
		return decimal32Text(f)
	}
	if neg {
		v = -v
	}
	return v
}

// pow10 are the powers of ten that float64 holds exactly.
var pow10 = [...]float64{1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10,
	1e11, 1e12, 1e13, 1e14, 1e15, 1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22}

// decimal32Text is decimal32 by formatting and parsing f's shortest
// decimal.
func decimal32Text(f float32) float64 {
	var buf [32]byte
	s := strconv.AppendFloat(buf[:0], float64(f), 'g', -1, 32)
	v, _ := strconv.ParseFloat(unsafe.String(unsafe.SliceData(s), len(s)), 64)
	return v
}

// packBytes bounds the bytes of a packed result of m (Result.Pack): the
// header, the meta (its numbers, every label and node name escaped at up
// to 6 bytes a byte), the arrays, and a heatmap, picture and mask of h×w.
func packBytes(m *lrp.Model, h, w int) int64 {
	text := 0
	for _, l := range m.Labels {
		text += len(l)
	}
	for _, nd := range m.Nodes {
		text += len(nd.Name)
	}
	k, n := int64(m.Classes()), int64(m.InputLen())
	return 24 + 6*int64(text) + 256*(k+int64(len(m.Nodes))) + 4<<10 + 4*(2*k+2*n) + 9*int64(h)*int64(w)
}

// littleEndian is whether this machine stores a float32 as Pack writes
// it (wasm does): then an array is appended in one copy, not value by
// value (which took the fixture cnn's result about 25 µs in wasm, as
// long as the rest of Pack).
var littleEndian = binary.NativeEndian.Uint16([]byte{1, 0}) == 1

func pack(b []byte, text, numbers func([]byte) []byte, floats [][]float32, heat, picture, mask []byte) []byte {
	const header = 24
	start := len(b)
	var k, n int
	if len(floats) == 4 {
		k, n = len(floats[0]), len(floats[2])
	}
	b = append(b, make([]byte, header+8)...)
	b = text(b)
	t := len(b) - start - header - 8
	b = pad(b, start, 8)
	f := len(b)
	b = numbers(b)
	binary.LittleEndian.PutUint32(b[start+header:], uint32(t))
	binary.LittleEndian.PutUint32(b[start+header+4:], uint32((len(b)-f)/8))
	m := len(b) - start - header
	// The arrays in one growth at most: appended value by value, a
	// ResNet's result would leave copies of itself behind.
	b = slices.Grow(b, 4*(2*k+2*n)+len(heat)+len(picture)+len(mask))
	for i, v := range []int{m, k, n, len(heat), len(picture), len(mask)} {
		binary.LittleEndian.PutUint32(b[start+4*i:], uint32(v))
	}
	for _, f := range floats {
		if littleEndian && len(f) > 0 { // the floats' bytes as they are, in one copy
			b = append(b, unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f))...)
			continue
		}
		for _, v := range f {
			b = binary.LittleEndian.AppendUint32(b, math.Float32bits(v))
		}
	}
	b = append(b, heat...)
	b = append(b, picture...)
	return append(b, mask...)
}

// pad appends zeros to b until b[start:] is a multiple of n bytes long.
func pad(b []byte, start, n int) []byte {
	for (len(b)-start)%n != 0 {
		b = append(b, 0)
	}
	return b
}

func appendSize(b []byte, w, h int, rng [2]float32) []byte {
	b = append(b, `"width":`...)
	b = strconv.AppendInt(b, int64(w), 10)
	b = append(b, `,"height":`...)
	b = strconv.AppendInt(b, int64(h), 10)
	b = append(b, `,"range":[`...)
	b = appendFloat(b, float64(rng[0]), 32)
	b = append(b, ',')
	b = appendFloat(b, float64(rng[1]), 32)
	return append(b, ']')
}

// Floats marshals as a JSON array with NaN and ±Inf written as null
// (encoding/json refuses them), each value with the fewest digits that
// read back as the same float32.
type Floats []float32

// MarshalJSON implements json.Marshaler.
func (v Floats) MarshalJSON() ([]byte, error) {
	b := make([]byte, 0, 2+12*len(v))
	b = append(b, '[')
	for i, f := range v {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendFloat(b, float64(f), 32)
	}
	return append(b, ']'), nil
}

// appendFloat writes f with the fewest digits that read back as the same
// float of the given bits, and NaN and ±Inf as null.
func appendFloat(b []byte, f float64, bits int) []byte {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, f, 'g', -1, bits)
}

// appendString writes s as a JSON string: quotes, backslashes and control
// characters escaped, invalid UTF-8 replaced by U+FFFD.
func appendString(b []byte, s string) []byte {
	const hex = "0123456789abcdef"
	b = append(b, '"')
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"' || c == '\\':
			b = append(b, '\\', c)
			i++
		case c < 0x20:
			b = append(b, '\\', 'u', '0', '0', hex[c>>4], hex[c&0xf])
			i++
		case c < utf8.RuneSelf:
			b = append(b, c)
			i++
		default:
			r, n := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && n == 1 {
				b = append(b, "\\ufffd"...)
			} else {
				b = append(b, s[i:i+n]...)
			}
			i += n
		}
	}
	return append(b, '"')
}

// ColorMaps lists the heatmap colormaps, the default first.
func ColorMaps() []string { return heatmap.ColorMapNames() }

// Release is this package's release; Version adds the source revision.
const Release = "0.1.0"

// Version is Release, with the VCS revision the binary was built from
// (+dirty for uncommitted changes) when the build recorded it.
func Version() string {
	v := Release
	bi, ok := debug.ReadBuildInfo()
	if !ok {
		return v
	}
	var rev, dirty string
	for _, s := range bi.Settings {
		switch s.Key {
		case "vcs.revision":
			rev = s.Value
		case "vcs.modified":
			if s.Value == "true" {
				dirty = "-dirty"
			}
		}
	}
	if len(rev) > 12 {
		rev = rev[:12]
	}
	if rev != "" {
		v += "+" + rev + dirty
	}
	return v
}
