//go:build js && wasm

// Command wasm is the WebAssembly build of the engine. It publishes one API
// object, globalThis.__lrp, which web/lrp.js takes over, and blocks. It
// only converts values: JS arguments are checked and copied into Go
// memory in one bulk copy each (args.go), the work is done by package app,
// and a result goes back as one buffer holding its arrays, its numbers and
// the JSON text of its strings (app.Result.Pack). Every function returns a Promise (call.go),
// but explain and render, which return the address of that buffer in
// linear memory for lrp.js to copy out at once (direct); a bad argument,
// an error or a panic rejects the Promise (or is returned) as an Error and
// leaves the runtime running. memory.go keeps linear memory flat.
//
// The raw API (lrp.js wraps it into docs/JS_API.md):
//
//	loadModel(bytes: ArrayBuffer|view, warm?: bool)  → Promise<string: info JSON>
//	warm()                                           → Promise<number: ms>
//	prefault(ms: number)                             → bool: memory left to touch (memory.go)
//	explain(input, options: string)                  → address: app.Result.Pack, or Error
//	    input: Float32Array | {rgba: Uint8Array|Uint8ClampedArray, width, height, mode?}
//	evaluate(input, options: string)                 → Promise<string: app.Evaluation JSON>
//	preprocess(rgba, width, height, mode: string)    → Promise<Uint8Array: float32 input>
//	render(relevance: Float32Array, options: string) → address: app.Rendered.Pack, or Error
//	explainPart, receive, abortPart: one explanation split over two instances (split.go)
//	version: string, composites, rules, colormaps: string (JSON)
//
// lrp.js explains a Float32Array input through functions exported with
// //go:wasmexport instead (export.go): lrpText, lrpInput, lrpExplain,
// lrpError, the same work without syscall/js.
//
// A result crosses as one buffer (header, numbers and strings, arrays; see
// app.Result.Pack), read by lrp.js from linear memory or, for a split
// explanation, one Uint8Array, so a call creates few JS values: each one
// Go holds is released only when a Go collection finalizes it.
package main

