package model

import (
	"fmt"
	"strconv"
	"strings"
	"unicode/utf16"
	"unicode/utf8"
)

// A jsonScanner reads a JSON text token by token in one pass over it. It
// reads both JSON documents of a safetensors file, the header and the
// lrp.graph document, and checks what both need at every level: no object
// has a key twice, and no value is nested deeper than maxJSONDepth.
//
// It replaced encoding/json's Decoder.Token, which was slow (issue 15: a
// file of 100,000 nodes, 6.8 MB, took 7 s to load in wasm), and keeps its
// behaviour exactly, errors and offsets included: the token states are
// Token's, the scalars are checked as its scanner checks them, and strings
// decode as its unquote decodes them. json_oracle_test.go compares the two.
type jsonScanner struct {
	s     string
	pos   int // offset of the next byte: Decoder.InputOffset
	state int // what may come next: one of the js* states

	// scanned counts the bytes of the keys and scalar values read so far.
	// encoding/json counted only these for the offset of an error inside a
	// value (see syntaxError), and the header's errors keep its offsets.
	scanned int64

	stack []jsonLevel // the open arrays and objects, innermost last
	keys  []string    // the keys of the open objects, outermost first

	// floats requires every number to be a finite float64, as
	// Decoder.Token without UseNumber did: lrp.graph was so checked.
	floats bool

	str string // the value of the last string read, or the text of the last number
}

// A jsonLevel is an open array or object.
type jsonLevel struct {
	outer int // the scanner's state outside it
	// For an object, its keys are jsonScanner.keys[keys:], or, once it
	// has more than jsonKeysListed of them, the keys of set.
	keys int
	set  map[string]struct{}
}

// jsonKeysListed is how many keys of an object are checked for a repeat
// by comparing with each; beyond, a map holds them.
const jsonKeysListed = 16

// A jsonToken is what jsonScanner.next read.
type jsonToken uint8

const (
	jsonString jsonToken = iota + 1 // a key or a string: jsonScanner.str
	jsonNumber                      // its text is jsonScanner.str
	jsonTrue
	jsonFalse
	jsonNull
	jsonBeginObject
	jsonEndObject
	jsonBeginArray
	jsonEndArray
)

// The scanner's states between tokens, those of Decoder.Token.
const (
	jsTopValue = iota
	jsArrayStart
	jsArrayValue
	jsArrayComma
	jsObjectStart
	jsObjectKey
	jsObjectColon
	jsObjectValue
	jsObjectComma
)

// A jsonError is a JSON text's error, with the message and offset that
// encoding/json gave it; an error at the end of the text has eof set and
// the message "EOF" (between tokens) or "unexpected EOF" (inside one).
type jsonError struct {
	msg    string
	offset int64
	eof    bool
}

func (e *jsonError) Error() string { return e.msg }

func (s *jsonScanner) errorf(format string, args ...any) error {
	return &jsonError{msg: fmt.Sprintf(format, args...), offset: int64(s.pos)}
}

// next reads the next token: a delimiter, a key, or a scalar value, whose
// text or value is then in s.str. Commas and colons are read in passing.
func (s *jsonScanner) next() (jsonToken, error) {
	for {
		c, ok := s.peek()
		if !ok {
			return 0, &jsonError{msg: "EOF", offset: int64(s.pos), eof: true}
		}
		switch c {
		case '[', '{':
			if !s.valueAllowed() {
				return 0, s.tokenError(c)
			}
			s.pos++
			if len(s.stack) == maxJSONDepth {
				return 0, s.errorf("nested deeper than %d levels", maxJSONDepth)
			}
			l := jsonLevel{outer: s.state, keys: len(s.keys)}
			s.stack = append(s.stack, l)
			if c == '[' {
				s.state = jsArrayStart
				return jsonBeginArray, nil
			}
			s.state = jsObjectStart
			return jsonBeginObject, nil

		case ']', '}':
			if c == ']' && s.state != jsArrayStart && s.state != jsArrayComma ||
				c == '}' && s.state != jsObjectStart && s.state != jsObjectComma {
				return 0, s.tokenError(c)
			}
			s.pos++
			l := s.stack[len(s.stack)-1]
			s.stack = s.stack[:len(s.stack)-1]
			s.keys = s.keys[:l.keys]
			s.state = l.outer
			s.valueEnd()
			if c == ']' {
				return jsonEndArray, nil
			}
			return jsonEndObject, nil

		case ':':
			if s.state != jsObjectColon {
				return 0, s.tokenError(c)
			}
			s.pos++
			s.state = jsObjectValue
			continue

		case ',':
			switch s.state {
			case jsArrayComma:
				s.state = jsArrayValue
			case jsObjectComma:
				s.state = jsObjectKey
			default:
				return 0, s.tokenError(c)
			}
			s.pos++
			continue

		case '"':
			if s.state == jsObjectStart || s.state == jsObjectKey {
				if _, err := s.scalar(); err != nil {
					return 0, err
				}
				if err := s.addKey(s.str); err != nil {
					return 0, err
				}
				s.state = jsObjectColon
				return jsonString, nil
			}
		}
		if !s.valueAllowed() {
			return 0, s.tokenError(c)
		}
		tok, err := s.scalar()
		if err != nil {
			return 0, err
		}
		if tok == jsonNumber && s.floats {
			if err := s.checkFloat(); err != nil {
				return 0, err
			}
		}
		s.valueEnd()
		return tok, nil
	}
}

