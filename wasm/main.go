//go:build js && wasm

// Command wasm is the WebAssembly build of the engine. It publishes one API
// object, globalThis.__lrp, which web/lrp.js takes over, and blocks. This
// file only converts values: JS arguments are checked and copied into Go
// memory in one bulk copy each, the work is done by package app, and a
// result goes back as one Uint8Array (one copy) holding its arrays and a
// JSON object for everything else. Every function returns a Promise; a bad
// argument, an error or a panic rejects it with an Error and leaves the
// runtime running.
//
// The raw API (lrp.js wraps it into docs/JS_API.md):
//
//	loadModel(bytes: ArrayBuffer|view)               → Promise<string: info JSON>
//	explain(input, options: string)                  → Promise<Uint8Array: app.Result.Pack>
//	    input: Float32Array | {rgba: Uint8Array|Uint8ClampedArray, width, height, mode?}
//	evaluate(input, options: string)                 → Promise<string: app.Evaluation JSON>
//	preprocess(rgba, width, height, mode: string)    → Promise<Uint8Array: float32 input>
//	render(relevance: Float32Array, options: string) → Promise<Uint8Array: app.Rendered.Pack>
//	explainPart, receive, abortPart: one explanation split over two instances (split.go)
//	version: string, composites: string (JSON), colormaps: string (JSON)
//
// A result crosses as one Uint8Array (header, JSON, arrays; see
// app.Result.Pack), so a call creates few JS values: each one Go holds is
// released only when a Go collection finalizes it.
package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"strconv"
	"sync"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/lrpwasm/lrp/app"
	"github.com/lrpwasm/lrp/lrp"
)

var (
	global            = js.Global()
	jsObject          = global.Get("Object")
	jsArrayBuffer     = global.Get("ArrayBuffer")
	jsUint8Array      = global.Get("Uint8Array")
	jsUint8Clamped    = global.Get("Uint8ClampedArray")
	jsFloat32Array    = global.Get("Float32Array")
	jsPromise         = global.Get("Promise")
	jsError           = global.Get("Error")
	jsNumberIsInteger = global.Get("Number").Get("isInteger")
	jsReflect         = global.Get("Reflect")
	jsString          = global.Get("String")
)

// The JS values of the arguments are only read through get and instanceOf.
// js.Value.Get and InstanceOf let an exception (a throwing getter, a Proxy
// trap) unwind straight through the Go stack; a method call made with
// js.Value.Call is caught and becomes a recoverable panic.

// get is v[key], safely.
func get(v js.Value, key string) js.Value { return jsReflect.Call("get", v, key) }

// instanceOf is v instanceof ctor (for intrinsic constructors, given by
// their prototype), safely.
func instanceOf(v js.Value, proto js.Value) bool {
	return v.Type() == js.TypeObject && proto.Call("isPrototypeOf", v).Bool()
}

var (
	arrayBufferProto  = jsArrayBuffer.Get("prototype")
	uint8ArrayProto   = jsUint8Array.Get("prototype")
	uint8ClampedProto = jsUint8Clamped.Get("prototype")
	float32ArrayProto = jsFloat32Array.Get("prototype")
)

// mu serializes the work of all calls: they share the session and its
// buffers, and results are copied out before the lock is released.
var (
	mu      sync.Mutex
	session *app.Session
)

// Linear memory never shrinks, so a page pays for the heap's peak, and
// the JS values Go holds (about five per call) are freed only when a
// collection finalizes them. Left to its pacer, Go collects when the heap
// has doubled (4 MB at least): memory would step up well into a session and
// the values would pile up between collections. holdMemory sets the next
// collection instead: when the heap holds the live data plus a headroom of
// a sixteenth of it (128 KB at least; the runtime does not go below a
// 1 MB heap goal), a few dozen calls' garbage. It does so through Go's
// soft memory limit, which the runtime keeps at least max(1 MB, 3%) above
// its heap goal, and it takes the memory for the headroom at once, so
// memory grows when the live data does (a load, another composite's cached
// weights) and stays flat in between. A call that needs more than the
// limit still gets it (the limit is soft); the limit then follows.
var (
	memTarget  int64
	memSamples = []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	headroom []byte
)

