package lrp

import (
	"maps"
	"slices"
	"unsafe"
)

// Memory. An Explainer allocates in three places: its own buffers, made
// by NewExplainer (every node's output and relevance); the arena, whose
// scratch buffers grow to the largest request a call makes of them (rule
// temporaries, im2col columns, gemm panels, Winograd tiles); and the
// caches, built on first use (the modified weights of each affine layer's
// rule, the packed weight operands of packCache). Which of these exist and
// how large they are depends on the model, on the rule of every layer and,
// for a few branches, on the data (an input with negative values takes the
// sign-split paths).
//
// A sizer replays a call without computing it: the same walk over the
// nodes as forward and backward, the same rules, the same kernels'
// choices, each asking for the same buffers as the code it mirrors, which
// it sits next to (Conv2D.sizeForward beside Conv2D.forward, each rule's
// size beside its relevance, and so on). Where the data picks a branch,
// it replays every branch the data could pick, so its arena sizes bound
// what any input needs. Need reports what the replay allocates beyond
// what the Explainer holds; Explain and Prepare grow the arena to the
// replay's sizes first, so that a call allocates its scratch once, at the
// sizes Need counted, rather than growing a buffer layer by layer.
// TestNeed checks the replay against the allocations of real calls.

// Need returns the bytes that explaining with each of os in turn may
// allocate beyond what e holds: the caches the calls build, the arena
// growth, the baselines' input-sized buffers, and a margin for the small
// allocations that come with them. What it counts covers every input, so
// that a caller who reserves it once has reserved what later calls with
// the same options build (a cache that only some inputs need, such as
// γ's W + γW⁻ for inputs with negative values); it is 0 for built-in
// methods e has explained with before, and for calls that build nothing
// (they make a few KiB of garbage). Options that Explain rejects return
// its error. Need does not allocate what it counts; it takes time linear
// in the model's nodes.
func (e *Explainer) Need(os ...Options) (int64, error) {
	if !slices.ContainsFunc(os, func(o Options) bool { return !e.ready(&o) }) {
		return 0, nil
	}
	s := newSizer(e.m, e)
	for i := range os {
		if err := s.explain(&os[i]); err != nil {
			return 0, err
		}
	}
	return s.total(), nil
}

// Pending returns the bytes that later calls with the built-in methods e
// has explained with may still allocate, which Need reports as 0: the
// caches that only some inputs need (see Need), not built yet. Held and
// Pending together bound what e takes for those methods.
func (e *Explainer) Pending() int64 {
	s := newSizer(e.m, e)
	for _, name := range slices.Sorted(maps.Keys(e.sized)) {
		if e.sized[name] {
			s.explain(&Options{Method: name}) // checked when it was reserved
		}
	}
	return s.kept()
}

// NeedForward returns the bytes that Forward would allocate beyond what e
// holds.
func (e *Explainer) NeedForward() int64 {
	s := newSizer(e.m, e)
	s.forward()
	return s.total()
}

// WorkingSet returns the bytes that a new Explainer of m would hold after
// explaining with each of os in turn (with none: after NewExplainer):
// its buffers, caches and scratch, everything but the model's weights. A
// caller checks it against a limit before it makes the Explainer.
func WorkingSet(m *Model, os ...Options) (int64, error) {
	s := newSizer(m, nil)
	for i := range os {
		if err := s.explain(&os[i]); err != nil {
			return 0, err
		}
	}
	return explainerBytes(m) + s.kept() + margin(m), nil
}

// Held returns the bytes that e holds: its buffers, the arena, the cached
// modified weights and packed operands.
func (e *Explainer) Held() int64 {
	n := explainerBytes(e.m)
	a := &e.a
	for _, b := range a.b32 {
		n += alloc(bytesOf[float32](cap(b)))
	}
	n += alloc(bytesOf[float64](cap(a.b64)))
	for _, b := range [...][]float32{a.cols, a.pa, a.pb, a.wv, a.wm, a.wpad, a.wps, a.stage, e.base, e.root} {
		n += alloc(bytesOf[float32](cap(b)))
	}
	for i := range e.w {
		n += e.w[i].held()
	}
	for _, p := range a.packs.u {
		n += alloc(bytesOf[float32](len(p.u))) + packEntryBytes
	}
	return n
}

// ready reports whether e has been prepared for o's built-in method
// already (reserve): its count is done.
func (e *Explainer) ready(o *Options) bool { return cacheable(o) && e.sized[o.Method] }

// cacheable reports whether o is a built-in method without parameters or
// overrides, whose rules (rulesOf) and sizes (reserve) are kept.
func cacheable(o *Options) bool {
	return o.Composite == nil && len(o.Params) == 0 && len(o.Rules) == 0
}