// more reports whether the array or object has another element: the next
// token is neither ']' nor '}', nor the end of the text. Like Decoder.More
// it moves past white space.
func (s *jsonScanner) more() bool {
	c, ok := s.peek()
	return ok && c != ']' && c != '}'
}

// skip reads the rest of the value that tok begins.
func (s *jsonScanner) skip(tok jsonToken) error {
	if tok != jsonBeginArray && tok != jsonBeginObject {
		return nil
	}
	for depth := 1; depth > 0; {
		tok, err := s.next()
		if err != nil {
			return err
		}
		switch tok {
		case jsonBeginArray, jsonBeginObject:
			depth++
		case jsonEndArray, jsonEndObject:
			depth--
		}
	}
	return nil
}

// count returns how many elements the array whose '[' was just read has
// (or members the object whose '{' was), or how many more from inside it,
// by a quick look ahead that checks nothing: a hint for the size of what
// it decodes into, exact if the text is valid JSON.
func (s *jsonScanner) count() int {
	n, depth := 0, 0
	for i := s.pos; i < len(s.s); i++ {
		c := s.s[i]
		if !countStops[c] {
			if n == 0 && !isSpace(c) {
				n = 1 // the first element
			}
			continue
		}
		switch c {
		case '"':
			for i++; i < len(s.s) && s.s[i] != '"'; i++ {
				if s.s[i] == '\\' {
					i++
				}
			}
		case '[', '{':
			depth++
		case ']', '}':
			if depth == 0 {
				return n
			}
			depth--
		case ',':
			if depth == 0 {
				n++
			}
		}
		n = max(n, 1)
	}
	return n
}

var countStops = [256]bool{'"': true, '[': true, ']': true, '{': true, '}': true, ',': true}

// end checks that nothing but white space follows the top-level value.
func (s *jsonScanner) end() error {
	if s.more() {
		return s.errorf("text after the JSON value")
	}
	if _, err := s.next(); !isEOF(err) {
		return err
	}
	return nil
}

func isEOF(err error) bool {
	e, ok := err.(*jsonError)
	return ok && e.eof
}

// text is tok as Decoder.Token's token prints with %v.
func (s *jsonScanner) text(tok jsonToken) string {
	switch tok {
	case jsonTrue:
		return "true"
	case jsonFalse:
		return "false"
	case jsonNull:
		return "<nil>"
	case jsonBeginObject:
		return "{"
	case jsonEndObject:
		return "}"
	case jsonBeginArray:
		return "["
	case jsonEndArray:
		return "]"
	}
	return s.str
}

// peek moves to the next byte that is not white space and returns it;
// at the end of the text it stays where it is.
func (s *jsonScanner) peek() (byte, bool) {
	for i := s.pos; i < len(s.s); i++ {
		if c := s.s[i]; !isSpace(c) {
			s.pos = i
			return c, true
		}
	}
	return 0, false
}

func isSpace(c byte) bool { return c == ' ' || c == '\t' || c == '\r' || c == '\n' }

func (s *jsonScanner) valueAllowed() bool {
	switch s.state {
	case jsTopValue, jsArrayStart, jsArrayValue, jsObjectValue:
		return true
	}
	return false
}

// valueEnd moves from a value to the separator after it.
func (s *jsonScanner) valueEnd() {
	switch s.state {
	case jsArrayStart, jsArrayValue:
		s.state = jsArrayComma
	case jsObjectValue:
		s.state = jsObjectComma
	}
}