func holdMemory() {
	metrics.Read(memSamples)
	v := func(i int) int64 { return int64(memSamples[i].Value.Uint64()) }
	mapped, free, objects, live := v(0)-v(1), v(2), v(3), v(4)
	want := max(128<<10, live/16)
	target := (mapped - free - objects) + live + want // non-heap memory, live data, headroom
	if d := target - memTarget; d > -want/4 && d < want/4 {
		return
	}
	if grow := target - mapped; grow > 0 {
		headroom = make([]byte, grow) // taken now, garbage at once
		headroom = nil
	}
	memTarget = target
	debug.SetMemoryLimit(target + max(1<<20, target/32))
}

// Go holds every JS value it is given (an argument) or makes (a result)
// until a collection finalizes it, and with it the value's memory in JS:
// a ResNet-18 explanation's input and result, 2 MB. A large model's calls
// leave too little garbage in Go's heap to start a collection for
// thousands of calls (holdMemory's headroom is a sixteenth of the live
// heap), so JS memory would grow by 2 MB per call until then. jsHeld
// counts those bytes, plus jsValueCost per value, since the last
// collection; collectJS, after each call, collects once they reach
// jsHeldMax (every 32 calls of a ResNet-18, 1.6 ms each).
var jsHeld int

const (
	jsHeldMax   = 64 << 20
	jsValueCost = 1 << 10
)

// heldJS counts one JS value of n bytes that Go holds.
func heldJS(n int) { jsHeld += n + jsValueCost }

func collectJS() {
	if jsHeld >= jsHeldMax {
		jsHeld = 0
		runtime.GC()
	}
}

// primeFinalizers makes and drops n JS values, once, for the collection
// that ends the first load to finalize. Go frees a JS value it held only
// when a collection finalizes it; the runtime's finalizer queue grows,
// once, to the most values outstanding at one collection (a few hundred:
// each call holds about five), taking a new 256 KB chunk of memory that is
// never returned. Doing it at the first load moves that one-time growth
// there, so memory is flat from the first calls on instead of stepping up
// after a few dozen.
func primeFinalizers(n int) {
	if primed {
		return
	}
	primed = true
	for range n {
		_ = jsObject.New()
	}
}

var primed bool

func main() {
	api := jsObject.New()
	api.Set("version", app.Version())
	api.Set("composites", mustJSON(app.Methods()))
	api.Set("colormaps", mustJSON(app.ColorMaps()))
	api.Set("loadModel", call(loadModel))
	api.Set("explain", call(explain))
	api.Set("preprocess", call(preprocess))
	api.Set("render", call(render))
	api.Set("evaluate", call(evaluate))
	api.Set("explainPart", js.FuncOf(explainPart))
	api.Set("receive", promised(receive)) // not call: explainPart holds mu
	api.Set("abortPart", promised(abortPart))
	api.Set("crash", js.FuncOf(crash))
	global.Set("__lrp", api)
	select {}
}

func mustJSON(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		panic(err)
	}
	return string(b)
}

// A prepare function checks and copies the JS arguments now, in the
// caller's turn, before the caller can change or transfer its buffers. It
// returns the work to run under mu.
type prepare func(args []js.Value) (work func() (any, error), err error)

// call wraps p into a JS function returning a Promise. The work runs at
// once, in the callback, and the Promise is returned already settled: in
// js/wasm a goroutine started here would run to completion before control
// returns to JavaScript anyway, and a pending Promise would cost a call
// back into Go (its executor) and four more JS values per call, values Go
// releases only when a collection finalizes them. p runs under the lock
// too, so that it may ask the session whether an input fits before it
// copies it.
func call(p prepare) js.Func {
	return promised(func(args []js.Value) (any, error) {
		return guarded(func() (any, error) {
			work, err := p(args)
			if err != nil {
				return nil, err
			}
			return work()
		})
	})
}

