package app

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"unicode"
	"unicode/utf8"
)

// MaxLabelsFile bounds the bytes of a class-names file (ParseLabels):
// about a hundred times ImageNet's 1,000 names with their WordNet ids.
const MaxLabelsFile = 4 << 20

// MaxLabel bounds the bytes of one class name.
const MaxLabel = 256

// ParseLabels reads a file of class names for a model with the given
// number of classes, in one of these forms:
//
//   - text: one name per line, in class order (UTF-8, \n or \r\n, an
//     optional byte-order mark; blank lines at the end are ignored, a blank
//     line before a name is an error);
//   - a JSON array of names: ["tench", "goldfish", …];
//   - a JSON object from class index to name: {"0": "tench", …}, where a
//     name may also be an array whose last element is the name, as in
//     Keras's imagenet_class_index.json ({"0": ["n01440764", "tench"]});
//   - a JSON object with such an object under "id2label" (a Hugging Face
//     config.json); its other keys are ignored.
//
// A file whose first character (after the byte-order mark and white
// space) is '[' or '{' is JSON. Names are trimmed of surrounding white
// space and must be non-empty, valid UTF-8, at most MaxLabel bytes, and
// free of control characters, line and paragraph separators and the
// bidi embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069),
// so that no name can reorder or break what a page or terminal shows next
// to it. There must be exactly classes names. The file's size is checked
// (MaxLabelsFile) before anything is allocated, and reading stops at the
// first name too many. Errors are prefixed "app: labels: ".
func ParseLabels(data []byte, classes int) ([]string, error) {
	if len(data) > MaxLabelsFile {
		return nil, labelErr("the file has %d bytes, more than the %d allowed", len(data), MaxLabelsFile)
	}
	if classes < 1 {
		return nil, labelErr("a model with %d classes has no names", classes)
	}
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	if t := bytes.TrimLeft(data, " \t\r\n"); len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		return parseJSONLabels(t, classes)
	}
	return parseTextLabels(data, classes)
}

// parseTextLabels reads one name per line.
func parseTextLabels(data []byte, classes int) ([]string, error) {
	data = bytes.TrimRight(data, " \t\r\n")
	if len(data) == 0 {
		return nil, labelErr("the file has no names, the model has %d classes", classes)
	}
	if n := bytes.Count(data, []byte{'\n'}) + 1; n != classes {
		return nil, labelErr("the file has %d lines, the model has %d classes", n, classes)
	}
	names := make([]string, classes)
	for i := range names {
		line, rest, _ := bytes.Cut(data, []byte{'\n'})
		name, err := checkLabel(string(line))
		if err != nil {
			return nil, labelErr("line %d: %v", i+1, err)
		}
		names[i], data = name, rest
	}
	return names, nil
}

// jsonLabels reads the JSON forms of ParseLabels token by token, so that
// nothing grows past the file's size and the model's classes.
type jsonLabels struct {
	d       *json.Decoder
	classes int
	names   []string
	set     []bool
}

func parseJSONLabels(data []byte, classes int) ([]string, error) {
	p := &jsonLabels{d: json.NewDecoder(bytes.NewReader(data)), classes: classes}
	p.d.UseNumber()
	tok, err := p.d.Token()
	if err != nil {
		return nil, p.syntax(err)
	}
	switch tok {
	case json.Delim('['):
		err = p.array()
	case json.Delim('{'):
		err = p.object(true)
	}
	if err != nil {
		return nil, err
	}
	if _, err := p.d.Token(); err != io.EOF {
		return nil, labelErr("unexpected data after the JSON value")
	}
	if p.set != nil {
		for i, ok := range p.set {
			if !ok {
				return nil, labelErr("class %d has no name", i)
			}
		}
	}
	if len(p.names) != classes {
		return nil, labelErr("%d names, the model has %d classes", len(p.names), classes)
	}
	return p.names, nil
}

// array reads ["name", …] after its '['.
func (p *jsonLabels) array() error {
	for p.d.More() {
		i := len(p.names)
		if i == p.classes {
			return labelErr("more than %d names, the model has %d classes", p.classes, p.classes)
		}
		s, err := p.name(fmt.Sprintf("name %d", i), false)
		if err != nil {
			return err
		}
		p.names = append(p.names, s)
	}
	_, err := p.d.Token() // ']'
	return p.syntax(err)
}

// object reads {"index": name, …} after its '{'; at the top level it also
// takes a config whose "id2label" holds such an object, and skips the
// config's other keys.
func (p *jsonLabels) object(top bool) error {
	config, indexed, others := false, false, false
	for p.d.More() {
		tok, err := p.d.Token()
		if err != nil {
			return p.syntax(err)
		}
		key := tok.(string) // object keys are strings
		i, isIndex := index(key)
		switch {
		case isIndex:
			if config {
				return labelErr("class indices next to \"id2label\"")
			}
			if i >= p.classes {
				return labelErr("class %q: the model has classes 0 to %d", key, p.classes-1)
			}
			if p.set == nil {
				p.names, p.set = make([]string, p.classes), make([]bool, p.classes)
			}
			if p.set[i] {
				return labelErr("class %d is named twice", i)
			}
			s, err := p.name("class "+key, true)
			if err != nil {
				return err
			}
			p.names[i], p.set[i] = s, true
			indexed = true
		case top && key == "id2label":
			if p.set != nil || config {
				return labelErr("\"id2label\" next to class indices, or twice")
			}
			if tok, err := p.d.Token(); err != nil {
				return p.syntax(err)
			} else if tok != json.Delim('{') {
				return labelErr("\"id2label\" must be an object from class index to name")
			}
			if err := p.object(false); err != nil {
				return err
			}
			config = true
		case top:
			var skip json.RawMessage
			if err := p.d.Decode(&skip); err != nil {
				return p.syntax(err)
			}
			others = true
		default:
			return labelErr("key %q is not a class index (0, 1, …)", truncate(key))
		}
	}
	if top && !indexed && !config {
		return labelErr("a JSON object needs class indices as keys ({\"0\": \"name\", …}) or an \"id2label\" object")
	}
	if indexed && others {
		return labelErr("an object of class indices has other keys (a config holds its names under \"id2label\")")
	}
	_, err := p.d.Token() // '}'
	return p.syntax(err)
}

