//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"syscall/js"
	"unsafe"
)

// A split explanation (lrp.Explainer.ExplainSplit) runs in two instances,
// each in its own Worker, that compute half of every large product and
// send each other their halves. The raw API:
//
//	explainPart(input, options, part: 0|1, send: (rows: Uint8Array) => void)
//	                          → Promise<Uint8Array: app.Result.Pack>
//	receive(rows: Uint8Array) → Promise<undefined>: the partner's rows
//	abortPart(reason: string) → Promise<undefined>: the partner failed
//
// explainPart returns a pending Promise: its work runs in a goroutine that
// calls send with this instance's rows of each product (a new Uint8Array
// that JS may transfer) and then waits, so that JS can deliver the
// partner's rows of the same product through receive. Go resumes the
// explanation inside that receive call, up to its next exchange. Every
// other call is refused while the explanation runs (guarded), and one
// abortPart, from the JS side when the partner failed, rejects it.

// partner is the lrp.Partner of the running explainPart, nil when none is
// running.
var partner *jsPartner

type jsPartner struct {
	send js.Value
	in   chan partnerMsg // receive and abortPart, for Exchange
}

// partnerMsg is the partner's rows of one product, or abort's reason.
type partnerMsg struct {
	rows  js.Value
	n     int
	abort string
}

// Exchange sends mine to the partner through send and waits for theirs.
func (p *jsPartner) Exchange(mine, theirs []float32) error {
	b := floatsToJS(mine)
	if err := invoke(p.send, b); err != nil {
		return fmt.Errorf("send threw: %w", err)
	}
	m := <-p.in // the goroutine waits here; JS runs until receive or abortPart
	switch {
	case m.abort != "":
		return fmt.Errorf("the partner failed: %s", m.abort)
	case m.n != 4*len(theirs):
		return fmt.Errorf("the partner sent %d bytes of rows, want %d: is it explaining the same model, input and options?", m.n, 4*len(theirs))
	}
	js.CopyBytesToGo(unsafe.Slice((*byte)(unsafe.Pointer(unsafe.SliceData(theirs))), 4*len(theirs)), m.rows)
	return nil
}

// invoke calls f(v), returning what it throws as an error.
func invoke(f js.Value, v js.Value) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	f.Invoke(v)
	return nil
}

// explainPart(input, options, part, send): see above.
func explainPart(_ js.Value, args []js.Value) (ret any) {
	defer func() {
		if r := recover(); r != nil {
			ret = rejected(panicError(r))
		}
	}()
	if partner != nil {
		return rejected(errors.New("lrp: a split explanation is already running"))
	}
	part, err := intArg(arg(args, 2), "part", 0, 1)
	if err != nil {
		return rejected(err)
	}
	send := arg(args, 3)
	if send.Type() != js.TypeFunction {
		return rejected(fmt.Errorf("lrp: send must be a function, got %s", typeName(send)))
	}
	in, buf, err := inputArg(arg(args, 0))
	if err != nil {
		return rejected(err)
	}
	opt, err := optionsArg(arg(args, 1))
	if err != nil {
		release(buf)
		return rejected(err)
	}
	p := &jsPartner{send: send, in: make(chan partnerMsg, 1)}
	partner = p
	promise := jsPromise.New(executor)
	resolve, reject := settle[0], settle[1]
	go func() {
		v, err := guarded(func() (any, error) {
			defer release(buf)
			s, err := current()
			if err != nil {
				return nil, err
			}
			r, err := s.ExplainSplit(in, opt, part, p)
			if err != nil {
				return nil, err
			}
			packed = r.Pack(packed[:0])
			return bytesToJS(packed), nil
		})
		partner = nil
		if err != nil {
			reject.Invoke(jsError.New(err.Error()))
			return
		}
		resolve.Invoke(v)
	}()
	return promise
}

// executor is the executor of explainPart's Promise: it keeps the
// Promise's resolve and reject functions in settle.
var (
	settle   [2]js.Value
	executor = js.FuncOf(func(_ js.Value, args []js.Value) any {
		settle[0], settle[1] = args[0], args[1]
		return nil
	})
)

// receive(rows) → Promise<undefined>: hands the partner's rows to the
// running explainPart, which continues before this call returns.
func receive(args []js.Value) (any, error) {
	u, n, err := byteView(arg(args, 0), "rows")
	if err != nil {
		return nil, err
	}
	return deliver(partnerMsg{rows: u, n: n})
}

// abortPart(reason) → Promise<undefined>: the running explainPart rejects
// with reason.
func abortPart(args []js.Value) (any, error) {
	reason, err := stringArg(arg(args, 0), "reason")
	if err != nil {
		return nil, err
	}
	if reason == "" {
		reason = "no reason given"
	}
	return deliver(partnerMsg{abort: reason})
}

// deliver passes m to the running explainPart's exchange.
func deliver(m partnerMsg) (any, error) {
	p := partner
	if p == nil {
		return nil, errors.New("lrp: no split explanation is running")
	}
	select {
	case p.in <- m:
	default:
		return nil, errors.New("lrp: the split explanation has not used the partner's previous rows yet")
	}
	return js.Undefined(), nil
}

// unlocked wraps f into a JS function returning a settled Promise, as call
// does, but without taking mu: receive and abortPart run while
// explainPart holds it.
func unlocked(f func(args []js.Value) (any, error)) js.Func {
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