// tokenError is a byte that may not come next, at s.pos.
func (s *jsonScanner) tokenError(c byte) error {
	var context string
	switch s.state {
	case jsTopValue, jsArrayStart, jsArrayValue, jsObjectValue:
		context = " looking for beginning of value"
	case jsArrayComma:
		context = " after array element"
	case jsObjectKey:
		context = " looking for beginning of object key string"
	case jsObjectColon:
		context = " after object key"
	case jsObjectComma:
		context = " after object key:value pair"
	} // after '{', Decoder.Token gave no context
	return &jsonError{msg: "invalid character " + quoteChar(c) + context, offset: int64(s.pos)}
}

// addKey adds key to the innermost object's keys, which must not have it.
func (s *jsonScanner) addKey(key string) error {
	l := &s.stack[len(s.stack)-1]
	if l.set == nil {
		listed := s.keys[l.keys:]
		for _, k := range listed {
			if k == key {
				return s.errorf("duplicate key %q", short(key))
			}
		}
		if len(listed) < jsonKeysListed {
			s.keys = append(s.keys, key)
			return nil
		}
		l.set = make(map[string]struct{}, len(listed)+s.count())
		for _, k := range listed {
			l.set[k] = struct{}{}
		}
	}
	n := len(l.set)
	if l.set[key] = struct{}{}; len(l.set) == n {
		return s.errorf("duplicate key %q", short(key))
	}
	return nil
}

// checkFloat checks that the number s.str is a finite float64. Only a
// number with an exponent or of more than 300 digits can be too large.
func (s *jsonScanner) checkFloat() error {
	if len(s.str) <= 300 && !strings.ContainsAny(s.str, "eE") {
		return nil
	}
	if _, err := strconv.ParseFloat(s.str, 64); err != nil {
		return s.errorf("json: cannot unmarshal number %s into Go value of type float64", s.str)
	}
	return nil
}

// scalar reads the string, number, true, false or null at s.pos, setting
// s.str for a string or a number.
func (s *jsonScanner) scalar() (jsonToken, error) {
	start := s.pos
	var tok jsonToken
	var end int
	var err error
	switch c := s.s[start]; {
	case c == '"':
		tok = jsonString
		end, err = s.readString(start)
	case c == '-' || '0' <= c && c <= '9':
		tok = jsonNumber
		if end, err = s.readNumber(start); err == nil {
			s.str = s.s[start:end]
		}
	case c == 't':
		tok = jsonTrue
		end, err = s.literal(start, "true")
	case c == 'f':
		tok = jsonFalse
		end, err = s.literal(start, "false")
	case c == 'n':
		tok = jsonNull
		end, err = s.literal(start, "null")
	default:
		return 0, s.syntaxError(start, start, "looking for beginning of value")
	}
	if err != nil {
		return 0, err
	}
	s.scanned += int64(end - start)
	s.pos = end
	return tok, nil
}

// syntaxError is byte i of the scalar at start, which may not be there.
// encoding/json gave it the offset of the byte after it counting only the
// bytes of the keys and scalar values read before: s.scanned.
func (s *jsonScanner) syntaxError(start, i int, context string) error {
	return &jsonError{msg: "invalid character " + quoteChar(s.s[i]) + " " + context, offset: s.scanned + int64(i-start) + 1}
}

// unexpectedEOF is the end of the text inside the scalar at start.
func (s *jsonScanner) unexpectedEOF(start int) error {
	return &jsonError{msg: "unexpected EOF", offset: int64(start), eof: true}
}

// literal reads word (true, false or null) at start.
func (s *jsonScanner) literal(start int, word string) (int, error) {
	for k := 1; k < len(word); k++ {
		i := start + k
		if i == len(s.s) {
			return 0, s.unexpectedEOF(start)
		}
		if s.s[i] != word[k] {
			return 0, s.syntaxError(start, i, "in literal "+word+" (expecting "+quoteChar(word[k])+")")
		}
	}
	return start + len(word), nil
}

// readNumber reads a number at start: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?
func (s *jsonScanner) readNumber(start int) (int, error) {
	i := start
	digits := func() {
		for i < len(s.s) && '0' <= s.s[i] && s.s[i] <= '9' {
			i++
		}
	}
	// digit checks that a digit is at i, which the scanner's state context needs.
	digit := func(context string) error {
		switch {
		case i == len(s.s):
			return s.unexpectedEOF(start)
		case s.s[i] < '0' || s.s[i] > '9':
			return s.syntaxError(start, i, context)
		}
		return nil
	}
	if s.s[i] == '-' {
		i++
		if err := digit("in numeric literal"); err != nil {
			return 0, err
		}
	}
	if s.s[i] == '0' {
		i++
	} else {
		digits()
	}
	if i < len(s.s) && s.s[i] == '.' {
		i++
		if err := digit("after decimal point in numeric literal"); err != nil {
			return 0, err
		}
		digits()
	}
	if i < len(s.s) && (s.s[i] == 'e' || s.s[i] == 'E') {
		i++
		if i < len(s.s) && (s.s[i] == '+' || s.s[i] == '-') {
			i++
		}
		if err := digit("in exponent of numeric literal"); err != nil {
			return 0, err
		}
		digits()
	}
	return i, nil
}

