package model

import (
	"cmp"
	"encoding/binary"
	"errors"
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"
	"unicode/utf8"

	"github.com/lrpwasm/lrp/lrp"
)

// File is a decoded model file.
type File struct {
	Model  *lrp.Model
	Format string            // "safetensors" (the ONNX decoder uses "onnx")
	DType  string            // "F16" or "F32" for safetensors; "" if the file has no tensors
	Card   map[string]string // free-form model card (description, training command, accuracy, ...)
}

// Limits of the safetensors decoder.
const (
	maxHeaderLen = 16 << 20 // bytes of JSON header
	maxDims      = 8        // dimensions of one tensor
)

// dtypeSize gives the element size of the dtypes this package reads.
var dtypeSize = map[string]int64{"F16": 2, "F32": 4}

// A tensorInfo is one tensor entry of a safetensors header.
type tensorInfo struct {
	name       string
	dtype      string
	shape      []int
	begin, end int64 // byte range in the data section
	at         int64 // file offset of the entry in the header, for errors
	used       bool
}

// A stDecoder reads one safetensors file. Its methods parse the header,
// check the data layout, then decode tensors as the graph asks for them, so
// that no tensor is allocated before every size in the file is known to fit.
type stDecoder struct {
	data    []byte
	dataAt  int64 // file offset of the data section
	meta    map[string]string
	metaAt  map[string]int64 // file offset of each metadata value
	tensors map[string]*tensorInfo
	dtype   string
}

// DecodeSafetensors decodes a safetensors file whose __metadata__ holds an
// lrp.graph document (see README.md). Weights may be F16 or F32, all of one
// dtype. Malformed input returns a *FormatError, input that is valid but
// uses what this package does not implement an UnsupportedError.
func DecodeSafetensors(data []byte) (*File, error) {
	d := newSTDecoder(data)
	if err := d.parseHeader(); err != nil {
		return nil, err
	}
	if err := d.checkLayout(); err != nil {
		return nil, err
	}
	doc, ok := d.meta[graphKey]
	if !ok {
		return nil, &FormatError{8, "missing lrp.graph in __metadata__: not an lrp model file"}
	}
	gd := &graphDecoder{take: d.take, at: d.metaAt[graphKey]}
	g, err := gd.parseGraph(doc)
	if err != nil {
		return nil, err
	}
	m, err := gd.model(g)
	if err != nil {
		return nil, err
	}
	for _, t := range d.sorted() {
		if !t.used {
			return nil, &FormatError{t.at, fmt.Sprintf("tensor %q is not used by the graph", short(t.name))}
		}
	}
	return &File{Model: m, Format: "safetensors", DType: d.dtype, Card: g.Card}, nil
}

func newSTDecoder(data []byte) *stDecoder {
	return &stDecoder{data: data, meta: map[string]string{}, metaAt: map[string]int64{}, tensors: map[string]*tensorInfo{}}
}

