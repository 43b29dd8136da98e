package lrp

// arena hands out scratch buffers that are reused across calls, so that an
// Explainer stops allocating after its first call. f32 buffers are handed
// out in order and all become free again at reset (once per node); the
// kernels' own buffers (im2col columns, packed panels, float64 sums) are
// single buffers that each kernel call uses and releases.
type arena struct {
	b32    [][]float32
	n32    int
	b64    []float64
	cols   []float32
	pa, pb []float32
	// colsL and colsX name the layer and the input whose im2col columns
	// cols holds, as the forward pass left them (see Conv2D.forward); any
	// other use of cols forgets them.
	colsL *Conv2D
	colsX *float32
	// Winograd (winograd.go): the transformed input V, the products M
	// and one zero-padded input plane.
	wv, wm, wpad []float32
	// The cache of packed weights (packcache.go), and the operand packed
	// past its budget.
	packs packCache
	wps   []float32
	// exact is set while a rule whose products must keep exact zeros
	// runs: no Winograd then (see winogradSafe).
	exact bool
	// needX and needD are the first element and the density of the last
	// need vector a convolution's forward pass counted since the reset;
	// within, when set, is a vector whose nonzeros include those of every
	// gradient of the transposed passes (the relevance at the layer's
	// output, see layerBackward), and supp, when not nil, the sorted
	// indices outside of which within is zero (Explainer.support).
	needX  *float32
	needD  float64
	within []float32
	supp   []int32
	// split, when it has a partner, makes the large products compute
	// half of their rows and exchange them with it (split.go).
	split split
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

// colsOf returns the im2col columns (n values) of input x for layer l if
// cols still holds them from the forward pass, or nil.
func (a *arena) colsOf(l *Conv2D, x []float32, n int) []float32 {
	if a.colsL != l || a.colsX != &x[0] || len(a.cols) != n {
		return nil
	}
	return a.cols
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

// reset makes every f32 buffer available again and forgets the counted
// density.
func (a *arena) reset() { a.n32, a.needX = 0, nil }

// sparseWithin reports whether the gradients of a transposed pass are known
// to be sparse without counting them: their nonzeros lie within a.within,
// whose density a forward pass counted as its need vector, or which is
// counted now at its listed support, below sparse.
func (a *arena) sparseWithin() bool {
	switch {
	case len(a.within) == 0:
		return false
	case a.needX == &a.within[0]:
	case a.supp != nil:
		a.needX, a.needD = &a.within[0], densityAt(a.within, a.supp)
	default:
		return false
	}
	return a.needD < sparse
}

// supportOf returns the sorted indices outside of which v is zero, if
// they are known (v is a.within and a.supp is set), or nil.
func (a *arena) supportOf(v []float32) []int32 {
	if len(v) == 0 || len(a.within) == 0 || &v[0] != &a.within[0] {
		return nil
	}
	return a.supp
}