// promised wraps f into a JS function returning a settled Promise:
// resolved with f's value, rejected with its error or a panic.
func promised(f func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				ret = rejected(panicError(r))
			}
		}()
		v, err := f(args)
		if err != nil {
			return rejected(err)
		}
		return jsPromise.Call("resolve", v)
	})
}

func guarded(work func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, panicError(r)
		}
	}()
	if !mu.TryLock() { // only a split explanation waits with the lock held
		return nil, errors.New("lrp: busy: a split explanation (explainPart) is running")
	}
	defer mu.Unlock()
	defer holdMemory()
	defer collectJS()
	return work()
}

func rejected(err error) js.Value {
	return jsPromise.Call("reject", jsError.New(err.Error()))
}

// panicError turns a recovered panic into an error: a JS exception thrown
// while reading an argument (a revoked Proxy, a throwing getter) keeps its
// message; anything else is a bug, reported as such.
func panicError(r any) error {
	var jerr js.Error
	if e, ok := r.(error); ok && errors.As(e, &jerr) {
		return fmt.Errorf("lrp: reading the arguments threw: %s", message(jerr.Value))
	}
	return fmt.Errorf("lrp: internal error (please report): %v", r)
}

// message is the text of a thrown JS value (an Error's message, or any
// value converted to a string).
func message(v js.Value) (msg string) {
	defer func() {
		if recover() != nil {
			msg = "(an exception that cannot be converted to a string)"
		}
	}()
	if v.Type() == js.TypeObject {
		if m := get(v, "message"); m.Type() == js.TypeString {
			return m.String()
		}
	}
	return jsString.Invoke(v).String()
}

func current() (*app.Session, error) {
	if session == nil {
		return nil, errors.New("lrp: no model loaded: call loadModel first")
	}
	return session, nil
}

// loadModel(bytes) → info JSON. A failed load keeps the previous model.
func loadModel(args []js.Value) (func() (any, error), error) {
	data, err := bytesArg(arg(args, 0), "model bytes", app.CheckFileSize)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		// The file's bytes and the decoder's garbage go as soon as the
		// load is done, so the memory limit is set from what the session
		// keeps; the runtime's own one-time growth (collector metadata,
		// finalizer records) happens in these collections too, not during
		// the first calls.
		// The memory limit holdMemory set for the previous model would
		// have the collector run over and over while the new one's
		// hundreds of megabytes arrive: it is lifted for the load, then
		// set again from what is live after it.
		debug.SetMemoryLimit(math.MaxInt64)
		memTarget = 0
		// The previous model stays until the new one has loaded, but
		// its caches go now, so that the new one reuses their memory.
		if session != nil {
			session.Release()
			runtime.GC()
		}
		defer func() {
			for range 3 {
				runtime.GC()
			}
		}()
		primeFinalizers(1000)
		t0 := time.Now()
		s, err := app.Open(data)
		data = nil
		if err != nil {
			return nil, err
		}
		t1 := time.Now()
		session = s
		warm(s)
		info, err := json.Marshal(loadInfo{s.Info(), loadTimings{ms(t1.Sub(t0)), ms(time.Since(t1))}})
		if err != nil {
			return nil, err
		}
		return string(info), nil
	}, nil
}

// loadInfo is what loadModel returns: the model's app.Info and how long
// the load's parts took.
type loadInfo struct {
	*app.Info
	Timings loadTimings `json:"timings"`
}