// readString reads the string at start into s.str. A string without
// escapes is a part of s.s; otherwise it decodes as encoding/json's
// unquote does: a lone UTF-16 surrogate and bytes that are not UTF-8
// become U+FFFD.
func (s *jsonScanner) readString(start int) (int, error) {
	i := start + 1
	ascii := true
	for ; i < len(s.s); i++ {
		if c := s.s[i]; !plain[c] {
			if c < utf8.RuneSelf {
				break
			}
			ascii = false
		}
	}
	if i < len(s.s) && s.s[i] == '"' && (ascii || utf8.ValidString(s.s[start+1:i])) {
		s.str = s.s[start+1 : i]
		return i + 1, nil
	}
	// The slow way, byte by byte (the runs between escapes are short in a
	// graph document in the header) into a builder of the string's length,
	// an upper bound of its value's.
	end := i
	for end < len(s.s) && s.s[end] != '"' {
		if s.s[end] == '\\' {
			end++
		}
		end++
	}
	var b strings.Builder
	b.Grow(min(end, len(s.s)) - start)
	for i = start + 1; i < len(s.s); {
		switch c := s.s[i]; {
		case plain[c]:
			b.WriteByte(c)
			i++
		case c == '"':
			s.str = b.String()
			return i + 1, nil
		case c < 0x20:
			return 0, s.syntaxError(start, i, "in string literal")
		case c == '\\':
			i++
			if i == len(s.s) {
				return 0, s.unexpectedEOF(start)
			}
			switch c := s.s[i]; c {
			case '"', '\\', '/':
				b.WriteByte(c)
			case 'b':
				b.WriteByte('\b')
			case 'f':
				b.WriteByte('\f')
			case 'n':
				b.WriteByte('\n')
			case 'r':
				b.WriteByte('\r')
			case 't':
				b.WriteByte('\t')
			case 'u':
				for k := i + 1; k <= i+4; k++ {
					if k == len(s.s) {
						return 0, s.unexpectedEOF(start)
					}
					if hex(s.s[k]) < 0 {
						return 0, s.syntaxError(start, k, `in \u hexadecimal character escape`)
					}
				}
				r := getu4(s.s[i-1:])
				i += 4
				if utf16.IsSurrogate(r) {
					// A valid pair is one rune; anything else is U+FFFD.
					if pair := utf16.DecodeRune(r, getu4(s.s[i+1:])); pair != utf8.RuneError {
						b.WriteRune(pair)
						i += 6
						break
					}
					r = utf8.RuneError
				}
				b.WriteRune(r)
			default:
				return 0, s.syntaxError(start, i, "in string escape code")
			}
			i++
		default: // not ASCII
			r, size := utf8.DecodeRuneInString(s.s[i:])
			if r == utf8.RuneError && size == 1 {
				b.WriteRune(r) // a byte that is not UTF-8
			} else {
				b.WriteString(s.s[i : i+size])
			}
			i += size
		}
	}
	return 0, s.unexpectedEOF(start)
}

// plain marks the bytes that stand for themselves in a JSON string.
var plain = func() (t [256]bool) {
	for c := 0x20; c < utf8.RuneSelf; c++ {
		t[c] = c != '"' && c != '\\'
	}
	return t
}()

// getu4 decodes \uXXXX at the start of s, or returns -1.
func getu4(s string) rune {
	if len(s) < 6 || s[0] != '\\' || s[1] != 'u' {
		return -1
	}
	var r rune
	for i := 2; i < 6; i++ {
		h := hex(s[i])
		if h < 0 {
			return -1
		}
		r = r<<4 | h
	}
	return r
}

func hex(c byte) rune {
	switch {
	case '0' <= c && c <= '9':
		return rune(c - '0')
	case 'a' <= c && c <= 'f':
		return rune(c - 'a' + 10)
	case 'A' <= c && c <= 'F':
		return rune(c - 'A' + 10)
	}
	return -1
}

// quoteChar formats c as encoding/json's errors do.
func quoteChar(c byte) string {
	switch c {
	case '\'':
		return `'\''`
	case '"':
		return `'"'`
	}
	q := strconv.Quote(string(rune(c)))
	return "'" + q[1:len(q)-1] + "'"
}
