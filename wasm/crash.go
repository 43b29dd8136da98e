//go:build js && wasm

package main

import (
	"syscall/js"
	"time"
)

// crash() ends the Go runtime as a fatal error does (a panic that no call
// recovers: an out-of-memory death is one), with a timer still pending in
// wasm_exec.js, as such a death leaves it. It is there so that a test can
// show the host surviving the death and init() starting a fresh runtime
// (tests/crash.test.mjs); the page never calls it.
func crash(js.Value, []js.Value) any {
	time.AfterFunc(20*time.Millisecond, func() {})
	go func() { panic("lrp: the runtime was ended on request (crash)") }()
	return nil
}
