package lrp

import "unsafe"

// packBudget bounds the floats of packed weights an Explainer keeps (see
// packCache): 72 Mi floats, 288 MiB. ResNet-18 keeps 35.1 Mi explained
// with ε: 32 Mi for W of its 13 convolutions above the Winograd
// thresholds, transformed and packed for the forward and for the
// transposed product, and 3.1 Mi for the narrow products of gemmWeightsRows;
// and 63.5 Mi with epsilon_gamma_box: 58.6 Mi of transforms of W, W⁺ and
// W + γW⁺ in the directions the rules use them (44 Mi of them for the
// three 512-channel layers), and 4.8 Mi for gemmWeightsRows; one Explainer
// used with both keeps 70.2 Mi.
var packBudget = 72 << 20

// packKind tells how a packed operand derives from its weight slice.
type packKind uint8

const (
	winoForward     packKind = iota // the Winograd U_ξ (winoA)
	winoFlipped                     // the Winograd U_{π(ξ)}ᵀ (winoA with flip)
	denseForward                    // the weights as they are (packedW)
	denseTransposed                 // the weights transposed (packedW)
)

// packKey identifies a packed operand by the first element and length of
// its weight slice, its rows and its kind.
type packKey struct {
	p    *float32
	n, m int
	kind packKind
}

// packCache keeps the packed weight operands of one Explainer, keyed by
// the identity of the weight slice (the layer's W or one of the modified
// weights cached in weights), up to packBudget floats. An entry's key
// points into its weight slice, so that the slice's address is not reused
// by another while its key is cached (weights.up and weights.down replace
// their slices when γ changes). Past the budget, a new operand replaces
// the least recently used one of the same size (a γ changed: the same
// layer's old W + γW⁺), or, without one, is computed into a scratch buffer
// on every call: the cache never allocates after it is full. The entries
// of each size form a list from the least to the most recently used, so
// that a hit and a miss each take constant time.
//
// A cold cache (SetCold) keeps nothing: every operand is computed into the
// scratch buffer when it is used.
type packCache struct {
	u    map[packKey]*packEntry
	bySz map[int]*packList // the entries of each size, by use
	n    int               // floats held
	cold bool
}

type packEntry struct {
	key        packKey
	u          []float32
	prev, next *packEntry // the entries of its size used before and after
}

// packList is a list of entries, the least recently used first.
type packList struct{ first, last *packEntry }

// remove unlinks e from l.
func (l *packList) remove(e *packEntry) {
	if e.prev != nil {
		e.prev.next = e.next
	} else {
		l.first = e.next
	}
	if e.next != nil {
		e.next.prev = e.prev
	} else {
		l.last = e.prev
	}
	e.prev, e.next = nil, nil
}

// push appends e to l as the most recently used.
func (l *packList) push(e *packEntry) {
	e.prev = l.last
	if l.last != nil {
		l.last.next = e
	} else {
		l.first = e
	}
	l.last = e
}

// packed returns the operand of kind and m rows derived from w, n floats,
// valid until the next call: cached, or computed by fill.
func (a *arena) packed(w []float32, kind packKind, m, n int, fill func([]float32)) []float32 {
	ca := &a.packs
	key := packKey{unsafe.SliceData(w), len(w), m, kind}
	if ca.cold {
		ap := grow(&a.wps, n)
		fill(ap)
		return ap
	}
	if e, ok := ca.u[key]; ok {
		l := ca.bySz[n]
		l.remove(e)
		l.push(e)
		return e.u
	}
	if ca.u == nil {
		ca.u, ca.bySz = map[packKey]*packEntry{}, map[int]*packList{}
	}
	l := ca.bySz[n]
	var e *packEntry
	if ca.n+n <= packBudget {
		e = &packEntry{u: make([]float32, n)}
		ca.n += n
		if l == nil {
			l = &packList{}
			ca.bySz[n] = l
		}
	} else { // reuse the least recently used entry of the same size
		if l == nil || l.first == nil {
			ap := grow(&a.wps, n)
			fill(ap)
			return ap
		}
		e = l.first
		l.remove(e)
		delete(ca.u, e.key)
	}
	e.key = key
	fill(e.u)
	ca.u[key] = e
	l.push(e)
	return e.u
}

// packSlot names, for a sizer, the operand that packed caches for a
// product with the weights w from value off on, of kind and m rows.
type packSlot struct {
	w      wref
	kind   packKind
	m, off int
}