// loadTimings are in milliseconds: decode is reading the file into a model
// (parsing, float16 decoding, folding BatchNorm, the session's buffers),
// warm is warm's (the default composite's caches of a large model, or a
// blank explanation of a small one). The collections that end the load
// follow them.
type loadTimings struct {
	Decode float64 `json:"decode"`
	Warm   float64 `json:"warm"`
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// warm explains a blank input with the default options, so that what a
// first call sets up once (the explainer's caches and buffers) is made
// while loading, before the collections that end the load: the first user
// call is then as fast as the next ones, and memory does not step up in it.
// Only small models are warmed so: for a large one the blank explanation
// would add seconds to the load, so only the default composite's caches
// of modified weights are built (a ResNet-18's W⁺ and W + γW⁺, 94 MB).
func warm(s *app.Session) {
	if s.WorkingSet() > warmLimit {
		s.Prepare(nil) // the default options are valid
		return
	}
	s.Explain(app.Input{X: make([]float32, s.Model().InputLen())}, nil)
}

// warmLimit is the largest working set (app.Session.WorkingSet) warmed at
// load: MNIST-sized models (about 0.3 MB) and up to small image models.
const warmLimit = 16 << 20

// explain(input, options) → the result packed by app.Result.Pack.
func explain(args []js.Value) (func() (any, error), error) {
	s, err := current()
	if err != nil {
		return nil, err
	}
	opt, err := optionsArg(arg(args, 1))
	if err != nil {
		return nil, err
	}
	in, buf, err := inputArg(arg(args, 0), s, func(in app.Input) error { return s.CheckExplain(in, opt) })
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		defer release(buf)
		s, err := current()
		if err != nil {
			return nil, err
		}
		r, err := s.Explain(in, opt)
		if err != nil {
			return nil, err
		}
		packed = r.Pack(packed[:0])
		return bytesToJS(packed), nil
	}, nil
}

// inputArg reads the input of explain and evaluate: a Float32Array (the
// model input) or {rgba, width, height, mode}, copied into a pooled buffer
// once s accepts its length, or check an image of its size and mode.
func inputArg(v js.Value, s *app.Session, check func(app.Input) error) (app.Input, *[]byte, error) {
	if v.Type() == js.TypeObject && get(v, "rgba").Type() != js.TypeUndefined {
		img, err := imageArg(v, check)
		return img.input, img.buf, err
	}
	x, b, err := floatsArg(v, "input", "a Float32Array (the model input) or {rgba, width, height, mode}", s.Model().CheckInputLen)
	return app.Input{X: x}, b, err
}

// evaluate(input, options) → the JSON of app.Evaluation: region
// perturbation curves and AOPC of every method of the options.
func evaluate(args []js.Value) (func() (any, error), error) {
	s, err := stringArg(arg(args, 1), "options (JSON)")
	if err != nil {
		return nil, err
	}
	opt, err := app.ParseEvalOptions([]byte(s))
	if err != nil {
		return nil, err
	}
	sess, err := current()
	if err != nil {
		return nil, err
	}
	in, buf, err := inputArg(arg(args, 0), sess, func(in app.Input) error { return sess.CheckEvaluate(in, opt) })
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		defer release(buf)
		s, err := current()
		if err != nil {
			return nil, err
		}
		r, err := s.Evaluate(in, opt)
		if err != nil {
			return nil, err
		}
		b, err := json.Marshal(r)
		if err != nil {
			return nil, err
		}
		return string(b), nil
	}, nil
}

// preprocess(rgba, width, height, mode) → float32 input bytes.
func preprocess(args []js.Value) (func() (any, error), error) {
	mode, err := stringArg(arg(args, 3), "mode")
	if err != nil {
		return nil, err
	}
	s, err := current()
	if err != nil {
		return nil, err
	}
	img, err := pixels(arg(args, 0), arg(args, 1), arg(args, 2), mode, s.CheckPreprocess)
	if err != nil {
		return nil, err
	}
	return func() (any, error) {
		defer release(img.buf)
		s, err := current()
		if err != nil {
			return nil, err
		}
		x, err := s.Preprocess(img.input.RGBA, img.input.Width, img.input.Height, mode)
		if err != nil {
			return nil, err
		}
		return floatsToJS(x), nil
	}, nil
}