// reserve grows the arena to what a call with o needs (see sizer), once
// per built-in method. A call with other options that replaces a cache
// the built-in methods use (W + γW⁺ for another γ, zᴮ's terms for other
// bounds) clears what is known to be ready.
func (e *Explainer) reserve(o *Options) error {
	if e.ready(o) {
		return nil
	}
	s := newSizer(e.m, e)
	if err := s.explain(o); err != nil {
		return err
	}
	s.grow(&e.a)
	if !cacheable(o) {
		if s.replaced {
			clear(e.sized)
		}
		return nil
	}
	if e.sized == nil {
		e.sized = map[string]bool{}
	}
	e.sized[o.Method] = true
	return nil
}

// A sizer replays the allocations of an Explainer's calls without making
// them (see the top of this file). It starts from what an Explainer holds
// (nothing for a new one), and its arena sizes take the largest request,
// as the arena's buffers do.
type sizer struct {
	m      *Model
	e      *Explainer // the Explainer whose state the replay starts from, or nil
	lo, hi []float32  // the model's bounds (zᴮ's defaults)
	nonneg []bool     // per tensor (input first, then nodes): values known to be ≥ 0
	bytes  int64      // caches and baseline buffers allocated by the replay

	// The arena, in values: the f32 buffers by position since the last
	// reset, and each single buffer.
	b32                                  []int
	n32                                  int
	b64, cols, pa, pb, wv, wm, wpad, wps int
	base, root                           int // values of Explainer.base and root

	w     []wstate
	packs map[packSlot]bool // the operands the replay packs
	packN int               // floats in the pack cache
	rules bool              // the gradient rules are assigned (Explainer.gradRules)
	cold  bool              // the pack cache keeps nothing (Explainer.SetCold)
	// replaced is set when the replay rebuilds a cache the Explainer holds
	// for other parameters (weights.up, down and box).
	replaced bool
}

func newSizer(m *Model, e *Explainer) *sizer {
	s := &sizer{m: m, e: e, w: make([]wstate, len(m.Nodes)), packs: map[packSlot]bool{}}
	s.lo, s.hi = m.Bounds()
	s.nonneg = nonnegative(m)
	if e == nil {
		return s
	}
	a := &e.a
	s.b32 = make([]int, len(a.b32))
	for i, b := range a.b32 {
		s.b32[i] = cap(b)
	}
	s.b64, s.cols, s.pa, s.pb = cap(a.b64), cap(a.cols), cap(a.pa), cap(a.pb)
	s.wv, s.wm, s.wpad, s.wps = cap(a.wv), cap(a.wm), cap(a.wpad), cap(a.wps)
	s.packN, s.cold = a.packs.n, a.packs.cold
	s.base, s.root = cap(e.base), cap(e.root)
	s.rules = e.rules != nil
	for i := range s.w {
		s.w[i].from(&e.w[i], m.Nodes[i].Layer)
	}
	return s
}

// nonnegative returns, per tensor (the input first, then each node's
// output), whether its values are ≥ 0 whatever the input: a ReLU's, a
// sigmoid's, and what pooling, flattening, adding, concatenating,
// multiplying, slicing or shuffling such values gives. The input's are
// not, even for a pixel range ≥ 0: Explain takes any finite input.
func nonnegative(m *Model) []bool {
	nn := make([]bool, len(m.Nodes)+1)
	for i, nd := range m.Nodes {
		switch nd.Layer.(type) {
		case *ReLU, *ReLU6, *Sigmoid, *HardSigmoid:
			nn[i+1] = true
		case *MaxPool2D, *AvgPool2D, *GlobalAvgPool, *Flatten, *Add, *Concat, *Mul, *Slice, *Shuffle:
			nn[i+1] = true
			for _, j := range nd.Inputs {
				nn[i+1] = nn[i+1] && nn[j+1]
			}
		}
	}
	return nn
}

// explain replays Explain (and Prepare) with o.
func (s *sizer) explain(o *Options) error {
	baseline, err := checkOptions(s.m, o)
	if err != nil {
		return err
	}
	if baseline {
		s.baseline(baselineOf(o.Method))
		return nil
	}
	e := s.e
	if e == nil {
		e = &Explainer{m: s.m, methods: map[string][]Rule{}}
	}
	rules, err := e.rulesOf(o)
	if err != nil {
		return err
	}
	s.forward()
	s.backward(rules)
	return nil
}

// total returns the bytes the replay allocates: what the Explainer keeps
// (kept) and, if it keeps anything, the margin of the small allocations
// that are not counted one by one. A call that keeps nothing new makes
// only such small garbage (a composite's rules, the replay's own).
func (s *sizer) total() int64 {
	n := s.kept()
	if n == 0 {
		return 0
	}
	return n + margin(s.m)
}

