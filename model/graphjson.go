package model

import (
	"errors"
	"fmt"
	"math"
	"reflect"
	"strconv"
	"strings"

	"github.com/lrpwasm/lrp/lrp"
)

// A graphReader decodes an lrp.graph document into a graphJSON in one pass
// of a jsonScanner. encoding/json took three (a check of the syntax, the
// keys and the depth; json.Unmarshal of the version; a json.Decoder that
// disallowed unknown fields), several seconds in wasm for a document of
// 100,000 nodes. The reader keeps what they did (json_oracle_test.go
// compares the two):
//
//   - A key selects the field of its name, or else one whose name equals
//     it under Unicode case folding ("Nodes", "ſhape"). A repeated field
//     decodes again over what the first one left: slices are reused, maps
//     merged.
//   - null leaves a number, string, bool or struct as it was, and sets a
//     slice or map to nil.
//   - The first syntax error, duplicate key or too deep nesting is the
//     error. Then the first version of a wrong type, then a missing
//     version, then the first value of a wrong type or unknown field, all
//     with encoding/json's messages.
type graphReader struct {
	jsonScanner
	version    *int  // the last version read
	versionErr error // the first version of a wrong type
	err        error // the first other value of a wrong type, or unknown field
	nodes      int   // the number of nodes, of which g.Nodes keeps lrp.MaxNodes+1 at most
}

// The JSON names of the fields of the structs of the document, by which
// the reader matches keys.
var (
	graphFields = jsonNames[graphJSON]()
	inputFields = jsonNames[inputJSON]()
	nodeFields  = jsonNames[nodeJSON]()
)

func jsonNames[T any]() []string {
	t := reflect.TypeFor[T]()
	names := make([]string, t.NumField())
	for i := range names {
		names[i], _, _ = strings.Cut(t.Field(i).Tag.Get("json"), ",")
	}
	return names
}

// versionType is the type whose Go name encoding/json's errors gave when
// the document was not an object: the version was read into it first.
var versionType = fmt.Sprintf("%T", struct {
	Version *int `json:"version"`
}{})

// read decodes the document into g. It returns the first syntax error,
// duplicate key or too deep nesting; the version and the errors of the
// values are left in r.
func (r *graphReader) read(g *graphJSON) error {
	if _, ok := r.peek(); !ok { // the error of json.Unmarshal
		return errors.New("unexpected end of JSON input")
	}
	tok, err := r.next()
	if err != nil {
		return err
	}
	if tok == jsonBeginObject {
		err = r.object(func(key string, tok jsonToken) error { return r.graphField(g, key, tok) })
	} else {
		if tok != jsonNull {
			r.versionErr = fmt.Errorf("json: cannot unmarshal %s into Go value of type %s", kindName(tok), versionType)
		}
		err = r.skip(tok)
	}
	if err != nil {
		return err
	}
	return r.end()
}

// object reads the members of an object whose '{' has been read, calling
// f with each key and the first token of its value.
func (r *graphReader) object(f func(key string, tok jsonToken) error) error {
	for {
		tok, err := r.next()
		if err != nil {
			return err
		}
		if tok == jsonEndObject {
			return nil
		}
		key := r.str
		if tok, err = r.next(); err != nil {
			return err
		}
		if err := f(key, tok); err != nil {
			return err
		}
	}
}

// field returns the name in names that key selects, "" if none.
func field(key string, names []string) string {
	for _, n := range names {
		if key == n {
			return n
		}
	}
	for _, n := range names {
		if strings.EqualFold(key, n) {
			return n
		}
	}
	return ""
}

// A where is the field that a value is decoded into, as encoding/json's
// errors name it: the struct that has it, and the path of JSON names from
// the top of the document.
type where struct{ strct, parent, name string }

// fail records the first value of a wrong type: what it is ("string",
// "number 1.5"), and v, the Go value it does not fit.
func (r *graphReader) fail(what string, at where, v any) {
	if r.err != nil {
		return
	}
	path := at.name
	if at.parent != "" {
		path = at.parent + "." + at.name
	}
	r.err = fmt.Errorf("json: cannot unmarshal %s into Go struct field %s.%s of type %T", what, at.strct, path, v)
}

// mismatch records tok, the start of a value that does not fit v, and
// skips the value.
func (r *graphReader) mismatch(tok jsonToken, at where, v any) error {
	r.fail(kindName(tok), at, v)
	return r.skip(tok)
}

func (r *graphReader) unknown(key string, tok jsonToken) error {
	if r.err == nil {
		r.err = fmt.Errorf("json: unknown field %q", key)
	}
	return r.skip(tok)
}

