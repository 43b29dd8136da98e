//go:build js && wasm

package main

import (
	"math"
	"runtime"
	"runtime/debug"
	"runtime/metrics"
	"syscall/js"
	"time"

	"github.com/lrpwasm/lrp/app"
)

// Memory. Linear memory never shrinks, so a page pays for the heap's
// peak, and Go frees a JS value it holds (an argument, a result) only when
// a collection finalizes it. After every call holdMemory sets the next
// collection by app.HeapGoal and collectJS collects when the JS values Go
// holds take too much; a load lifts the limit and collects when it is done
// (beginLoad, endLoad).

var (
	heapGoal   app.HeapGoal
	memSamples = []metrics.Sample{
		{Name: "/memory/classes/total:bytes"},
		{Name: "/memory/classes/heap/released:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
	}
	headroom []byte
)

// holdMemory sets Go's soft memory limit to what app.HeapGoal says of the
// runtime's metrics, and takes the memory for the headroom at once.
func holdMemory() {
	metrics.Read(memSamples)
	v := func(i int) int64 { return int64(memSamples[i].Value.Uint64()) }
	limit, take, ok := heapGoal.Next(app.Heap{Mapped: v(0) - v(1), Free: v(2), Objects: v(3), Live: v(4)})
	if !ok {
		return
	}
	if take > 0 {
		headroom = make([]byte, take) // taken now, garbage at once
		headroom = nil
	}
	debug.SetMemoryLimit(limit)
}

// Go holds every JS value it is given (an argument) or makes (a result)
// until a collection finalizes it, and with it the value's memory in JS:
// a ResNet-18 explanation's input and result, 2 MB. A large model's calls
// leave too little garbage in Go's heap to start a collection for
// thousands of calls (the headroom is a sixteenth of the live heap), so
// JS memory would grow by 2 MB per call until then. jsHeld counts those
// bytes, plus jsValueCost per value, since the last collection;
// collectJS, after each call, collects once they reach jsHeldMax (every
// 32 calls of a ResNet-18, 1.6 ms each).
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

// beginLoad readies memory for a load of a file of n bytes. The memory
// limit holdMemory set for the previous model would have the collector
// run over and over while the new one's hundreds of megabytes arrive: it
// is lifted for the load, and set again from what is live after it. The
// previous model stays until the new one has loaded, but its caches go
// now, so that the new one reuses their memory. Decoding takes up to
// three times the file's size (float16 weights decoded to float32, then
// folded), taken now at once (reserve) for a file of 4 MiB or more.
func beginLoad(n int64) {
	faultTotal = 0 // until a load succeeds (armPrefault)
	debug.SetMemoryLimit(math.MaxInt64)
	heapGoal.Reset()
	if session != nil {
		session.Release()
		runtime.GC()
	}
	primeFinalizers(1000)
	if n >= 4<<20 {
		reserve(3 * n)
	}
}

// reserve makes the heap hold at least n free bytes, taking what it lacks
// from the system in one growth of linear memory. Go's allocator grows it
// by 4 MiB or one large object at a time, and in a browser each growth
// costs a new ArrayBuffer and often a full collection of the JS heap: a
// first ResNet-18 load grew memory 88 times, with 45 such collections,
// hundreds of milliseconds in all. The bytes are allocated and collected
// at once, so that the allocations that follow find them free; a page is
// touched only when an allocation uses it. The heap is not taken past
// app.MemoryLimit this way: a model close to it grows as it goes.
func reserve(n int64) {
	metrics.Read(memSamples)
	v := func(i int) int64 { return int64(memSamples[i].Value.Uint64()) }
	take := min(n-v(2)-v(1), app.MemoryLimit-v(0)) // less the free spans, released or not
	if take <= 0 {
		return
	}
	headroom = make([]byte, take)
	headroom = nil
	runtime.GC()
}

// endLoad ends a load, loaded or not, with collections: the file's bytes
// and the decoder's garbage go as soon as the load is done, so that the
// memory limit is set from what the session keeps; the runtime's own
// one-time growth (collector metadata, finalizer records) happens in these
// collections too, not during the first calls.
func endLoad() {
	for range 3 {
		runtime.GC()
	}
}

// Touching memory ahead. The first time a page of linear memory is
// written, the system maps it: about 1 ms per MB on the machines measured
// (a ResNet-18's first explanation touches some 450 MB of the memory its
// load reserved), a third of that explanation. prefault touches the
// heap's free memory in the time the caller has to spare (the page: after
// a load, until an input comes), a chunk at a time: the chunks are held
// until the touching ends, so that each one takes memory not yet touched,
// then collected, and the explanation's allocations reuse their pages.

// faultChunk is the size of one chunk that prefault takes and touches.
const faultChunk = 1 << 20

var (
	faulted    [][]byte // the chunks taken so far, held until endPrefault
	faultTotal int64    // the free bytes that the load left: those to touch
	gcPercent  int      // the collector's setting, off while chunks are held
)

// faultMin is the least free memory that prefault touches: below it, the
// chunks could not be placed without growing the heap (the free spans
// are in pieces), and the first touches cost little anyway.
const faultMin = 32 << 20

// armPrefault notes, at the end of a load, the heap's free bytes as those
// that prefault may touch: all but a sixteenth, left for the pieces too
// small for a chunk, so that no chunk grows the heap.
func armPrefault() {
	endPrefault()
	metrics.Read(memSamples)
	v := func(i int) int64 { return int64(memSamples[i].Value.Uint64()) }
	faultTotal = 0
	if free := v(2) + v(1); free >= faultMin {
		faultTotal = free - free/16
	}
}

// prefault(ms) → bool: touches free memory for about ms milliseconds, and
// says whether some is left. It does nothing (false) while another call
// runs. Every other call ends the touching first (alone: endPrefault),
// so that it never runs with the chunks held.
func prefault(_ js.Value, args []js.Value) any {
	if !mu.TryLock() {
		return false
	}
	defer mu.Unlock()
	held := int64(len(faulted)) * faultChunk
	if held >= faultTotal {
		return false
	}
	budget := 20 * time.Millisecond
	if a := arg(args, 0); a.Type() == js.TypeNumber {
		budget = time.Duration(max(1, a.Float()) * float64(time.Millisecond))
	}
	if faulted == nil {
		gcPercent = debug.SetGCPercent(-1)
		debug.SetMemoryLimit(math.MaxInt64)
	}
	t := time.Now()
	for held < faultTotal && time.Since(t) < budget {
		c := make([]byte, faultChunk) // zeroed, if reused, hence touched
		for i := 0; i < len(c); i += 4096 {
			c[i] = 1 // a fresh page from the system is not zeroed by Go
		}
		faulted = append(faulted, c)
		held += faultChunk
	}
	if held < faultTotal {
		return true
	}
	faultTotal = 0 // done, until the next load
	endPrefault()
	holdMemory()
	return false
}

// endPrefault collects prefault's chunks, if it holds any. A later call
// of prefault starts again from the first free page: those touched
// already are taken again quickly.
func endPrefault() {
	if faulted == nil {
		return
	}
	faulted = nil
	debug.SetGCPercent(gcPercent)
	runtime.GC()
}