// kept returns the bytes the replay allocates that the Explainer keeps:
// the caches and the baselines' buffers, and the arena buffers that grow.
func (s *sizer) kept() int64 {
	n := s.bytes
	a := &arena{}
	if s.e != nil {
		a = &s.e.a
	}
	for i, v := range s.b32 {
		var held int
		if i < len(a.b32) {
			held = cap(a.b32[i])
		}
		n += grown[float32](held, v)
	}
	n += grown[float64](cap(a.b64), s.b64)
	n += grown[float32](cap(a.cols), s.cols) + grown[float32](cap(a.pa), s.pa) + grown[float32](cap(a.pb), s.pb)
	n += grown[float32](cap(a.wv), s.wv) + grown[float32](cap(a.wm), s.wm) + grown[float32](cap(a.wpad), s.wpad)
	n += grown[float32](cap(a.wps), s.wps)
	return n
}

// margin bounds the small allocations of a call that builds something,
// which kept does not count one by one: slices that hold buffers, map
// entries, a composite and its rules, the replay's own.
func margin(m *Model) int64 { return smallBytes + int64(len(m.Nodes))*smallNodeBytes }

// grown returns the bytes of a buffer of v values of T made to replace
// one of held values, or 0 if that one is large enough.
func grown[T any](held, v int) int64 {
	if v <= held {
		return 0
	}
	return alloc(bytesOf[T](v))
}

// grow makes the arena's buffers as large as the replay's.
func (s *sizer) grow(a *arena) {
	for len(a.b32) < len(s.b32) {
		a.b32 = append(a.b32, nil)
	}
	for i, v := range s.b32 {
		grow(&a.b32[i], v)
	}
	grow(&a.b64, s.b64)
	grow(&a.cols, s.cols)
	a.colsL, a.colsX = nil, nil
	grow(&a.pa, s.pa)
	grow(&a.pb, s.pb)
	grow(&a.wv, s.wv)
	grow(&a.wm, s.wm)
	grow(&a.wpad, s.wpad)
	grow(&a.wps, s.wps)
}

// The arena's requests, as arena makes them.

func (s *sizer) reset() { s.n32 = 0 }

func (s *sizer) f32(n int) {
	if s.n32 == len(s.b32) {
		s.b32 = append(s.b32, 0)
	}
	s.b32[s.n32] = max(s.b32[s.n32], n)
	s.n32++
}

func (s *sizer) f64(n int) { s.b64 = max(s.b64, n) }
func (s *sizer) col(n int) { s.cols = max(s.cols, n) }

// alt replays alternatives that the data chooses between: each starts
// from the same position among the f32 buffers, which then end where the
// longest does, each position as large as the largest request any makes.
func (s *sizer) alt(fs ...func()) {
	start, end := s.n32, s.n32
	for _, f := range fs {
		s.n32 = start
		f()
		end = max(end, s.n32)
	}
	s.n32 = end
}

// alloc counts an allocation of n bytes made by the replayed call.
func (s *sizer) alloc(n int64) { s.bytes += alloc(n) }

// bytesOf returns the bytes of n values of T.
func bytesOf[T any](n int) int64 {
	var v T
	return int64(n) * int64(unsafe.Sizeof(v))
}

// alloc returns the bytes the Go allocator takes for an object of n
// bytes: a size class up to 32 KiB, whole 8 KiB pages above.
func alloc(n int64) int64 {
	if n <= 0 {
		return 0
	}
	if n > maxSmall {
		return (n + pageSize - 1) / pageSize * pageSize
	}
	i, _ := slices.BinarySearch(sizeClasses[:], uint16(n))
	return int64(sizeClasses[i])
}

const (
	maxSmall = 32 << 10
	pageSize = 8 << 10
	// smallBytes and smallNodeBytes bound the allocations a call makes
	// besides its buffers: a composite and its rules, the map entries of
	// the caches, the slices that hold buffers, and the replay itself.
	smallBytes     = 8 << 10
	smallNodeBytes = 512
	// packEntryBytes is a packCache entry besides its floats: the entry
	// (80 bytes), its share of the map of keys (64) and, if it is the
	// only one of its size, its size's list and map entry (48).
	packEntryBytes = 192
)

// sizeClasses are the Go runtime's object sizes up to maxSmall
// (runtime/sizeclasses.go).
var sizeClasses = [...]uint16{8, 16, 24, 32, 48, 64, 80, 96, 112, 128, 144, 160, 176, 192, 208, 224, 240, 256,
	288, 320, 352, 384, 416, 448, 480, 512, 576, 640, 704, 768, 896, 1024, 1152, 1280, 1408, 1536, 1792, 2048,
	2304, 2688, 3072, 3200, 3456, 4096, 4864, 5376, 6144, 6528, 6784, 6912, 8192, 9472, 9728, 10240, 10880,
	12288, 13568, 14336, 16384, 18432, 19072, 20480, 21760, 24576, 27264, 28672, 32768}
