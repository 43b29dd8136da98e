//go:build js && wasm

package main

import (
	"errors"
	"fmt"
	"sync"
	"syscall/js"

	"github.com/lrpwasm/lrp/app"
)

// mu serializes the work of all calls: they share the session and its
// buffers, and results are copied out before the lock is released.
var (
	mu      sync.Mutex
	session *app.Session
)

func current() (*app.Session, error) {
	if session == nil {
		return nil, errors.New("lrp: no model loaded: call loadModel first")
	}
	return session, nil
}

// A task is a call whose arguments are read and its input copied into Go,
// in the caller's turn, before the caller can change or transfer its
// buffers: what remains is to run it on the loaded model. A read that
// fails returns its error with a task that is not run.
type task struct {
	in  input
	run func(s *app.Session, in app.Input) (any, error) // returns the Promise's value
}

// do runs t and gives its input's buffer back.
func (t task) do() (any, error) {
	defer release(t.in.buf)
	s, err := current()
	if err != nil {
		return nil, err
	}
	return t.run(s, t.in.Input)
}

// call wraps read, which reads a call's arguments into a task, into a JS
// function returning a Promise; the task runs at once. read runs under the
// lock too, so that it may ask the session whether an input fits before
// it copies it.
func call(read func(args []js.Value) (task, error)) js.Func {
	return locked(readAndDo(read))
}

// direct is call for the calls whose caller reads the result at once
// (explain and render: packAt): the JS function returns the task's value
// itself, or an Error, not a Promise, which would cost a call back into
// JS and a JS value per call.
func direct(read func(args []js.Value) (task, error)) js.Func {
	f := readAndDo(read)
	return js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer func() {
			if r := recover(); r != nil {
				ret = jsError.New(panicError(r).Error())
			}
		}()
		v, err := guarded(func() (any, error) { return f(args) })
		if err != nil {
			return jsError.New(err.Error())
		}
		return v
	})
}

// readAndDo returns the function that reads a call's arguments with read
// and runs the task.
func readAndDo(read func(args []js.Value) (task, error)) func(args []js.Value) (any, error) {
	return func(args []js.Value) (any, error) {
		t, err := read(args)
		if err != nil {
			return nil, err
		}
		return t.do()
	}
}

// locked wraps f into a JS function returning a Promise, f running under
// the lock (guarded). The work runs at once, in the callback, and the
// Promise is returned already settled: in js/wasm a goroutine started here
// would run to completion before control returns to JavaScript anyway,
// and a pending Promise would cost a call back into Go (its executor) and
// four more JS values per call, values Go releases only when a collection
// finalizes them.
func locked(f func(args []js.Value) (any, error)) js.Func {
	return promised(func(args []js.Value) (any, error) {
		return guarded(func() (any, error) { return f(args) })
	})
}

// promised wraps f into a JS function returning a settled Promise:
// resolved with f's value, rejected with its error or a panic.
func promised(f func(args []js.Value) (any, error)) js.Func {
	return js.FuncOf(func(_ js.Value, args []js.Value) (ret any) {
		defer rejectPanic(&ret)
		v, err := f(args)
		if err != nil {
			return rejected(err)
		}
		return jsPromise.Call("resolve", v)
	})
}

// guarded runs work alone (one call at a time), turning a panic into an
// error; after it, it holds memory (holdMemory, collectJS).
func guarded(work func() (any, error)) (any, error) {
	return alone(func() (any, error) {
		defer holdMemory()
		defer collectJS()
		return work()
	})
}

// alone runs work under the lock, turning a panic into an error.
func alone(work func() (any, error)) (v any, err error) {
	defer func() {
		if r := recover(); r != nil {
			v, err = nil, panicError(r)
		}
	}()
	if !mu.TryLock() { // only a split explanation waits with the lock held
		return nil, errors.New("lrp: busy: a split explanation (explainPart) is running")
	}
	defer mu.Unlock()
	endPrefault()
	return work()
}

// rejectPanic, deferred by a JS function, makes a panic its rejected
// Promise.
func rejectPanic(ret *any) {
	if r := recover(); r != nil {
		*ret = rejected(panicError(r))
	}
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
		if m := get(v, keyMessage); m.Type() == js.TypeString {
			return m.String()
		}
	}
	return jsString.Invoke(v).String()
}
