//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"math"
	"syscall/js"
	"unsafe"

	"github.com/lrpwasm/lrp/app"
)

// A split explanation (lrp.Explainer.ExplainSplit) runs in two instances,
// each in its own Worker, that compute half of every large product and
// send each other their halves. The raw API:
//
//	explainPart(input, options, part: 0|1,
//	            send: (mine, mineBytes, theirs, theirsBytes: number) => void)
//	                           → Promise<Uint8Array: app.Result.Pack>
//	receive(bytes: number)     → Promise<undefined>: the partner's rows are in
//	abortPart(reason: string)  → Promise<undefined>: the partner failed
//
// explainPart returns a pending Promise: its work runs in a goroutine that,
// at each exchange, calls send with the addresses in linear memory of this
// instance's rows of the product (mine, to copy out and post to the
// partner) and of the partner's (theirs, to fill in), then waits. JS copies
// the partner's rows of the same product straight into theirs and calls
// receive with their length; Go resumes the explanation inside that call,
// up to its next exchange. Rows cross as addresses and lengths, never as
// JS values: Go holds every JS value it is given until a collection
// finalizes it, and a ResNet-18 explanation exchanges some 15 MB in about
// 60 arrays. Every other call is refused while the explanation runs
// (guarded), and one abortPart, from the JS side when the partner failed,
// rejects it.

// partner is the lrp.Partner of the running explainPart, nil when none is
// running.
var partner *jsPartner

type jsPartner struct {
	send js.Value
	in   chan partnerMsg // receive and abortPart, for Exchange
}

// partnerMsg is receive's byte count, or abort's reason.
type partnerMsg struct {
	n     int
	abort string
}

// Exchange hands mine and theirs to send and waits until JS has filled
// theirs.
func (p *jsPartner) Exchange(mine, theirs []float32) error {
	if err := invoke(p.send, addr(mine), 4*len(mine), addr(theirs), 4*len(theirs)); err != nil {
		return fmt.Errorf("send threw: %w", err)
	}
	// receive's call and its Promise are two JS values Go holds (collectJS).
	jsHeld += 2 * jsValueCost
	m := <-p.in // the goroutine waits here; JS runs until receive or abortPart
	switch {
	case m.abort != "":
		return fmt.Errorf("the partner failed: %s", m.abort)
	case m.n != 4*len(theirs):
		return fmt.Errorf("receive got %d bytes of rows, want %d", m.n, 4*len(theirs))
	}
	return nil
}

// addr is the address of v's first element in linear memory.
func addr(v []float32) int { return int(uintptr(unsafe.Pointer(unsafe.SliceData(v)))) }

// invoke calls f(args...), returning what it throws as an error.
func invoke(f js.Value, args ...any) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = panicError(r)
		}
	}()
	f.Invoke(args...)
	return nil
}

// explainPart(input, options, part, send): see above.
func explainPart(_ js.Value, args []js.Value) (ret any) {
	defer rejectPanic(&ret)
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
	p := &jsPartner{send: send, in: make(chan partnerMsg, 1)}
	t, err := explanation(args, func(s *app.Session, in app.Input, o *app.Options) (*app.Result, error) {
		return s.ExplainSplit(in, o, part, p)
	}, pack)
	if err != nil {
		return rejected(err)
	}
	partner = p
	promise := jsPromise.New(executor)
	resolve, reject := settle[0], settle[1]
	go func() {
		v, err := guarded(t.do)
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

// receive(bytes) → Promise<undefined>: tells the running explainPart that
// JS has written the partner's rows (bytes of them) where send said; it
// continues before this call returns.
func receive(args []js.Value) (any, error) {
	n, err := intArg(arg(args, 0), "bytes", 0, math.MaxInt32)
	if err != nil {
		return nil, err
	}
	return deliver(partnerMsg{n: n})
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
