//go:build js && wasm

package main

import (
	"fmt"
	"math"
	"strconv"
	"sync"
	"syscall/js"
	"unsafe"

	"github.com/lrpwasm/lrp/app"
	"github.com/lrpwasm/lrp/lrp"
)

// Reading the arguments. The JS values of the arguments are only read
// through get and instanceOf. js.Value.Get and InstanceOf let an
// exception (a throwing getter, a Proxy trap) unwind straight through the
// Go stack; a function called with js.Value.Invoke (or Call) is caught and
// becomes a recoverable panic. Every argument is checked before it is
// copied, and copied in one bulk copy.
//
// The functions that get and instanceOf call are taken once, at start-up,
// and property names are JS strings made once (the key variables): a
// method name or a Go string crossing to JS on every call is decoded there
// each time, and each JS value that Go makes or receives costs it a
// finalizer.

// get is v[key], safely.
func get(v js.Value, key js.Value) js.Value { return reflectGet.Invoke(v, key) }

var (
	reflectGet = jsReflect.Get("get")
	isView     = jsArrayBuffer.Get("isView") // ArrayBuffer.isView, which needs no receiver

	keyBuffer      = js.ValueOf("buffer")
	keyByteLength  = js.ValueOf("byteLength")
	keyByteOffset  = js.ValueOf("byteOffset")
	keyConstructor = js.ValueOf("constructor")
	keyHeight      = js.ValueOf("height")
	keyLength      = js.ValueOf("length")
	keyMessage     = js.ValueOf("message")
	keyMode        = js.ValueOf("mode")
	keyName        = js.ValueOf("name")
	keyRGBA        = js.ValueOf("rgba")
	keyWidth       = js.ValueOf("width")
)

// A proto is an intrinsic constructor's prototype, with its isPrototypeOf
// bound to it.
type proto struct{ isPrototypeOf js.Value }

func protoOf(ctor js.Value) proto {
	p := ctor.Get("prototype")
	return proto{p.Get("isPrototypeOf").Call("bind", p)}
}

// instanceOf is v instanceof ctor (for intrinsic constructors, given by
// their prototype), safely.
func instanceOf(v js.Value, p proto) bool {
	return v.Type() == js.TypeObject && p.isPrototypeOf.Invoke(v).Bool()
}

var (
	arrayBufferProto  = protoOf(jsArrayBuffer)
	uint8ArrayProto   = protoOf(jsUint8Array)
	uint8ClampedProto = protoOf(jsUint8Clamped)
	float32ArrayProto = protoOf(jsFloat32Array)
)

func arg(args []js.Value, i int) js.Value {
	if i < len(args) {
		return args[i]
	}
	return js.Undefined()
}

// typeName names a JS value's type for error messages.
func typeName(v js.Value) string {
	switch v.Type() {
	case js.TypeObject:
		if c := get(v, keyConstructor); c.Type() == js.TypeFunction {
			if n := get(c, keyName); n.Type() == js.TypeString && n.String() != "" {
				return n.String()
			}
		}
		return "object"
	case js.TypeNull:
		return "null"
	}
	return v.Type().String()
}