// name reads one name: a string, or, when nested is allowed, an array of
// strings whose last is the name.
func (p *jsonLabels) name(what string, nested bool) (string, error) {
	tok, err := p.d.Token()
	if err != nil {
		return "", p.syntax(err)
	}
	if tok == json.Delim('[') && nested {
		last, n := "", 0
		for p.d.More() {
			tok, err := p.d.Token()
			if err != nil {
				return "", p.syntax(err)
			}
			s, ok := tok.(string)
			if !ok || n == 4 {
				return "", labelErr("%s: want a name or an array of up to 4 strings ([id, name])", what)
			}
			last, n = s, n+1
		}
		if _, err := p.d.Token(); err != nil {
			return "", p.syntax(err)
		}
		tok = last
	}
	s, ok := tok.(string)
	if !ok {
		return "", labelErr("%s: want a string, got %v", what, describeToken(tok))
	}
	s, err = checkLabel(s)
	if err != nil {
		return "", labelErr("%s: %v", what, err)
	}
	return s, nil
}

// syntax turns a decoder error into a labels error.
func (p *jsonLabels) syntax(err error) error {
	if err == nil {
		return nil
	}
	var se *json.SyntaxError
	if errors.As(err, &se) {
		return labelErr("not valid JSON at byte %d: %v", se.Offset, se)
	}
	if err == io.EOF || errors.Is(err, io.ErrUnexpectedEOF) {
		return labelErr("the JSON ends early")
	}
	return labelErr("%v", err)
}

// index parses a class index key: a decimal integer without sign or
// leading zeros.
func index(key string) (int, bool) {
	if key == "" || len(key) > 9 || key[0] == '0' && len(key) > 1 {
		return 0, false
	}
	for _, c := range []byte(key) {
		if c < '0' || c > '9' {
			return 0, false
		}
	}
	i, err := strconv.Atoi(key)
	return i, err == nil
}

// checkLabel returns s trimmed, or an error if it cannot be a class name
// (see ParseLabels).
func checkLabel(s string) (string, error) {
	if len(s) > 4*MaxLabel {
		return "", fmt.Errorf("a name of %d bytes, more than the %d allowed", len(s), MaxLabel)
	}
	if !utf8.ValidString(s) {
		return "", errors.New("a name that is not valid UTF-8")
	}
	s = trimSpace(s)
	switch {
	case s == "":
		return "", errors.New("an empty name")
	case len(s) > MaxLabel:
		return "", fmt.Errorf("a name of %d bytes, more than the %d allowed", len(s), MaxLabel)
	}
	for _, r := range s {
		if badInName(r) {
			return "", fmt.Errorf("the name %s has the character %U", strconv.QuoteToASCII(truncate(s)), r)
		}
	}
	return s, nil
}

// trimSpace trims Unicode white space, as strings.TrimSpace.
func trimSpace(s string) string {
	start, end := 0, len(s)
	for start < end {
		r, n := utf8.DecodeRuneInString(s[start:])
		if !unicode.IsSpace(r) {
			break
		}
		start += n
	}
	for end > start {
		r, n := utf8.DecodeLastRuneInString(s[start:end])
		if !unicode.IsSpace(r) {
			break
		}
		end -= n
	}
	return s[start:end]
}

// badInName reports whether r may not appear in a class name: a control
// character (C0, DEL, C1, tab included), a line or paragraph separator, a
// bidi embedding, override or isolate, or U+FEFF (invisible, and at the
// start of a names file a byte-order mark, so such a name would not read
// back).
func badInName(r rune) bool {
	return unicode.IsControl(r) || r == '\u2028' || r == '\u2029' || r == '\ufeff' ||
		'\u202a' <= r && r <= '\u202e' || '\u2066' <= r && r <= '\u2069'
}

// truncate shortens s for a message: at most 64 bytes, on a rune boundary.
func truncate(s string) string {
	const n = 64
	if len(s) <= n {
		return s
	}
	i := n
	for i > 0 && !utf8.RuneStart(s[i]) {
		i--
	}
	return s[:i] + "…"
}

func describeToken(tok json.Token) string {
	switch v := tok.(type) {
	case json.Delim:
		if v == '[' || v == ']' {
			return "an array"
		}
		return "an object"
	case json.Number:
		return "a number"
	case bool:
		return "a boolean"
	case nil:
		return "null"
	}
	return fmt.Sprintf("%v", tok)
}

func labelErr(format string, args ...any) error {
	return fmt.Errorf("app: labels: "+format, args...)
}

// checkLabels returns an error if names are not valid class names for a
// model with the given number of classes (see ParseLabels), and the names
// trimmed.
func checkLabels(names []string, classes int) ([]string, error) {
	if len(names) != classes {
		return nil, labelErr("%d names, the model has %d classes", len(names), classes)
	}
	out := make([]string, len(names))
	for i, s := range names {
		var err error
		if out[i], err = checkLabel(s); err != nil {
			return nil, labelErr("name %d: %v", i, err)
		}
	}
	return out, nil
}
