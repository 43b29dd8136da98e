package app

// The wasm build's heap. Linear memory never shrinks, so a page pays for
// the heap's peak, and the JS values Go holds (about five per call) are
// freed only when a collection finalizes them. Left to its pacer, Go
// collects when the heap has doubled (4 MB at least): memory would step
// up well into a session and the values would pile up between
// collections. A HeapGoal sets the next collection instead: when the heap
// holds the live data plus a headroom of a sixteenth of it (128 KiB at
// least; the runtime does not go below a 1 MB heap goal), a few dozen
// calls' garbage. It does so through Go's soft memory limit, which the
// runtime keeps at least max(1 MB, 3%) above its heap goal, and it has the
// memory for the headroom taken at once, so that memory grows when the
// live data does (a load, another composite's cached weights) and stays
// flat in between. A call that needs more than the limit still gets it
// (the limit is soft); the limit then follows.

// Heap is what the Go runtime reports of its memory (runtime/metrics),
// in bytes.
type Heap struct {
	Mapped  int64 // taken from the system and not released: /memory/classes/total minus /memory/classes/heap/released
	Free    int64 // free heap spans: /memory/classes/heap/free
	Objects int64 // heap objects, live or not yet collected: /memory/classes/heap/objects
	Live    int64 // the heap live after the last collection: /gc/heap/live
}

// A HeapGoal is the memory the wasm build aims to hold; its zero value
// has none yet.
type HeapGoal struct{ target int64 }

// Next returns the soft memory limit (debug.SetMemoryLimit) that holds
// the heap of h to its target, the memory outside the heap plus the live
// data plus the headroom:
//
//	target = (Mapped − Free − Objects) + Live + headroom, headroom = max(128 KiB, Live/16)
//	limit  = target + max(1 MiB, target/32)
//
// and take, the bytes to allocate now (and drop) so that the memory for
// the headroom is taken at once: target − Mapped, or 0. ok is false, and
// the limit set before stays, while the target moves by less than a
// quarter of the headroom.
func (g *HeapGoal) Next(h Heap) (limit, take int64, ok bool) {
	headroom := max(128<<10, h.Live/16)
	target := (h.Mapped - h.Free - h.Objects) + h.Live + headroom
	if d := target - g.target; d > -headroom/4 && d < headroom/4 {
		return 0, 0, false
	}
	g.target = target
	return target + max(1<<20, target/32), max(0, target-h.Mapped), true
}

// Reset forgets the target, for a load: the next Next sets a limit.
func (g *HeapGoal) Reset() { g.target = 0 }