import (
	"encoding/json"
	"fmt"
	"math"
	"runtime/debug"
	"syscall/js"
	"time"
	"unsafe"

	"github.com/lrpwasm/lrp/app"
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

func main() {
	primeDecoder()
	api := jsObject.New()
	api.Set("version", app.Version())
	api.Set("composites", mustJSON(app.Methods()))
	api.Set("rules", mustJSON(app.Rules()))
	api.Set("colormaps", mustJSON(app.ColorMaps()))
	api.Set("loadModel", locked(loadModel))
	api.Set("warm", locked(warm))
	api.Set("prefault", js.FuncOf(prefault))
	api.Set("configure", locked(configure))
	api.Set("explain", direct(explain))
	api.Set("preprocess", call(preprocess))
	api.Set("render", direct(render))
	api.Set("evaluate", call(evaluate))
	api.Set("explainPart", js.FuncOf(explainPart))
	api.Set("receive", promised(receive)) // not locked: explainPart holds mu
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

// loadModel(bytes, warm) → info JSON. A failed load keeps the previous
// model. With warm false the warm-up is left to a call of warm, so that
// the caller learns of the model (and can show it) sooner, and an
// explanation that comes before it is a cold one (app.Session.WarmLater).
func loadModel(args []js.Value) (any, error) {
	data, err := bytesArg(arg(args, 0), "model bytes", app.CheckFileSize)
	if err != nil {
		return nil, err
	}
	beginLoad(int64(len(data)))
	loaded := false
	defer func() {
		if loaded {
			armPrefault() // after endLoad: what the session holds is all that stays
		}
	}()
	defer endLoad()
	t0 := time.Now()
	s, err := app.Open(data)
	if err != nil {
		return nil, err
	}
	t1 := time.Now()
	session = s
	loaded = true
	reserve(s.Ahead()) // the caches and the first explanation's buffers, at once
	if w := arg(args, 1); w.Type() != js.TypeBoolean || w.Bool() {
		// A failed warm-up leaves the session usable: the first call with
		// the default options meets the same error and reports it.
		_ = s.Warm()
	} else {
		s.WarmLater() // an explanation before warm keeps no packed operand
	}
	return jsonString(loadInfo{s.Info(), loadTimings{ms(t1.Sub(t0)), ms(time.Since(t1))}}, nil)
}

// warm() → milliseconds: the warm-up (app.Session.Warm) of the model
// loaded last, which loadModel(bytes, false) left out. Like the load, it
// runs without the memory limit, which the call's end sets again.
func warm(args []js.Value) (any, error) {
	s, err := current()
	if err != nil {
		return nil, err
	}
	debug.SetMemoryLimit(math.MaxInt64)
	heapGoal.Reset()
	t := time.Now()
	_ = s.Warm() // as in loadModel
	return ms(time.Since(t)), nil
}

// configure(settings) → info JSON: the model's normalization and class
// names (app.Settings). A refused call changes nothing; an accepted one
// that drops the caches warms the session again, as a load does.
func configure(args []js.Value) (any, error) {
	s, err := current()
	if err != nil {
		return nil, err
	}
	v := arg(args, 0)
	// The length is read before Go copies the string (Value.Length
	// refuses a primitive: it asks the String object that wraps it).
	if v.Type() == js.TypeString {
		if n := jsObject.Invoke(v).Get("length").Int(); n > app.MaxSettings {
			return nil, fmt.Errorf("app: settings: %d characters, more than the %d allowed", n, app.MaxSettings)
		}
	}
	str, err := stringArg(v, "settings (JSON)")
	if err != nil {
		return nil, err
	}
	st, err := app.ParseSettings([]byte(str))
	if err != nil {
		return nil, err
	}
	if err := s.Configure(st); err != nil {
		return nil, err
	}
	_ = s.Warm()
	return jsonString(s.Info(), nil)
}

// loadInfo is what loadModel returns: the model's app.Info and how long
// the load's parts took.
type loadInfo struct {
	*app.Info
	Timings loadTimings `json:"timings"`
}

// loadTimings are in milliseconds: decode is reading the file into a model
// (parsing, float16 decoding, folding BatchNorm, the session's buffers),
// warm is app.Session.Warm's (the default composite's caches of a large
// model, or a blank explanation of a small one). The collections that end
// the load follow them.
type loadTimings struct {
	Decode float64 `json:"decode"`
	Warm   float64 `json:"warm"`
}

// ms is d in milliseconds.
func ms(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }

// explain(input, options) → the address of the result packed by
// app.Result.Pack (packAt).
func explain(args []js.Value) (task, error) {
	return explanation(args, (*app.Session).Explain, packAt)
}

// explanation reads the input and options of explain and explainPart
// into a task that explains with run and passes the result to out.
func explanation(args []js.Value, run func(*app.Session, app.Input, *app.Options) (*app.Result, error), out func(packer, error) (any, error)) (task, error) {
	s, err := current()
	if err != nil {
		return task{}, err
	}
	opt, err := optionsArg(arg(args, 1))
	if err != nil {
		return task{}, err
	}
	in, err := inputArg(arg(args, 0), s, func(in app.Input) error { return s.CheckExplain(in, opt) })
	return task{in, func(s *app.Session, in app.Input) (any, error) { return out(run(s, in, opt)) }}, err
}

// evaluate(input, options) → the JSON of app.Evaluation: region
// perturbation curves and AOPC of every method of the options.
func evaluate(args []js.Value) (task, error) {
	str, err := stringArg(arg(args, 1), "options (JSON)")
	if err != nil {
		return task{}, err
	}
	opt, err := app.ParseEvalOptions([]byte(str))
	if err != nil {
		return task{}, err
	}
	s, err := current()
	if err != nil {
		return task{}, err
	}
	in, err := inputArg(arg(args, 0), s, func(in app.Input) error { return s.CheckEvaluate(in, opt) })
	return task{in, func(s *app.Session, in app.Input) (any, error) { return jsonString(s.Evaluate(in, opt)) }}, err
}

// preprocess(rgba, width, height, mode) → float32 input bytes.
func preprocess(args []js.Value) (task, error) {
	mode, err := stringArg(arg(args, 3), "mode")
	if err != nil {
		return task{}, err
	}
	s, err := current()
	if err != nil {
		return task{}, err
	}
	in, err := pixels(arg(args, 0), arg(args, 1), arg(args, 2), mode, s.CheckPreprocess)
	return task{in, func(s *app.Session, in app.Input) (any, error) {
		return floats(s.Preprocess(in.RGBA, in.Width, in.Height, in.Mode))
	}}, err
}

// render(relevance, options) → the address of the heatmap packed by
// app.Rendered.Pack (packAt).
func render(args []js.Value) (task, error) {
	rel, buf, err := floatsArg(arg(args, 0), "relevance", "a Float32Array", nil)
	if err != nil {
		return task{}, err
	}
	opt, err := optionsArg(arg(args, 1))
	if err != nil {
		release(buf)
		return task{}, err
	}
	return task{input{app.Input{X: rel}, buf}, func(s *app.Session, in app.Input) (any, error) { return packAt(s.Render(in.X, opt)) }}, nil
}

// Results. Each converts a session's result, or passes its error on.

// packed holds the last result in the form of app.Result.Pack (guarded by
// mu): one buffer, reused.
var packed []byte

// A packer is a result that packs itself: app.Result, app.Rendered.
type packer interface{ Pack([]byte) []byte }

// pack returns r packed (app.Result.Pack, app.Rendered.Pack) as a
// Uint8Array: one copy to JS, one JS object.
func pack(r packer, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	packed = r.Pack(packed[:0])
	return bytesToJS(packed), nil
}

// packAt packs r into packed and returns the address of its first byte
// in linear memory, for the calls made through direct, whose caller reads
// it before anything else runs: no JS object, and one copy fewer.
func packAt(r packer, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	packed = r.Pack(packed[:0])
	return int(uintptr(unsafe.Pointer(unsafe.SliceData(packed)))), nil
}

// jsonString returns v as a JSON string.
func jsonString(v any, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	b, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return string(b), nil
}

// floats returns x's bytes as a Uint8Array.
func floats(x []float32, err error) (any, error) {
	if err != nil {
		return nil, err
	}
	return bytesToJS(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(x))), 4*len(x))), nil
}

func bytesToJS(b []byte) js.Value {
	heldJS(len(b))
	u := jsUint8Array.New(len(b))
	js.CopyBytesToJS(u, b)
	return u
}