func kindName(tok jsonToken) string {
	switch tok {
	case jsonString:
		return "string"
	case jsonNumber:
		return "number"
	case jsonTrue, jsonFalse:
		return "bool"
	case jsonBeginArray:
		return "array"
	case jsonBeginObject:
		return "object"
	}
	return "null"
}

func (r *graphReader) graphField(g *graphJSON, key string, tok jsonToken) error {
	f := field(key, graphFields)
	at := where{"graphJSON", "", f}
	switch f {
	case "version":
		return r.versionValue(tok, &g.Version)
	case "name":
		return r.stringValue(tok, &g.Name, at)
	case "input":
		return r.inputValue(tok, &g.Input, at)
	case "labels":
		return readSlice(r, tok, &g.Labels, at, (*graphReader).stringValue)
	case "card":
		return r.cardValue(tok, &g.Card, at)
	case "nodes":
		// At most one node more than a model may have is kept (a 6 MB
		// file of {} nodes would take 500 MB), and the slice is made
		// at its size, as growing it would cost several times that in
		// copies and pages (27 MB for 100,000 nodes).
		if g.Nodes == nil && tok == jsonBeginArray {
			g.Nodes = make([]nodeJSON, 0, min(r.count(), lrp.MaxNodes+1))
		}
		n, err := readSliceMax(r, tok, &g.Nodes, at, lrp.MaxNodes+1, (*graphReader).nodeValue)
		if tok == jsonNull || tok == jsonBeginArray {
			r.nodes = n
		}
		return err
	}
	return r.unknown(key, tok)
}

// versionValue reads the version into v and r.version. Its errors are
// those of json.Unmarshal into struct{ Version *int }, which came first.
func (r *graphReader) versionValue(tok jsonToken, v *int) error {
	what := kindName(tok)
	switch tok {
	case jsonNull:
		r.version = nil
		return nil
	case jsonNumber:
		n, err := strconv.ParseInt(r.str, 10, strconv.IntSize)
		if err == nil {
			*v = int(n)
			r.version = v
			return nil
		}
		what += " " + r.str
	}
	if r.versionErr == nil {
		r.versionErr = fmt.Errorf("json: cannot unmarshal %s into Go struct field .version of type int", what)
	}
	return r.skip(tok)
}

func (r *graphReader) inputValue(tok jsonToken, in *inputJSON, at where) error {
	switch tok {
	case jsonNull:
		return nil
	case jsonBeginObject:
	default:
		return r.mismatch(tok, at, *in)
	}
	return r.object(func(key string, tok jsonToken) error {
		f := field(key, inputFields)
		at := where{"inputJSON", "input", f}
		switch f {
		case "shape":
			return readSlice(r, tok, &in.Shape, at, (*graphReader).intValue)
		case "low":
			return r.float32Value(tok, &in.Low, at)
		case "high":
			return r.float32Value(tok, &in.High, at)
		case "mean":
			return readSlice(r, tok, &in.Mean, at, (*graphReader).float32Value)
		case "std":
			return readSlice(r, tok, &in.Std, at, (*graphReader).float32Value)
		}
		return r.unknown(key, tok)
	})
}

func (r *graphReader) nodeValue(tok jsonToken, n *nodeJSON, at where) error {
	switch tok {
	case jsonNull:
		return nil
	case jsonBeginObject:
	default:
		return r.mismatch(tok, at, *n)
	}
	return r.object(func(key string, tok jsonToken) error {
		f := field(key, nodeFields)
		at := where{"nodeJSON", "nodes", f}
		switch f {
		case "name":
			return r.stringValue(tok, &n.Name, at)
		case "op":
			return r.stringValue(tok, &n.Op, at)
		case "inputs":
			return readSlice(r, tok, &n.Inputs, at, (*graphReader).stringValue)
		case "in_features":
			return r.intValue(tok, &n.InFeatures, at)
		case "out_features":
			return r.intValue(tok, &n.OutFeatures, at)
		case "in_channels":
			return r.intValue(tok, &n.InChannels, at)
		case "out_channels":
			return r.intValue(tok, &n.OutChannels, at)
		case "channels":
			return r.intValue(tok, &n.Channels, at)
		case "kernel":
			return readSlice(r, tok, &n.Kernel, at, (*graphReader).intValue)
		case "stride":
			return readSlice(r, tok, &n.Stride, at, (*graphReader).intValue)
		case "dilation":
			return readSlice(r, tok, &n.Dilation, at, (*graphReader).intValue)
		case "padding":
			return readSlice(r, tok, &n.Padding, at, (*graphReader).intValue)
		case "groups":
			return r.intValue(tok, &n.Groups, at)
		case "count_include_pad":
			return r.boolValue(tok, &n.CountIncludePad, at)
		case "ceil_mode":
			return r.boolValue(tok, &n.CeilMode, at)
		case "eps":
			return r.float32Value(tok, &n.Eps, at)
		case "alpha":
			return r.float32Value(tok, &n.Alpha, at)
		case "beta":
			return r.float32Value(tok, &n.Beta, at)
		case "range":
			return readSlice(r, tok, &n.Range, at, (*graphReader).intValue)
		case "weight":
			return r.stringValue(tok, &n.Weight, at)
		case "bias":
			return r.stringValue(tok, &n.Bias, at)
		case "mean":
			return r.stringValue(tok, &n.Mean, at)
		case "var":
			return r.stringValue(tok, &n.Var, at)
		}
		return r.unknown(key, tok)
	})
}