func describe(v js.Value) string {
	if v.Type() == js.TypeNumber {
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return typeName(v)
}

func view(v js.Value) bool {
	return v.Type() == js.TypeObject && isView.Invoke(v).Bool()
}

// byteView returns a Uint8Array over the bytes of an ArrayBuffer or an
// ArrayBuffer view, rejecting a detached buffer.
func byteView(v js.Value, what string) (js.Value, int, error) {
	switch {
	case instanceOf(v, arrayBufferProto):
		n := get(v, keyByteLength).Int()
		if n == 0 {
			return js.Value{}, 0, fmt.Errorf("lrp: %s: the ArrayBuffer is empty or detached (transferred to another thread)", what)
		}
		return jsUint8Array.New(v), n, nil
	case instanceOf(v, uint8ArrayProto) || instanceOf(v, uint8ClampedProto):
		n := get(v, keyByteLength).Int()
		if n == 0 && get(get(v, keyBuffer), keyByteLength).Int() == 0 {
			return js.Value{}, 0, fmt.Errorf("lrp: %s: the %s's buffer is empty or detached (transferred to another thread)", what, typeName(v))
		}
		return v, n, nil // CopyBytesToGo reads these directly
	case view(v):
		buffer := get(v, keyBuffer)
		n := get(v, keyByteLength).Int()
		if get(buffer, keyByteLength).Int() == 0 {
			return js.Value{}, 0, fmt.Errorf("lrp: %s: the %s's buffer is empty or detached (transferred to another thread)", what, typeName(v))
		}
		return jsUint8Array.New(buffer, get(v, keyByteOffset), n), n, nil
	}
	return js.Value{}, 0, fmt.Errorf("lrp: %s must be bytes (Uint8Array or ArrayBuffer), got %s", what, typeName(v))
}

// bytesArg copies a byte argument into a new Go slice, once check
// accepts its length.
func bytesArg(v js.Value, what string, check func(n int64) error) ([]byte, error) {
	u, n, err := byteView(v, what)
	if err != nil {
		return nil, err
	}
	if err := check(int64(n)); err != nil {
		return nil, err
	}
	b := make([]byte, n)
	js.CopyBytesToGo(b, u)
	heldJS(n)
	return b, nil
}

// Input buffers are reused across calls: a call takes one when it copies its
// argument and gives it back when its work is done.
var bufs = sync.Pool{New: func() any { return new([]byte) }}

func release(b *[]byte) {
	if b != nil {
		bufs.Put(b)
	}
}

// copyIn copies the bytes of view u (n bytes) into a pooled buffer.
func copyIn(u js.Value, n int) *[]byte {
	b := pooled(n)
	js.CopyBytesToGo(*b, u)
	heldJS(n)
	return b
}

// An input is a call's input copied into Go: the model input (X) or an
// RGBA image, in a pooled buffer that release gives back when the call
// ends (none for an empty one).
type input struct {
	app.Input
	buf *[]byte
}

// inputArg reads the input of explain, evaluate and explainPart: a
// Float32Array (the model input) or {rgba, width, height, mode}, copied
// once s accepts its length, or check an image of its size and mode.
func inputArg(v js.Value, s *app.Session, check func(app.Input) error) (input, error) {
	if floatView(v) {
		x, b, err := floatsOf(v, "input", s.Model().CheckInputLen)
		return input{app.Input{X: x}, b}, err
	}
	if v.Type() == js.TypeObject && get(v, keyRGBA).Type() != js.TypeUndefined {
		return imageArg(v, check)
	}
	return input{}, fmt.Errorf("lrp: input must be a Float32Array (the model input) or {rgba, width, height, mode}, got %s", typeName(v))
}

// floatView reports whether v is a Float32Array.
func floatView(v js.Value) bool { return instanceOf(v, float32ArrayProto) && view(v) }

// floatsArg copies a Float32Array into a pooled buffer and returns it as
// float32s, once check (if not nil) accepts its length; want says what
// else would do, for the error.
func floatsArg(v js.Value, what, want string, check func(n int) error) ([]float32, *[]byte, error) {
	if !floatView(v) {
		return nil, nil, fmt.Errorf("lrp: %s must be %s, got %s", what, want, typeName(v))
	}
	return floatsOf(v, what, check)
}

// floatsOf is floatsArg for a v that is a Float32Array.
func floatsOf(v js.Value, what string, check func(n int) error) ([]float32, *[]byte, error) {
	n := get(v, keyLength).Int() // 0 when its buffer is detached
	if n == 0 {
		if get(get(v, keyBuffer), keyByteLength).Int() == 0 {
			return nil, nil, fmt.Errorf("lrp: %s: the Float32Array's buffer is empty or detached (transferred to another thread)", what)
		}
		return []float32{}, nil, nil
	}
	if err := checkFloats(n, what, check); err != nil {
		return nil, nil, err
	}
	b := copyIn(jsUint8Array.New(get(v, keyBuffer), get(v, keyByteOffset), 4*n), 4*n)
	return asFloats(*b), b, nil
}

// checkFloats checks the length n > 0 of a float argument: at most
// lrp.MaxInputLen, and what check (if not nil) accepts.
func checkFloats(n int, what string, check func(n int) error) error {
	if n > lrp.MaxInputLen {
		return fmt.Errorf("lrp: %s has %d values, more than any model input (%d)", what, n, lrp.MaxInputLen)
	}
	if check != nil {
		return check(n)
	}
	return nil
}

// asFloats is b's bytes as float32s (b's length a multiple of 4).
func asFloats(b []byte) []float32 {
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(b))), len(b)/4)
}

// pooled takes a pooled buffer of n bytes.
func pooled(n int) *[]byte {
	b := bufs.Get().(*[]byte)
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	*b = (*b)[:n]
	return b
}

// imageArg reads {rgba, width, height, mode}.
func imageArg(v js.Value, check func(app.Input) error) (input, error) {
	mode, err := stringArg(get(v, keyMode), "input.mode")
	if err != nil {
		return input{}, err
	}
	return pixels(get(v, keyRGBA), get(v, keyWidth), get(v, keyHeight), mode, check)
}

// maxSide bounds width and height so that 4·width·height fits an int.
const maxSide = 1 << 15

