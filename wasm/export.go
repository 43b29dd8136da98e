//go:build js && wasm

package main

import (
	"encoding/binary"
	"errors"
	"unsafe"
	"weak"

	"github.com/lrpwasm/lrp/app"
)

// The direct path of explain. For a Float32Array input (the page's
// calls as the user draws, and most others), web/lrp.js calls these
// functions, exported to the host with //go:wasmexport, instead of the
// explain of the API object: no JS value crosses, so the call costs
// neither syscall/js's dispatch of a JS function (an event that resumes
// the Go scheduler, its arguments read one property at a time) nor a
// finalizer per value. The text of the options and the input are written
// into linear memory by lrp.js, at addresses these functions give, and the
// result is read from it (packAt), as explain's is:
//
//	lrpText(n) → the address of n bytes for the options JSON, kept until
//	    a larger lrpText: lrp.js writes them once per new options text, and
//	    asks for 3 bytes a character; 0 for an error (more than maxText
//	    characters)
//	lrpInput(n, m) → the address of n float32s for the input, once the
//	    session accepts an input of n values (n ≥ 1) and the options JSON
//	    (m bytes at lrpText's address); 0 for an error (lrpError)
//	lrpExplain() → the address of the result packed by app.Result.Pack
//	    (packAt), explaining the input lrpInput took; 0 for an error
//	lrpError() → the address of the last error: a uint32 byte length,
//	    then the message
//
// They check and report as explain does, with the same functions and
// errors; a call refused by lrpInput leaves memory as it was (it takes the
// input's buffer last).

var (
	optText []byte // the options JSON, written by lrp.js
	fastIn  input  // the input lrpInput took, for lrpExplain
	fastOpt *app.Options
	errText []byte // the last error, for lrpError
)

//go:wasmexport lrpText
func textAt(n int32) uint32 {
	if n < 0 || n/3 > maxText {
		return exported(nil, textErr("options (JSON)", int(n/3)))
	}
	if cap(optText) < int(n) {
		optText = make([]byte, n)
	}
	return addrOf(optText[:cap(optText)])
}

//go:wasmexport lrpInput
func inputAt(n, m int32) uint32 {
	release(fastIn.buf)
	fastIn, fastOpt = input{}, nil
	v, err := alone(func() (any, error) {
		s, err := current()
		if err != nil {
			return nil, err
		}
		if m < 0 || int(m) > cap(optText) || n < 1 {
			return nil, errors.New("lrp: internal error (please report): lrpInput's lengths are out of range")
		}
		opt, err := optionsText(optText[:m])
		if err != nil {
			return nil, err
		}
		if err := checkFloats(int(n), "input", s.Model().CheckInputLen); err != nil {
			return nil, err
		}
		b := pooled(4 * int(n))
		fastIn, fastOpt = input{app.Input{X: asFloats(*b)}, b}, opt
		return addrOf(*b), nil
	})
	return exported(v, err)
}

//go:wasmexport lrpExplain
func explainAt() uint32 {
	in, opt := fastIn, fastOpt
	fastIn, fastOpt = input{}, nil
	v, err := alone(func() (any, error) {
		defer holdMemorySoon()
		defer collectJS()
		if in.buf == nil {
			return nil, errors.New("lrp: internal error (please report): lrpExplain without lrpInput")
		}
		return task{in, func(s *app.Session, in app.Input) (any, error) { return packAt(s.Explain(in, opt)) }}.do()
	})
	return exported(v, err)
}

// holdMemorySoon is holdMemory (which guarded calls after every other
// call) for lrpExplain, the calls made one after the other as the user
// draws: after a collection, when the live heap its target follows has
// changed, and every 16th call, for the memory outside the heap. Reading
// the runtime's metrics took about 4 µs, 1% of a small model's call; a
// weak pointer to an object nothing else holds tells a collection for
// nothing.
func holdMemorySoon() {
	callsSinceHold++
	if gcProbe.Value() != nil && callsSinceHold < 16 {
		return
	}
	gcProbe, callsSinceHold = weak.Make(new(probe)), 0
	holdMemory()
}

// A probe is an object that a collection frees (no allocator batches it
// with others).
type probe [64]byte

var (
	gcProbe        weak.Pointer[probe] // nil after the first collection since it was made
	callsSinceHold int
)

//go:wasmexport lrpError
func errorAt() uint32 { return addrOf(errText) }

// exported returns an exported function's address v (packAt's is an int),
// or 0 with err kept for lrpError.
func exported(v any, err error) uint32 {
	if err != nil {
		msg := err.Error()
		errText = binary.LittleEndian.AppendUint32(errText[:0], uint32(len(msg)))
		errText = append(errText, msg...)
		return 0
	}
	switch a := v.(type) {
	case uint32:
		return a
	case int:
		return uint32(a)
	}
	return 0
}

// addrOf is the address of b's first byte in linear memory.
func addrOf(b []byte) uint32 { return uint32(uintptr(unsafe.Pointer(unsafe.SliceData(b)))) }