// cardValue reads the model card into *m, adding to what it holds.
func (r *graphReader) cardValue(tok jsonToken, m *map[string]string, at where) error {
	switch tok {
	case jsonNull:
		*m = nil
		return nil
	case jsonBeginObject:
	default:
		return r.mismatch(tok, at, *m)
	}
	if *m == nil {
		*m = make(map[string]string, r.count())
	}
	return r.object(func(key string, tok jsonToken) error {
		var v string
		err := r.stringValue(tok, &v, at)
		(*m)[key] = v
		return err
	})
}

// readSlice reads an array into *s, reusing its elements and capacity as
// encoding/json does: an element of a repeated field decodes over the one
// the first left.
func readSlice[T any](r *graphReader, tok jsonToken, s *[]T, at where, elem func(*graphReader, jsonToken, *T, where) error) error {
	_, err := readSliceMax(r, tok, s, at, math.MaxInt, elem)
	return err
}

// readSliceMax is readSlice keeping at most max elements; it returns how
// many the array has.
func readSliceMax[T any](r *graphReader, tok jsonToken, s *[]T, at where, max int, elem func(*graphReader, jsonToken, *T, where) error) (int, error) {
	switch tok {
	case jsonNull:
		*s = nil
		return 0, nil
	case jsonBeginArray:
	default:
		return 0, r.mismatch(tok, at, *s)
	}
	v := *s
	var spare *T // past max, each element is read into it for its errors
	i := 0
	for ; ; i++ {
		tok, err := r.next()
		if err != nil {
			return 0, err
		}
		if tok == jsonEndArray {
			break
		}
		if i >= max && spare == nil {
			spare = new(T)
		}
		e := spare
		if i < max {
			if i == len(v) {
				if i < cap(v) {
					v = v[:i+1]
				} else {
					var zero T
					v = append(v, zero)
				}
			}
			e = &v[i]
		} else {
			var zero T
			*e = zero
		}
		if err := elem(r, tok, e, at); err != nil {
			return 0, err
		}
	}
	if i == 0 {
		v = make([]T, 0)
	}
	*s = v[:min(i, max)]
	return i, nil
}

func (r *graphReader) stringValue(tok jsonToken, v *string, at where) error {
	switch tok {
	case jsonString:
		*v = r.str
	case jsonNull:
	default:
		return r.mismatch(tok, at, *v)
	}
	return nil
}

func (r *graphReader) intValue(tok jsonToken, v *int, at where) error {
	return numberValue(r, tok, v, at, func(s string) (int, error) {
		n, err := strconv.ParseInt(s, 10, strconv.IntSize)
		return int(n), err
	})
}

func (r *graphReader) float32Value(tok jsonToken, v *float32, at where) error {
	return numberValue(r, tok, v, at, func(s string) (float32, error) {
		f, err := strconv.ParseFloat(s, 32)
		return float32(f), err
	})
}

// numberValue reads a JSON number into *v by parse; null leaves *v, and a
// number parse refuses is recorded (r.fail) as encoding/json records it,
// without stopping the document.
func numberValue[T any](r *graphReader, tok jsonToken, v *T, at where, parse func(string) (T, error)) error {
	switch tok {
	case jsonNumber:
		n, err := parse(r.str)
		if err != nil {
			r.fail("number "+r.str, at, *v)
			return nil
		}
		*v = n
	case jsonNull:
	default:
		return r.mismatch(tok, at, *v)
	}
	return nil
}

func (r *graphReader) boolValue(tok jsonToken, v *bool, at where) error {
	switch tok {
	case jsonTrue, jsonFalse:
		*v = tok == jsonTrue
	case jsonNull:
	default:
		return r.mismatch(tok, at, *v)
	}
	return nil
}
