package model

// The readers that jsonScanner replaced, built on encoding/json's token
// API, kept as the test oracle: the header and the lrp.graph document must
// read to the same values and fail with the same errors, offsets included.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"unicode/utf8"
)

// oracleParseHeader is parseHeader as it was.
func (d *stDecoder) oracleParseHeader() error {
	if len(d.data) < 8 {
		return &FormatError{0, fmt.Sprintf("file is %d bytes, too short for the 8-byte header length", len(d.data))}
	}
	n := binary64(d.data)
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
	p := &oracleStream{dec: json.NewDecoder(bytes.NewReader(hdr)), base: 8}
	p.dec.UseNumber()
	if err := p.delim('{', "the header"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for p.dec.More() {
		key, at, err := p.key(seen)
		if err != nil {
			return err
		}
		if key == "__metadata__" {
			err = d.oracleParseMetadata(p)
		} else {
			err = d.oracleParseTensor(p, key, at)
		}
		if err != nil {
			return err
		}
	}
	if err := p.delim('}', "the end of the header"); err != nil {
		return err
	}
	for i := p.dec.InputOffset(); i < int64(len(hdr)); i++ {
		if c := hdr[i]; c != ' ' && c != '\t' && c != '\n' && c != '\r' {
			return &FormatError{8 + i, "text after the header object"}
		}
	}
	return nil
}

func binary64(b []byte) uint64 {
	var n uint64
	for i := 7; i >= 0; i-- {
		n = n<<8 | uint64(b[i])
	}
	return n
}

func (d *stDecoder) oracleParseMetadata(p *oracleStream) error {
	if err := p.delim('{', "__metadata__"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for p.dec.More() {
		key, _, err := p.key(seen)
		if err != nil {
			return err
		}
		d.metaAt[key] = p.offset()
		tok, err := p.token()
		if err != nil {
			return err
		}
		v, ok := tok.(string)
		if !ok {
			return p.errorf("__metadata__ value %q is not a string", short(key))
		}
		d.meta[key] = v
	}
	return p.delim('}', "the end of __metadata__")
}

func (d *stDecoder) oracleParseTensor(p *oracleStream, name string, at int64) error {
	t := &tensorInfo{name: name, at: at}
	if err := p.delim('{', "a tensor entry"); err != nil {
		return err
	}
	seen := map[string]bool{}
	for p.dec.More() {
		key, _, err := p.key(seen)
		if err != nil {
			return err
		}
		switch key {
		case "dtype":
			tok, err := p.token()
			if err != nil {
				return err
			}
			s, ok := tok.(string)
			if !ok {
				return p.errorf("tensor %q: dtype is not a string", short(name))
			}
			t.dtype = s
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
	}
	if err := p.delim('}', "the end of a tensor entry"); err != nil {
		return err
	}
	if !seen["dtype"] || !seen["shape"] || !seen["data_offsets"] {
		return &FormatError{at, fmt.Sprintf("tensor %q needs dtype, shape and data_offsets", short(name))}
	}
	return d.addTensor(t)
}

// An oracleStream is the jsonStream that headerReader replaced.
type oracleStream struct {
	dec  *json.Decoder
	base int64
}

func (p *oracleStream) offset() int64 { return p.base + p.dec.InputOffset() }

func (p *oracleStream) errorf(format string, args ...any) error {
	return &FormatError{p.offset(), fmt.Sprintf(format, args...)}
}

func (p *oracleStream) token() (json.Token, error) {
	tok, err := p.dec.Token()
	if err != nil {
		var se *json.SyntaxError
		switch {
		case errors.As(err, &se):
			return nil, &FormatError{p.base + se.Offset, "header: " + se.Error()}
		case err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF):
			return nil, p.errorf("header: unexpected end of JSON")
		}
		return nil, p.errorf("header: %v", err)
	}
	return tok, nil
}

func (p *oracleStream) delim(want json.Delim, where string) error {
	tok, err := p.token()
	if err != nil {
		return err
	}
	if tok != want {
		return p.errorf("header: want %q at %s, got %v", want, where, tok)
	}
	return nil
}

func (p *oracleStream) key(seen map[string]bool) (key string, at int64, err error) {
	at = p.offset()
	tok, err := p.token()
	if err != nil {
		return "", at, err
	}
	key, ok := tok.(string)
	if !ok {
		return "", at, p.errorf("header: object key %v is not a string", tok)
	}
	if seen[key] {
		return "", at, p.errorf("header: duplicate key %q", short(key))
	}
	seen[key] = true
	return key, at, nil
}

func (p *oracleStream) ints(max int, f func(int64) error) error {
	if err := p.delim('[', "an integer array"); err != nil {
		return err
	}
	for i := 0; p.dec.More(); i++ {
		if i == max {
			return p.errorf("header: array has more than %d values", max)
		}
		tok, err := p.token()
		if err != nil {
			return err
		}
		num, ok := tok.(json.Number)
		if !ok {
			return p.errorf("header: %v is not an integer", tok)
		}
		v, err := strconv.ParseInt(string(num), 10, 64)
		if err != nil {
			return p.errorf("header: %s is not a 64-bit integer", short(string(num)))
		}
		if err := f(v); err != nil {
			return err
		}
	}
	return p.delim(']', "the end of an integer array")
}

// oracleParseGraph is parseGraph as it was: checkJSON, then the version
// by json.Unmarshal, then the document by a json.Decoder.
func (d *graphDecoder) oracleParseGraph(s string) (*graphJSON, error) {
	if err := oracleCheckJSON(s); err != nil {
		return nil, d.errorf("%v", err)
	}
	var v struct {
		Version *int `json:"version"`
	}
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		return nil, d.errorf("%v", err)
	}
	switch {
	case v.Version == nil:
		return nil, d.errorf("no version")
	case *v.Version != graphVersion:
		return nil, UnsupportedError(fmt.Sprintf("lrp.graph version %d (this reader knows version %d)", *v.Version, graphVersion))
	}
	g := new(graphJSON)
	dec := json.NewDecoder(strings.NewReader(s))
	dec.DisallowUnknownFields()
	if err := dec.Decode(g); err != nil {
		return nil, d.errorf("%v", err)
	}
	return g, nil
}

func oracleCheckJSON(s string) error {
	dec := json.NewDecoder(strings.NewReader(s))
	type level struct {
		keys  map[string]bool // nil for an array
		inKey bool            // the next token of an object is a key
	}
	var stack []level
	for {
		tok, err := dec.Token()
		if err == io.EOF && len(stack) == 0 {
			return nil
		}
		if err != nil {
			return err
		}
		if n := len(stack); n > 0 && stack[n-1].keys != nil {
			top := &stack[n-1]
			if top.inKey {
				if k, ok := tok.(string); ok {
					if top.keys[k] {
						return fmt.Errorf("duplicate key %q", short(k))
					}
					top.keys[k] = true
					top.inKey = false
					continue
				}
			} else {
				top.inKey = true
			}
		}
		switch tok {
		case json.Delim('{'), json.Delim('['):
			if len(stack) == maxJSONDepth {
				return fmt.Errorf("nested deeper than %d levels", maxJSONDepth)
			}
			l := level{}
			if tok == json.Delim('{') {
				l = level{keys: map[string]bool{}, inKey: true}
			}
			stack = append(stack, l)
		case json.Delim('}'), json.Delim(']'):
			stack = stack[:len(stack)-1]
			if n := len(stack); n > 0 && stack[n-1].keys != nil {
				stack[n-1].inKey = true
			}
		}
		if len(stack) == 0 && dec.More() {
			return errors.New("text after the JSON value")
		}
	}
}