// packed replays packed for an operand of n floats: cached if it is
// already, or new within the budget, or else computed into wps.
func (s *sizer) packed(p packSlot, n int) {
	if s.cold {
		s.wps = max(s.wps, n)
		return
	}
	if s.packs[p] {
		return
	}
	s.packs[p] = true
	if s.w[p.w.i].have[p.w.w] == held && s.e != nil {
		if w := s.e.slice(p.w); w != nil && p.off < len(w) {
			key := packKey{&w[p.off], len(w) - p.off, p.m, p.kind}
			if _, ok := s.e.a.packs.u[key]; ok {
				return
			}
		}
	}
	if s.packN+n <= packBudget {
		s.packN += n
		s.bytes += alloc(bytesOf[float32](n)) + packEntryBytes
		return
	}
	s.wps = max(s.wps, n)
}

// SetCold sets whether the Explainer's calls keep none of the packed
// operands they compute (the Winograd transforms of the weights, the
// narrow products' packed weights; see packCache): each is computed into
// one scratch buffer when it is used, as past packBudget. Cold, a
// ResNet-18's first explanation with epsilon_gamma_box computes the same
// transforms but writes some 280 MB less memory it has never touched
// (0.89 → 0.74 s in Node); every cold call computes them again (about
// 80 ms of each). Prepare keeps them whatever the setting. Setting it
// back drops the scratch buffer that the cold calls grew to the largest
// operand.
func (e *Explainer) SetCold(cold bool) {
	if e.a.packs.cold && !cold {
		e.a.wps = nil
	}
	e.a.packs.cold = cold
}

// packMinFloats is the smallest dense operand packedW caches: a smaller
// one (a depthwise convolution's 3×3 or 7×7 weights of one channel, one
// operand per channel) is packed into a scratch buffer on every call,
// which costs about as much as its lookup in the cache, and keeps the
// cache to the operands worth keeping.
const packMinFloats = 1024

// packedW returns the a operand [m×k] of a dense product packed by
// packWhole: w [m][k] as it is, or with t, w [k][m] transposed. It is
// cached (packed) if it has packMinFloats floats or more.
func (a *arena) packedW(w []float32, m, k int, t bool) []float32 {
	am, kind := mat{w, k, 1}, denseForward
	if t {
		am, kind = mat{w, 1, m}, denseTransposed
	}
	n := packedSize(m, k)
	if n < packMinFloats {
		ap := grow(&a.wps, n)
		packWhole(ap, am, m, k)
		return ap
	}
	return a.packed(w, kind, m, n, func(ap []float32) { packWhole(ap, am, m, k) })
}

// packMaxCols is the widest product whose weights gemmWeightsRows packs once
// and caches: packing a [m×k] costs about one product per element of a,
// 1/n of the product's, negligible for wide products (ResNet-18's first
// layers) where a cached copy would only take memory. The products at or
// below it in ResNet-18, layer3's and layer4's stride-2 convolutions and
// projections, keep 5.1 Mi floats with epsilon_gamma_box, for 1% less
// time in wasm.
const packMaxCols = 256

// gemmWeightsRows is gemmBias for a layer's weights w [m][k], or with t,
// w [k][m] used transposed, as the a operand: packed once and cached
// when n ≤ packMaxCols (unless tiny: packedW), packed on each call
// otherwise. It computes the rows lo ≤ i < hi of c only (lo a multiple
// of mr; 0 and m for all of them), each as the whole product computes it.
func gemmWeightsRows(lo, hi, m, n, k int, w []float32, t bool, b mat, c []float32, ldc int, acc bool, bias []float32, p *arena) {
	if n > packMaxCols {
		a := mat{w[lo*k:], k, 1}
		if t {
			a = mat{w[lo:], 1, m}
		}
		if bias != nil {
			bias = bias[lo:hi]
		}
		gemmBias(hi-lo, n, k, a, b, c[lo*ldc:], ldc, acc, bias, p)
		return
	}
	gemmPackedRows(lo, hi, m, n, k, p.packedW(w, m, k, t), b, c, ldc, acc, bias, p)
}

// gemmRows replays gemmWeightsRows for a sizer: the product of the
// weights w (from value off on) with m rows, n columns and depth k.
func (s *sizer) gemmRows(m, n, k int, w wref, off int, t bool) {
	if n > packMaxCols {
		s.panels(m, n, k, false)
		return
	}
	kind, p := denseForward, packedSize(m, k)
	if t {
		kind = denseTransposed
	}
	if p < packMinFloats {
		s.wps = max(s.wps, p)
	} else {
		s.packed(packSlot{w, kind, m, off}, p)
	}
	s.panels(m, n, k, true)
}