// parseHeader reads the header length and the JSON header, which must
// be UTF-8 and may be followed by white space only.
func (d *stDecoder) parseHeader() error {
	if len(d.data) < 8 {
		return &FormatError{0, fmt.Sprintf("file is %d bytes, too short for the 8-byte header length", len(d.data))}
	}
	n := binary.LittleEndian.Uint64(d.data)
	switch {
	case n > maxHeaderLen:
		return &FormatError{0, fmt.Sprintf("header length %d exceeds the limit of %d bytes", n, maxHeaderLen)}
	case n > uint64(len(d.data)-8):
		return &FormatError{0, fmt.Sprintf("header length %d exceeds the %d bytes after it (truncated file?)", n, len(d.data)-8)}
	}
	d.dataAt = 8 + int64(n)
	hdr := d.data[8:d.dataAt]
	if !utf8.Valid(hdr) {
		at := 0
		for at < len(hdr) {
			r, size := utf8.DecodeRune(hdr[at:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			at += size
		}
		return &FormatError{8 + int64(at), "the header is not UTF-8 text (safetensors headers are JSON)"}
	}
	p := &headerReader{jsonScanner{s: string(hdr)}, 8}
	if err := p.delim(jsonBeginObject, "the header"); err != nil {
		return err
	}
	for p.more() {
		key, at, err := p.key()
		if err != nil {
			return err
		}
		if key == "__metadata__" {
			err = d.parseMetadata(p)
		} else {
			err = d.parseTensor(p, key, at)
		}
		if err != nil {
			return err
		}
	}
	if err := p.delim(jsonEndObject, "the end of the header"); err != nil {
		return err
	}
	// The safetensors writers pad the header with spaces to a multiple of 8.
	for i := p.pos; i < len(hdr); i++ {
		if !isSpace(hdr[i]) {
			return &FormatError{8 + int64(i), "text after the header object"}
		}
	}
	return nil
}

// parseMetadata reads the __metadata__ object: string keys to string values.
func (d *stDecoder) parseMetadata(p *headerReader) error {
	if err := p.delim(jsonBeginObject, "__metadata__"); err != nil {
		return err
	}
	for p.more() {
		key, _, err := p.key()
		if err != nil {
			return err
		}
		d.metaAt[key] = p.offset()
		tok, err := p.token()
		if err != nil {
			return err
		}
		if tok != jsonString {
			return p.errorf("__metadata__ value %q is not a string", short(key))
		}
		d.meta[key] = p.str
	}
	return p.delim(jsonEndObject, "the end of __metadata__")
}

// parseTensor reads one tensor entry, {"dtype", "shape", "data_offsets"}.
func (d *stDecoder) parseTensor(p *headerReader, name string, at int64) error {
	t := &tensorInfo{name: name, at: at}
	if err := p.delim(jsonBeginObject, "a tensor entry"); err != nil {
		return err
	}
	var fields int // of the three
	for p.more() {
		key, _, err := p.key()
		if err != nil {
			return err
		}
		switch key {
		case "dtype":
			tok, err := p.token()
			if err != nil {
				return err
			}
			if tok != jsonString {
				return p.errorf("tensor %q: dtype is not a string", short(name))
			}
			t.dtype = p.str
		case "shape":
			err = p.ints(maxDims, func(v int64) error {
				if v < 0 {
					return p.errorf("tensor %q: negative dimension %d", short(name), v)
				}
				if v > math.MaxInt {
					return p.errorf("tensor %q: dimension %d too large", short(name), v)
				}
				t.shape = append(t.shape, int(v))
				return nil
			})
			if t.shape == nil {
				t.shape = []int{} // a scalar
			}
		case "data_offsets":
			var offs []int64
			err = p.ints(2, func(v int64) error {
				if v < 0 {
					return p.errorf("tensor %q: negative data offset %d", short(name), v)
				}
				offs = append(offs, v)
				return nil
			})
			if err == nil && len(offs) != 2 {
				return p.errorf("tensor %q: data_offsets has %d values, want 2", short(name), len(offs))
			}
			if err == nil {
				t.begin, t.end = offs[0], offs[1]
			}
		default:
			return p.errorf("tensor %q: unknown field %q", short(name), short(key))
		}
		if err != nil {
			return err
		}
		fields++ // a key is read once: the scanner refuses a repeated one
	}
	if err := p.delim(jsonEndObject, "the end of a tensor entry"); err != nil {
		return err
	}
	if fields < 3 {
		return &FormatError{at, fmt.Sprintf("tensor %q needs dtype, shape and data_offsets", short(name))}
	}
	return d.addTensor(t)
}

// addTensor checks the dtype of tensor t and that its byte range holds
// exactly its shape, with overflow-safe arithmetic, and adds it.
func (d *stDecoder) addTensor(t *tensorInfo) error {
	name, at := t.name, t.at
	size, ok := dtypeSize[t.dtype]
	if !ok {
		return UnsupportedError(fmt.Sprintf("tensor %q has dtype %q; only F16 and F32 are supported", short(name), short(t.dtype)))
	}
	if d.dtype == "" {
		d.dtype = strings.Clone(t.dtype) // not a part of the header, which it would keep
	} else if d.dtype != t.dtype {
		return UnsupportedError(fmt.Sprintf("tensors of mixed dtypes %s and %s", d.dtype, t.dtype))
	}
	for _, n := range t.shape {
		if n != 0 && size > math.MaxInt64/int64(n) {
			return &FormatError{at, fmt.Sprintf("tensor %q: shape %v overflows", short(name), t.shape)}
		}
		size *= int64(n)
	}
	if t.begin > t.end || t.end-t.begin != size {
		return &FormatError{at, fmt.Sprintf("tensor %q: data_offsets [%d, %d] hold %d bytes, shape %v of %s needs %d",
			short(name), t.begin, t.end, t.end-t.begin, t.shape, t.dtype, size)}
	}
	d.tensors[name] = t
	return nil
}

// sorted returns the tensors ordered by their place in the data section.
func (d *stDecoder) sorted() []*tensorInfo {
	ts := make([]*tensorInfo, 0, len(d.tensors))
	for _, t := range d.tensors {
		ts = append(ts, t)
	}
	slices.SortFunc(ts, func(a, b *tensorInfo) int {
		return cmp.Or(cmp.Compare(a.begin, b.begin), cmp.Compare(a.end, b.end), cmp.Compare(a.name, b.name))
	})
	return ts
}

// checkLayout checks that the tensors tile the data section exactly: no
// gaps, no overlaps, no bytes past the last tensor or missing at the end.
func (d *stDecoder) checkLayout() error {
	size := int64(len(d.data)) - d.dataAt
	var pos int64
	for _, t := range d.sorted() {
		switch {
		case t.end > size:
			return &FormatError{d.dataAt + min(t.begin, size), fmt.Sprintf("tensor %q ends at data byte %d, past the end of the file (%d data bytes; truncated?)", short(t.name), t.end, size)}
		case t.begin > pos:
			return &FormatError{d.dataAt + pos, fmt.Sprintf("gap of %d bytes in the data section before tensor %q", t.begin-pos, short(t.name))}
		case t.begin < pos:
			return &FormatError{d.dataAt + t.begin, fmt.Sprintf("tensor %q overlaps the tensor before it", short(t.name))}
		}
		pos = t.end
	}
	if pos < size {
		return &FormatError{d.dataAt + pos, fmt.Sprintf("%d trailing bytes after the last tensor", size-pos)}
	}
	return nil
}

// take decodes tensor key, which must have the given shape and not be used
// by another node, to float32. NaN and infinite weights are errors.
func (d *stDecoder) take(key string, shape ...int) ([]float32, error) {
	t, ok := d.tensors[key]
	switch {
	case !ok:
		return nil, &FormatError{8, fmt.Sprintf("lrp.graph names tensor %q, which the file does not have", short(key))}
	case t.used:
		return nil, &FormatError{t.at, fmt.Sprintf("tensor %q is used by two nodes", short(key))}
	case !slices.Equal(t.shape, shape):
		return nil, &FormatError{t.at, fmt.Sprintf("tensor %q has shape %v, the graph needs %v", short(key), t.shape, shape)}
	}
	t.used = true
	// The layout check bounds end by the file size, so this allocation is at
	// most twice the file.
	w := make([]float32, product(shape))
	src := d.data[d.dataAt+t.begin : d.dataAt+t.end]
	var bad int
	if t.dtype == "F16" {
		bad = decodeF16(w, src)
	} else {
		bad = decodeF32(w, src)
	}
	if bad >= 0 {
		return nil, &FormatError{d.dataAt + t.begin + int64(bad)*dtypeSize[t.dtype],
			fmt.Sprintf("tensor %q value %d is %v", short(key), bad, w[bad])}
	}
	return w, nil
}

// A headerReader reads the JSON header, which starts at file offset
// base, and turns every error into a *FormatError at the right offset.
type headerReader struct {
	jsonScanner
	base int64
}

func (p *headerReader) offset() int64 { return p.base + int64(p.pos) }

func (p *headerReader) errorf(format string, args ...any) error {
	return &FormatError{p.offset(), fmt.Sprintf(format, args...)}
}

func (p *headerReader) token() (jsonToken, error) {
	tok, err := p.next()
	if err != nil {
		e := err.(*jsonError)
		if e.eof {
			return 0, &FormatError{p.base + e.offset, "header: unexpected end of JSON"}
		}
		return 0, &FormatError{p.base + e.offset, "header: " + e.msg}
	}
	return tok, nil
}

// delim reads the delimiter want.
func (p *headerReader) delim(want jsonToken, where string) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != want {
		return p.errorf("header: want %q at %s, got %s", p.text(want), where, p.text(tok))
	}
	return nil
}

// key reads an object key and returns it with its file offset. The
// scanner refuses a key that the object already has.
func (p *headerReader) key() (key string, at int64, err error) {
	at = p.offset()
	if _, err := p.token(); err != nil {
		return "", at, err
	}
	return p.str, at, nil
}

// ints reads an array of at most max integers, calling f on each.
func (p *headerReader) ints(max int, f func(int64) error) error {
	if err := p.delim(jsonBeginArray, "an integer array"); err != nil {
		return err
	}
	for i := 0; p.more(); i++ {
		if i == max {
			return p.errorf("header: array has more than %d values", max)
		}
		tok, err := p.token()
		if err != nil {
			return err
		}
		if tok != jsonNumber {
			return p.errorf("header: %s is not an integer", p.text(tok))
		}
		v, err := strconv.ParseInt(p.str, 10, 64)
		if err != nil {
			return p.errorf("header: %s is not a 64-bit integer", short(p.str))
		}
		if err := f(v); err != nil {
			return err
		}
	}
	return p.delim(jsonEndArray, "the end of an integer array")
}

// EncodeSafetensors writes m with weights in dtype "F16" or "F32"; card may
// be nil. F16 rounds to nearest even; a weight beyond ±65504, NaN or Inf is
// an error. Tensors are named node.weight, node.bias, node.running_mean and
// node.running_var, as PyTorch names them.
func EncodeSafetensors(m *lrp.Model, card map[string]string, dtype string) ([]byte, error) {
	size, ok := dtypeSize[dtype]
	if !ok {
		return nil, UnsupportedError(fmt.Sprintf("encoding dtype %q; want F16 or F32", dtype))
	}
	if m == nil {
		return nil, errors.New("model: EncodeSafetensors of a nil model")
	}
	g, ts, err := encodeGraph(m, card)
	if err != nil {
		return nil, err
	}
	doc, err := marshalJSON(g)
	if err != nil {
		return nil, fmt.Errorf("model: encoding lrp.graph: %v", err)
	}
	type entry struct {
		DType       string   `json:"dtype"`
		Shape       []int    `json:"shape"`
		DataOffsets [2]int64 `json:"data_offsets"`
	}
	header := map[string]any{"__metadata__": map[string]string{graphKey: string(doc)}}
	var data []byte
	for _, t := range ts {
		begin := int64(len(data))
		var bad int
		if dtype == "F16" {
			data, bad = appendF16(data, t.data)
		} else {
			data, bad = appendF32(data, t.data)
		}
		if bad >= 0 {
			return nil, fmt.Errorf("model: tensor %s value %d is %v, which %s cannot hold (F16: |w| ≤ 65504, finite)", t.key, bad, t.data[bad], dtype)
		}
		header[t.key] = entry{dtype, t.shape, [2]int64{begin, begin + size*int64(len(t.data))}}
	}
	h, err := marshalJSON(header)
	if err != nil {
		return nil, fmt.Errorf("model: encoding header: %v", err)
	}
	if len(h) > maxHeaderLen {
		return nil, fmt.Errorf("model: header of %d bytes exceeds the limit of %d", len(h), maxHeaderLen)
	}
	// Pad the header with spaces so that the data starts 8-aligned, as the
	// reference safetensors writer does.
	for len(h)%8 != 0 {
		h = append(h, ' ')
	}
	out := make([]byte, 0, 8+len(h)+len(data))
	out = binary.LittleEndian.AppendUint64(out, uint64(len(h)))
	out = append(out, h...)
	return append(out, data...), nil
}
