package lrp

// Memory and settings. The kernels take two things besides their operands:
// an arena, which hands out scratch memory, and a pass, which says how
// one layer's products are to be computed. The arena is the Explainer's,
// shared by every call; a pass is built by the code that runs a layer
// (Explainer.forward, Explainer.layerBackward) and lives as long as that
// layer's products, so that the call site shows what it asks for:
//
//	pass{exact: !ar.winogradSafe(), within: r, supp: e.supp[i], split: e.split}

// arena hands out scratch buffers that are reused across calls, so that an
// Explainer stops allocating after its first call. f32 buffers are handed
// out in order and all become free again at reset (once per node); the
// kernels' own buffers (im2col columns, packed panels, Winograd tiles,
// float64 sums) are single buffers that each kernel call uses and
// releases. What a buffer holds never changes how a kernel computes,
// except that the im2col columns remember whose they are, so that a
// rule's forward product can take the forward pass's (colsOf).
//
// The cache of packed weights (packcache.go) is part of the arena: it
// hands out packed operands as the other buffers hand out space, each a
// function of the weights it is keyed by, and gemmWeightsRows and the
// Winograd kernels take it through the arena they already have, rather
// than through another parameter of every kernel and of gemm.
type arena struct {
	b32    [][]float32
	n32    int
	b64    []float64
	cols   []float32
	pa, pb []float32
	// colsL and colsX name the layer and the input whose im2col columns
	// cols holds, as the forward pass left them (keepCols), and colsN
	// how many values (fewer than all of them in half of a split
	// product); any other use of cols forgets them.
	colsL *Conv2D
	colsX *float32
	colsN int
	// Winograd (winograd.go): the transformed input V, the products M
	// and one zero-padded input plane.
	wv, wm, wpad []float32
	// The cache of packed weights (packcache.go), and the operand packed
	// past its budget.
	packs packCache
	wps   []float32
	// stage holds a split product's columns on their way to and from the
	// partner (pass.shareCols).
	stage []float32
}

// grow returns b resliced to n, reallocated if its capacity is short.
func grow[T any](b *[]T, n int) []T {
	if cap(*b) < n {
		*b = make([]T, n)
	}
	return (*b)[:n]
}

// f64 returns a float64 scratch buffer of length n (contents undefined).
func (a *arena) f64(n int) []float64 { return grow(&a.b64, n) }

// col returns the im2col buffer of length n (contents undefined).
func (a *arena) col(n int) []float32 {
	a.colsL, a.colsX = nil, nil
	return grow(&a.cols, n)
}

// keepCols records that the im2col buffer holds n values of the columns
// of input x for layer l, for colsOf.
func (a *arena) keepCols(l *Conv2D, x []float32, n int) {
	a.colsL, a.colsX, a.colsN = l, &x[0], n
}

// colsOf returns the im2col columns (n values) of input x for layer l if
// cols still holds them, the same n values, from the forward pass, or nil.
func (a *arena) colsOf(l *Conv2D, x []float32, n int) []float32 {
	if a.colsL != l || a.colsX != &x[0] || a.colsN != n {
		return nil
	}
	return a.cols[:n]
}

// packA and packB return the gemm panel buffers (contents undefined).
func (a *arena) packA(n int) []float32 { return grow(&a.pa, n) }
func (a *arena) packB(n int) []float32 { return grow(&a.pb, n) }

// f32 returns a float32 scratch buffer of length n (contents undefined),
// distinct from the buffers returned since the last reset.
func (a *arena) f32(n int) []float32 {
	if a.n32 == len(a.b32) {
		a.b32 = append(a.b32, nil)
	}
	b := grow(&a.b32[a.n32], n)
	a.n32++
	return b
}

// reset makes every f32 buffer available again.
func (a *arena) reset() { a.n32 = 0 }

// A pass holds the settings of one layer's products: the model's forward
// pass through the layer, or its rule's products in the backward pass. Its
// builder sets them; the kernels read them and never change them. Its
// zero value computes every product whole and by the fastest path, as a
// cache of modified weights is computed (weights.go).
//
// Besides the settings, a pass holds the density of within once a kernel
// has counted it (density): a memo, not a setting. It is a fact of within,
// which the pass holds, so it lives and dies with the pass; a kernel that
// counts it for its own choice (a rule's forward product with need =
// within) spares a transposed product of the same pass a second count.
type pass struct {
	// exact keeps the products on the direct path, where exact zeros of
	// the weights or of the input cancel a product exactly: no Winograd
	// (a rule that is not winogradSafe, see winograd.go).
	exact bool
	// within, when set, is a vector whose nonzeros include those of every
	// gradient of the transposed products and of every need vector of the
	// forward products (the relevance at the layer's output, see
	// Explainer.layerBackward), and supp, when not nil, the sorted indices
	// outside of which within is zero (Explainer.support).
	within []float32
	supp   []int32
	// split, when it has a partner, makes the large products compute
	// half of their rows and exchange them with it (split.go).
	split split

	counted bool    // dens holds the density of within
	dens    float64 // see density
}

// density returns the density of within (densityAt at its support),
// counted on the first call.
func (p *pass) density() float64 {
	if !p.counted {
		p.dens, p.counted = densityAt(p.within, p.supp), true
	}
	return p.dens
}

// densityOf returns the density of a need vector v: within's (counted
// once), or v's own, counted now.
func (p *pass) densityOf(v []float32) float64 {
	if p.isWithin(v) {
		return p.density()
	}
	return density(v)
}

// sparseWithin reports whether the gradients of a transposed product are
// known to be sparse without counting them: their nonzeros lie within
// p.within, whose density a forward product of the pass counted already,
// or which is counted now at its listed support, below sparse.
func (p *pass) sparseWithin() bool {
	if len(p.within) == 0 || !p.counted && p.supp == nil {
		return false
	}
	return p.density() < sparse
}

// supportOf returns the sorted indices outside of which v is zero, if
// they are known (v is p.within and p.supp is set), or nil.
func (p *pass) supportOf(v []float32) []int32 {
	if !p.isWithin(v) {
		return nil
	}
	return p.supp
}

// isWithin reports whether v is p.within (the same first element).
func (p *pass) isWithin(v []float32) bool {
	return len(v) > 0 && len(p.within) > 0 && &v[0] == &p.within[0]
}