// render(relevance, options) → the heatmap packed by app.Rendered.Pack.
func render(args []js.Value) (func() (any, error), error) {
	rel, buf, err := floatsArg(arg(args, 0), "relevance", "a Float32Array", nil)
	if err != nil {
		return nil, err
	}
	opt, err := optionsArg(arg(args, 1))
	if err != nil {
		release(buf)
		return nil, err
	}
	return func() (any, error) {
		defer release(buf)
		s, err := current()
		if err != nil {
			return nil, err
		}
		r, err := s.Render(rel, opt)
		if err != nil {
			return nil, err
		}
		packed = r.Pack(packed[:0])
		return bytesToJS(packed), nil
	}, nil
}

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
		if c := get(v, "constructor"); c.Type() == js.TypeFunction {
			if n := get(c, "name"); n.Type() == js.TypeString && n.String() != "" {
				return n.String()
			}
		}
		return "object"
	case js.TypeNull:
		return "null"
	}
	return v.Type().String()
}

func isView(v js.Value) bool {
	return v.Type() == js.TypeObject && jsArrayBuffer.Call("isView", v).Bool()
}

// byteView returns a Uint8Array over the bytes of an ArrayBuffer or an
// ArrayBuffer view, rejecting a detached buffer.
func byteView(v js.Value, what string) (js.Value, int, error) {
	switch {
	case instanceOf(v, arrayBufferProto):
		n := get(v, "byteLength").Int()
		if n == 0 {
			return js.Value{}, 0, fmt.Errorf("lrp: %s: the ArrayBuffer is empty or detached (transferred to another thread)", what)
		}
		return jsUint8Array.New(v), n, nil
	case instanceOf(v, uint8ArrayProto) || instanceOf(v, uint8ClampedProto):
		n := get(v, "byteLength").Int()
		if n == 0 && get(get(v, "buffer"), "byteLength").Int() == 0 {
			return js.Value{}, 0, fmt.Errorf("lrp: %s: the %s's buffer is empty or detached (transferred to another thread)", what, typeName(v))
		}
		return v, n, nil // CopyBytesToGo reads these directly
	case isView(v):
		buffer := get(v, "buffer")
		n := get(v, "byteLength").Int()
		if get(buffer, "byteLength").Int() == 0 {
			return js.Value{}, 0, fmt.Errorf("lrp: %s: the %s's buffer is empty or detached (transferred to another thread)", what, typeName(v))
		}
		return jsUint8Array.New(buffer, get(v, "byteOffset"), n), n, nil
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
	b := bufs.Get().(*[]byte)
	if cap(*b) < n {
		*b = make([]byte, n)
	}
	*b = (*b)[:n]
	js.CopyBytesToGo(*b, u)
	heldJS(n)
	return b
}

// floatsArg copies a Float32Array into a pooled buffer and returns it as
// float32s, once check (if not nil) accepts its length; want says what
// else would do, for the error.
func floatsArg(v js.Value, what, want string, check func(n int) error) ([]float32, *[]byte, error) {
	if !instanceOf(v, float32ArrayProto) || !isView(v) {
		return nil, nil, fmt.Errorf("lrp: %s must be %s, got %s", what, want, typeName(v))
	}
	n := get(v, "length").Int()
	if n == 0 {
		if get(get(v, "buffer"), "byteLength").Int() == 0 {
			return nil, nil, fmt.Errorf("lrp: %s: the Float32Array's buffer is empty or detached (transferred to another thread)", what)
		}
		return []float32{}, nil, nil
	}
	if n > lrp.MaxInputLen {
		return nil, nil, fmt.Errorf("lrp: %s has %d values, more than any model input (%d)", what, n, lrp.MaxInputLen)
	}
	if check != nil {
		if err := check(n); err != nil {
			return nil, nil, err
		}
	}
	u, _, err := byteView(v, what)
	if err != nil {
		return nil, nil, err
	}
	b := copyIn(u, 4*n)
	return unsafe.Slice((*float32)(unsafe.Pointer(unsafe.SliceData(*b))), n), b, nil
}

type image struct {
	input app.Input
	buf   *[]byte
}

// imageArg reads {rgba, width, height, mode}.
func imageArg(v js.Value, check func(app.Input) error) (image, error) {
	mode, err := stringArg(get(v, "mode"), "input.mode")
	if err != nil {
		return image{}, err
	}
	return pixels(get(v, "rgba"), get(v, "width"), get(v, "height"), mode, check)
}

// maxSide bounds width and height so that 4·width·height fits an int.
const maxSide = 1 << 15

// pixels reads an RGBA image and copies it into a pooled buffer, once
// check accepts its size and mode (given as an app.Input without pixels):
// a call that the session would refuse leaves memory as it was.
func pixels(rgba, width, height js.Value, mode string, check func(app.Input) error) (image, error) {
	w, err := intArg(width, "width", 1, maxSide)
	if err != nil {
		return image{}, err
	}
	h, err := intArg(height, "height", 1, maxSide)
	if err != nil {
		return image{}, err
	}
	if !(instanceOf(rgba, uint8ArrayProto) || instanceOf(rgba, uint8ClampedProto)) || !isView(rgba) {
		return image{}, fmt.Errorf("lrp: rgba must be a Uint8ClampedArray or Uint8Array (e.g. ImageData.data), got %s", typeName(rgba))
	}
	u, n, err := byteView(rgba, "rgba")
	if err != nil {
		return image{}, err
	}
	if n != 4*w*h {
		return image{}, fmt.Errorf("lrp: rgba has %d bytes, want 4·%d·%d = %d", n, w, h, 4*w*h)
	}
	if err := check(app.Input{Width: w, Height: h, Mode: mode}); err != nil {
		return image{}, err
	}
	b := copyIn(u, n)
	return image{app.Input{RGBA: *b, Width: w, Height: h, Mode: mode}, b}, nil
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

// stringArg reads an optional string (undefined and null are "").
func stringArg(v js.Value, what string) (string, error) {
	switch v.Type() {
	case js.TypeUndefined, js.TypeNull:
		return "", nil
	case js.TypeString:
		return v.String(), nil
	}
	return "", fmt.Errorf("lrp: %s must be a string, got %s", what, typeName(v))
}

// The last options parsed: a page that redraws as the user draws sends the
// same options again and again.
var (
	lastOptions       string
	lastOptionsParsed *app.Options
	optionsMu         sync.Mutex
)

// optionsArg parses the options JSON string. The result is shared between
// calls with the same string and must not be modified.
func optionsArg(v js.Value) (*app.Options, error) {
	s, err := stringArg(v, "options (JSON)")
	if err != nil {
		return nil, err
	}
	optionsMu.Lock()
	defer optionsMu.Unlock()
	if lastOptionsParsed != nil && s == lastOptions {
		return lastOptionsParsed, nil
	}
	o, err := app.ParseOptions([]byte(s))
	if err != nil {
		return nil, err
	}
	lastOptions, lastOptionsParsed = s, o
	return o, nil
}

func describe(v js.Value) string {
	if v.Type() == js.TypeNumber {
		return strconv.FormatFloat(v.Float(), 'g', -1, 64)
	}
	return typeName(v)
}

// packed holds the last result in the form of app.Result.Pack (guarded by
// mu): one buffer, one copy to JS, one JS object per call.
var packed []byte

func bytesToJS(b []byte) js.Value {
	heldJS(len(b))
	u := jsUint8Array.New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}

func floatsToJS(f []float32) js.Value {
	return bytesToJS(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(f))), 4*len(f)))
}