// pixels reads an RGBA image and copies it into a pooled buffer, once
// check accepts its size and mode (given as an app.Input without pixels):
// a call that the session would refuse leaves memory as it was.
func pixels(rgba, width, height js.Value, mode string, check func(app.Input) error) (input, error) {
	w, err := intArg(width, "width", 1, maxSide)
	if err != nil {
		return input{}, err
	}
	h, err := intArg(height, "height", 1, maxSide)
	if err != nil {
		return input{}, err
	}
	if !(instanceOf(rgba, uint8ArrayProto) || instanceOf(rgba, uint8ClampedProto)) || !view(rgba) {
		return input{}, fmt.Errorf("lrp: rgba must be a Uint8ClampedArray or Uint8Array (e.g. ImageData.data), got %s", typeName(rgba))
	}
	u, n, err := byteView(rgba, "rgba")
	if err != nil {
		return input{}, err
	}
	if n != 4*w*h {
		return input{}, fmt.Errorf("lrp: rgba has %d bytes, want 4·%d·%d = %d", n, w, h, 4*w*h)
	}
	if err := check(app.Input{Width: w, Height: h, Mode: mode}); err != nil {
		return input{}, err
	}
	b := copyIn(u, n)
	return input{app.Input{RGBA: *b, Width: w, Height: h, Mode: mode}, b}, nil
}

func intArg(v js.Value, what string, lo, hi int) (int, error) {
	if v.Type() != js.TypeNumber || !jsNumberIsInteger.Invoke(v).Bool() {
		return 0, fmt.Errorf("lrp: %s must be an integer, got %s", what, describe(v))
	}
	f := v.Float()
	if f < float64(lo) || f > float64(hi) || math.IsNaN(f) {
		return 0, fmt.Errorf("lrp: %s %s out of range %d..%d", what, strconv.FormatFloat(f, 'f', -1, 64), lo, hi)
	}
	return int(f), nil
}

// maxText is the most characters (UTF-16 code units) a string argument
// may have: options, settings and a labels file take a megabyte or two at
// most, and a longer string is refused before Go copies it.
const maxText = 8 << 20

// textErr is the error of a string argument of n characters, more than
// maxText.
func textErr(what string, n int) error {
	return fmt.Errorf("lrp: %s has %d characters, more than the %d allowed", what, n, maxText)
}

// stringArg reads an optional string (undefined and null are ""), of at
// most maxText characters.
func stringArg(v js.Value, what string) (string, error) {
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return "", nil
	case js.TypeString:
		// Object(v) is v's String wrapper, whose length Go reads without
		// copying the characters (Value.Length refuses a primitive).
		if n := jsObject.Invoke(v).Length(); n > maxText {
			return "", textErr(what, n)
		}
		return v.String(), nil
	}
	return "", fmt.Errorf("lrp: %s must be a string, got %s", what, typeName(v))
}

// The last options parsed: a page that redraws as the user draws sends the
// same options again and again.
var (
	lastOptions       string
	lastOptionsJS     js.Value
	lastOptionsParsed *app.Options
	optionsMu         sync.Mutex
)

// optionsArg parses the options JSON string. The result is shared between
// calls with the same string and must not be modified. The same text
// again is found without copying it into Go: a JS string equal to one that
// Go holds (lastOptionsJS) is the same js.Value.
func optionsArg(v js.Value) (*app.Options, error) {
	optionsMu.Lock()
	defer optionsMu.Unlock()
	if lastOptionsParsed != nil && v.Type() == js.TypeString && v.Equal(lastOptionsJS) {
		return lastOptionsParsed, nil
	}
	s, err := stringArg(v, "options (JSON)")
	if err != nil {
		return nil, err
	}
	o, err := parseOptions([]byte(s))
	if err == nil {
		lastOptionsJS = v
	}
	return o, err
}

// optionsText is optionsArg for the options JSON as bytes in linear
// memory (explainFast).
func optionsText(b []byte) (*app.Options, error) {
	optionsMu.Lock()
	defer optionsMu.Unlock()
	return parseOptions(b)
}

// parseOptions parses the options JSON b, or returns the last options
// parsed if b is their text (a comparison that copies nothing), and
// remembers them. The caller holds optionsMu; lastOptionsJS is no JS
// string after new options (the caller that has theirs sets it).
func parseOptions(b []byte) (*app.Options, error) {
	if lastOptionsParsed != nil && string(b) == lastOptions {
		return lastOptionsParsed, nil
	}
	o, err := app.ParseOptions(b)
	if err != nil {
		return nil, err
	}
	lastOptions, lastOptionsParsed, lastOptionsJS = string(b), o, js.Undefined()
	return o, nil
}
