//go:build wasm

package lrp

// The elementwise steps, im2col, col2im and max pooling on the SIMD
// kernels (the second half of wasm/kernels/kernels.wat). Each simdNAME
// runs the Go helper of that name on the kernel when the SIMD kernels are
// in use (UseSIMD) and the call pays, and reports whether it did; the
// helper runs its own loop otherwise. The kernel does Go's operations in
// Go's order on every value, so both give the same bits
// (TestStepsSIMDMatchGo). Go checks the bounds that the Go loop's slicing
// would, then passes addresses: the kernel reads and writes Go's memory
// during the call only.

// simdMin is the least number of values for which an elementwise call
// goes to the kernel: a call from Go through JavaScript into it costs
// about as much as Go's loop over a few dozen values.
const simdMin = 64

//go:wasmimport lrpsimd add
//go:noescape
func addSIMD(dst, a, b *float32, n int32)

//go:wasmimport lrpsimd mul
//go:noescape
func mulSIMD(dst, x, c *float32, n int32)

//go:wasmimport lrpsimd mul_add
//go:noescape
func mulAddSIMD(dst, x, c *float32, n int32, k float32)

//go:wasmimport lrpsimd quot
//go:noescape
func quotSIMD(g, r, z, d0 *float32, n int32, eps float32)

//go:wasmimport lrpsimd quot_gamma
//go:noescape
func quotGammaSIMD(gp, gn, z, q, rel *float32, n int32, gamma, eps float32, bits *[2]uint32)

//go:wasmimport lrpsimd quot_at
//go:noescape
func quotAtSIMD(g, r, z, d0 *float32, n int32, eps float32, sup *int32, nsup int32)

//go:wasmimport lrpsimd quot_gamma_at
//go:noescape
func quotGammaAtSIMD(gp, gn, z, q, rel *float32, n int32, gamma, eps float32, bits *[2]uint32, sup *int32, nsup int32)

//go:wasmimport lrpsimd unpool
//go:noescape
func unpoolSIMD(dst, r *float32, arg *int32, n, nin int32)

//go:wasmimport lrpsimd box_sum
//go:noescape
func boxSumSIMD(dst, x, lt, ht, cp, cn *float32, n int32)

//go:wasmimport lrpsimd norm_add
//go:noescape
func normAddSIMD(d0, d1, x0, x1, r, y *float32, n int32, eps float32)

//go:wasmimport lrpsimd relu
//go:noescape
func reluSIMD(dst, x, r *float32, n int32)

//go:wasmimport lrpsimd nonzeros
//go:noescape
func nonzerosSIMD(v *float32, n int32) int32

//go:wasmimport lrpsimd sum64
//go:noescape
func sum64SIMD(v *float32, n int32) float64

//go:wasmimport lrpsimd negatives
//go:noescape
func negativesSIMD(x *float32, n int32) bool

//go:wasmimport lrpsimd split
//go:noescape
func splitSIMD(xp, xn, x *float32, n int32)

//go:wasmimport lrpsimd signed
//go:noescape
func signedSIMD(dst, x *float32, n int32, kp, kn float32)

//go:wasmimport lrpsimd wino_pack
//go:noescape
func winoPackSIMD(ap *float32, at *[16]int32, w *float32, k, kb, kp, rs9, ds9 int32)

//go:wasmimport lrpsimd scatter
//go:noescape
func scatterSIMD(cols, w, g *float32, k, np int32, sup *int32, nsup, o0 int32)

//go:wasmimport lrpsimd scatter_t
//go:noescape
func scatterTSIMD(ct, w, g *float32, k, np, og int32, sup *int32, nsup, o0 int32, clear bool)

//go:wasmimport lrpsimd untranspose
//go:noescape
func untransposeSIMD(cols, ct *float32, k, np int32)

//go:wasmimport lrpsimd gather
//go:noescape
func gatherSIMD(out, w, cols, need *float32, k, np, og int32, sup *int32, nsup, o0 int32, bias *float32)

//go:wasmimport lrpsimd gather_t
//go:noescape
func gatherTSIMD(out, w, ct, need *float32, k, np, og int32, sup *int32, nsup, o0 int32, bias *float32)

//go:wasmimport lrpsimd axpy
//go:noescape
func axpySIMD(y, x *float32, n int32, g float32)

//go:wasmimport lrpsimd dot4
//go:noescape
func dot4SIMD(a *float32, ld int32, x *float32, k int32, out *[4]float32)

//go:wasmimport lrpsimd gemv_rows
//go:noescape
func gemvRowsSIMD(a *float32, ld int32, x *float32, k int32, c *float32, m4 int32, acc bool)

//go:wasmimport lrpsimd gemv_cols
//go:noescape
func gemvColsSIMD(c, a *float32, cs int32, x *float32, k, m int32)

//go:wasmimport lrpsimd sum9
//go:noescape
func sum9SIMD(dst, r0, r1, r2, r3, r4, r5, r6, r7, r8 *float32, n int32)

//go:wasmimport lrpsimd im2col
//go:noescape
func im2colSIMD(cols, x *float32, cg, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl int32)

//go:wasmimport lrpsimd col2im
//go:noescape
func col2imSIMD(dst, cols *float32, c0, c1, h, w, oh, ow, kh, kw, sh, sw, dh, dw, pt, pl int32)

//go:wasmimport lrpsimd max_pool
//go:noescape
func maxPoolSIMD(dst *float32, arg *int32, x *float32, c, h, w, oh, ow, kh, kw, sh, sw, pt, pl int32)

// simdAdd is add: dst += a.
func simdAdd(dst, a []float32) bool {
	if !simd || len(a) < simdMin {
		return false
	}
	dst = dst[:len(a)]
	addSIMD(&dst[0], &dst[0], &a[0], int32(len(a)))
	return true
}

// simdAddTo is the forward pass of an Add: dst = a + b.
func simdAddTo(dst, a, b []float32) bool {
	if !simd || len(a) < simdMin {
		return false
	}
	dst, b = dst[:len(a)], b[:len(a)]
	addSIMD(&dst[0], &a[0], &b[0], int32(len(a)))
	return true
}

// simdSum64 is sum64.
func simdSum64(v []float32) (float64, bool) {
	if !simd || len(v) < simdMin {
		return 0, false
	}
	return sum64SIMD(&v[0], int32(len(v))), true
}

// simdNegatives reports whether x has a value below 0, as step.split
// tests; done is false when it did not run.
func simdNegatives(x []float32) (neg, done bool) {
	if !simd || len(x) < simdMin {
		return false, false
	}
	return negativesSIMD(&x[0], int32(len(x))), true
}

// simdSplit is step.split's xp = max(x, 0), xn = min(x, 0).
func simdSplit(xp, xn, x []float32) bool {
	if !simd || len(x) < simdMin {
		return false
	}
	xp, xn = xp[:len(x)], xn[:len(x)]
	splitSIMD(&xp[0], &xn[0], &x[0], int32(len(x)))
	return true
}

// simdMul is mul: dst = x ⊙ c.
func simdMul(dst, x, c []float32) bool {
	if !simd || len(c) < simdMin {
		return false
	}
	dst, x = dst[:len(c)], x[:len(c)]
	mulSIMD(&dst[0], &x[0], &c[0], int32(len(c)))
	return true
}

// simdMulAdd is mulAdd: dst += k·(x ⊙ c).
func simdMulAdd(dst, x, c []float32, k float32) bool {
	if !simd || len(c) < simdMin {
		return false
	}
	dst, x = dst[:len(c)], x[:len(c)]
	mulAddSIMD(&dst[0], &x[0], &c[0], int32(len(c)), k)
	return true
}

// simdQuotients is quotients without a support: g = R / stab(z − d0), or
// R / stab(z) for a nil d0 (step.div).
func simdQuotients(g, r, z, d0 []float32, eps float32) bool {
	if !simd || len(z) < simdMin {
		return false
	}
	g, r = g[:len(z)], r[:len(z)]
	var p0 *float32
	if d0 != nil {
		p0 = &d0[:len(z)][0]
	}
	quotSIMD(&g[0], &r[0], &z[0], p0, int32(len(z)), eps)
	return true
}

// simdGammaQuotients is Gamma.quotientsFrom without a support; it returns
// the bits of all gp and of all gn ORed.
func simdGammaQuotients(gp, gn, z, q, rel []float32, gamma, eps float32) (bp, bn uint32, ok bool) {
	if !simd || len(z) < simdMin {
		return 0, 0, false
	}
	gp, gn, q, rel = gp[:len(z)], gn[:len(z)], q[:len(z)], rel[:len(z)]
	var bits [2]uint32
	quotGammaSIMD(&gp[0], &gn[0], &z[0], &q[0], &rel[0], int32(len(z)), gamma, eps, &bits)
	return bits[0], bits[1], true
}

// inSupport reports whether the sorted indices sup all lie in [0, n), as
// the kernels that visit them require (they trap on one outside).
func inSupport(sup []int32, n int) bool {
	return len(sup) > 0 && sup[0] >= 0 && int(sup[len(sup)-1]) < n
}

// simdQuotientsAt is quotients and step.div with R's support sup: g =
// R / stab(z − d0) at the indices of sup, 0 elsewhere; d0 may be nil.
func simdQuotientsAt(g, r, z, d0 []float32, eps float32, sup []int32) bool {
	n := len(z)
	if !simd || n < simdMin || !inSupport(sup, n) {
		return false
	}
	g, r = g[:n], r[:n]
	var p0 *float32
	if d0 != nil {
		p0 = &d0[:n][0]
	}
	quotAtSIMD(&g[0], &r[0], &z[0], p0, int32(n), eps, &sup[0], int32(len(sup)))
	return true
}

// simdGammaQuotientsAt is Gamma.quotientsFrom with R's support sup; it
// returns the bits of all gp and of all gn ORed.
func simdGammaQuotientsAt(gp, gn, z, q, rel []float32, gamma, eps float32, sup []int32) (bp, bn uint32, ok bool) {
	n := len(z)
	if !simd || n < simdMin || !inSupport(sup, n) {
		return 0, 0, false
	}
	gp, gn, q, rel = gp[:n], gn[:n], q[:n], rel[:n]
	var bits [2]uint32
	quotGammaAtSIMD(&gp[0], &gn[0], &z[0], &q[0], &rel[0], int32(n), gamma, eps, &bits, &sup[0], int32(len(sup)))
	return bits[0], bits[1], true
}

// simdUnpool is the gradient of a max pooling: dst = 0, then dst[arg[o]]
// += r[o] for every output o in order.
func simdUnpool(dst, r []float32, arg []int32) bool {
	if !simd || len(arg) < simdMin || len(dst) == 0 {
		return false
	}
	r = r[:len(arg)]
	unpoolSIMD(&dst[0], &r[0], &arg[0], int32(len(arg)), int32(len(dst)))
	return true
}

// simdBoxSum is boxSum: dst = (x − L) ⊙ c⁺ + (x − H) ⊙ c⁻.
func simdBoxSum(dst, x, lt, ht, cp, cn []float32) bool {
	n := len(x)
	if !simd || n < simdMin {
		return false
	}
	dst, lt, ht, cp, cn = dst[:n], lt[:n], ht[:n], cp[:n], cn[:n]
	boxSumSIMD(&dst[0], &x[0], &lt[0], &ht[0], &cp[0], &cn[0], int32(n))
	return true
}

// simdNormAdd is the Norm rule through an Add: g = R / stab(y), d0 = x0 ⊙ g,
// d1 = x1 ⊙ g.
func simdNormAdd(d0, d1, x0, x1, r, y []float32, eps float32) bool {
	if !simd || len(y) < simdMin {
		return false
	}
	n := len(y)
	d0, d1, x0, x1, r = d0[:n], d1[:n], x0[:n], x1[:n], r[:n]
	normAddSIMD(&d0[0], &d1[0], &x0[0], &x1[0], &r[0], &y[0], int32(n), eps)
	return true
}

// simdReLU is reluTo: dst = relu(x).
func simdReLU(dst, x []float32) bool {
	if !simd || len(x) < simdMin {
		return false
	}
	dst = dst[:len(x)]
	reluSIMD(&dst[0], &x[0], nil, int32(len(x)))
	return true
}

// simdReLUGradient is the gradient through a ReLU: dst = R where x > 0,
// else 0.
func simdReLUGradient(dst, r, x []float32) bool {
	if !simd || len(x) < simdMin {
		return false
	}
	dst, r = dst[:len(x)], r[:len(x)]
	reluSIMD(&dst[0], &x[0], &r[0], int32(len(x)))
	return true
}

// simdNonzeros returns the number of values of v that are not ±0, as
// density counts them.
func simdNonzeros(v []float32) (int, bool) {
	if !simd || len(v) < simdMin {
		return 0, false
	}
	return int(nonzerosSIMD(&v[0], int32(len(v)))), true
}

// simdSum9 is sum9.
func simdSum9(dst []float32, r *[9][]float32) bool {
	n := len(dst)
	if !simd || n < simdMin {
		return false
	}
	r0, r1, r2, r3, r4, r5, r6, r7, r8 := r[0][:n], r[1][:n], r[2][:n], r[3][:n], r[4][:n], r[5][:n], r[6][:n], r[7][:n], r[8][:n]
	sum9SIMD(&dst[0], &r0[0], &r1[0], &r2[0], &r3[0], &r4[0], &r5[0], &r6[0], &r7[0], &r8[0], int32(n))
	return true
}

// simdIm2col is Conv2D.im2col of a convolution that is not flat, for
// group g: one call.
func (l *Conv2D) simdIm2col(cols, x []float32, g, h, w, oh, ow int) bool {
	cg := l.InC / l.Groups
	if !simd || cg == 0 || oh*ow == 0 {
		return false
	}
	cols = cols[:cg*l.KH*l.KW*oh*ow]
	x = x[g*cg*h*w : (g+1)*cg*h*w]
	im2colSIMD(&cols[0], &x[0], int32(cg), int32(h), int32(w), int32(oh), int32(ow),
		int32(l.KH), int32(l.KW), int32(l.SH), int32(l.SW), int32(l.DH), int32(l.DW), int32(l.PT), int32(l.PL))
	return true
}

// simdCol2im is Conv2D.col2im of a convolution that is not flat, for the
// channels c0 ≤ c < c1: one call.
func (l *Conv2D) simdCol2im(dst, cols []float32, c0, c1, h, w, oh, ow int) bool {
	kk, np := l.KH*l.KW, oh*ow
	if !simd || c0 >= c1 || np == 0 {
		return false
	}
	dst = dst[:c1*h*w]
	cols = cols[c0*kk*np : c1*kk*np]
	col2imSIMD(&dst[0], &cols[0], int32(c0), int32(c1), int32(h), int32(w), int32(oh), int32(ow),
		int32(l.KH), int32(l.KW), int32(l.SH), int32(l.SW), int32(l.DH), int32(l.DW), int32(l.PT), int32(l.PL))
	return true
}

// simdMaxPool is maxPool, for a pooling whose every window holds an input
// (each padding smaller than the window, which the kernel counts on) and
// lies within the padded input (not ceil mode, whose last windows run past
// it: those stay with Go).
func simdMaxPool(dst []float32, arg []int32, x []float32, l *MaxPool2D, in []int) bool {
	c, h, w := in[0], in[1], in[2]
	oh, ow := outLen(h, l.KH, l.SH, l.PT, l.PB), outLen(w, l.KW, l.SW, l.PL, l.PR)
	if !simd || l.Ceil || c*oh*ow == 0 || l.PT >= l.KH || l.PB >= l.KH || l.PL >= l.KW || l.PR >= l.KW {
		return false
	}
	dst, arg, x = dst[:c*oh*ow], arg[:c*oh*ow], x[:c*h*w]
	maxPoolSIMD(&dst[0], &arg[0], &x[0], int32(c), int32(h), int32(w), int32(oh), int32(ow),
		int32(l.KH), int32(l.KW), int32(l.SH), int32(l.SW), int32(l.PT), int32(l.PL))
	return true
}

// simdSigned is signed's loop: dst = v + kp·v⁺ + kn·v⁻.
func simdSigned(dst, v []float32, kp, kn float32) bool {
	if !simd || len(v) < simdMin {
		return false
	}
	dst = dst[:len(v)]
	signedSIMD(&dst[0], &v[0], int32(len(v)), kp, kn)
	return true
}

// simdWinoPack is the loop of winoPack over the rows of depth block p0
// (kb deep, padded to kp), whose row panels start at ap[base:]: one call.
func simdWinoPack(ap []float32, at *[16]int, w []float32, k, kb, kp, rs, ds, base, p0 int) bool {
	if !simd || k == 0 || kb == 0 {
		return false
	}
	// The bounds that winoKernels' slicing checks: the last kernel read,
	// and the last value written (row k−1, depth kb−1, the farthest operand).
	_ = w[((k-1)*rs+(p0+kb-1)*ds)*9+8]
	var at32 [16]int32
	last := 0
	for xi, a := range at {
		at32[xi] = int32(a)
		last = max(last, a)
	}
	_ = ap[base+(k-1)/mr*mr*kp+(k-1)%mr+(kb-1)*mr+last]
	winoPackSIMD(&ap[base], &at32, &w[p0*ds*9], int32(k), int32(kb), int32(kp), int32(rs*9), int32(ds*9))
	return true
}

// simdScatter is the sparse transpose of one output channel in
// Conv2D.transpose: cols[t][p] += g[p]·w[t] for every t of w at every
// nonzero g[p], p over the indices in minus o0 when in is not nil (its
// nonzeros' positions, sorted), else over all of g.
func simdScatter(cols, w, g []float32, np int, in []int32, o0 int) bool {
	k := len(w)
	if !simd || k == 0 || len(g) < np || len(cols) < k*np || (in == nil && np == 0) {
		return false
	}
	var sup *int32
	if in != nil {
		if len(in) == 0 {
			return true
		}
		// The positions index g and a column of cols: in lies in
		// [o0, o0+np) (supportIn).
		if int(in[0]) < o0 || int(in[len(in)-1]) >= o0+np {
			return false
		}
		sup = &in[0]
	}
	scatterSIMD(&cols[0], &w[0], &g[0], int32(k), int32(np), sup, int32(len(in)), int32(o0))
	return true
}

// simdTransposeSparse is Conv2D.transpose of group gr when every term's
// gradient is sparse, on the SIMD kernel when it is in use: per term one
// call that scatters all of its nonzeros (each g[o][p]·w[o] added to
// column p) into the transposed columns [np][k], a row of k floats per
// column, where they take vectors, then one call that turns them back
// into columns [k][np] (in the buffer packB, which no product is using)
// and one to col2im, which adds them to out, the group's channels of dst
// (out is cleared first unless acc). Every value gets the same products and sums in the same
// order as the loops of transpose and col2im, so the same bits. sup, if
// not nil, lists where the gradients' nonzeros lie (pass.supp).
func (l *Conv2D) simdTransposeSparse(out []float32, t terms, gr int, sup []int32, acc bool, h, wd, oh, ow int, a *arena) bool {
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	k, np := cg*l.KH*l.KW, oh*ow
	if !simd || k == 0 || np == 0 || og == 0 || l.pointwise() {
		return false
	}
	out = out[:cg*h*wd]
	ct := a.col(k * np)
	o0 := gr * og * np
	first := true
	for _, t := range t {
		if t.g == nil {
			continue
		}
		w, g := t.w[gr*og*k:(gr+1)*og*k], t.g[o0:o0+og*np]
		var none int32 // the address of an empty list
		p, n := (*int32)(nil), 0
		if sup != nil {
			in := sup // one group: all of it
			if l.Groups > 1 {
				in, _ = supportIn(sup, 0, o0, o0+og*np)
			}
			p, n = &none, len(in)
			if n > 0 {
				p = &in[0]
			}
		}
		scatterTSIMD(&ct[0], &w[0], &g[0], int32(k), int32(np), int32(og), p, int32(n), int32(o0), first)
		first = false
	}
	if first {
		return false
	}
	if !acc {
		clear(out)
	}
	cols := a.packB(k * np)
	untransposeSIMD(&cols[0], &ct[0], int32(k), int32(np))
	col2imSIMD(&out[0], &cols[0], 0, int32(cg), int32(h), int32(wd), int32(oh), int32(ow),
		int32(l.KH), int32(l.KW), int32(l.SH), int32(l.SW), int32(l.DH), int32(l.DW), int32(l.PT), int32(l.PL))
	return true
}

// transposeScratch is the size of the buffer packB that
// simdTransposeSparse and simdGather take for the columns [k][np] or
// their transpose (n values) when the SIMD kernels are in use, else 0.
func transposeScratch(n int) int {
	if !simd {
		return 0
	}
	return n
}

// simdGather is the sparse forward pass of the og output channels of a
// group in Conv2D.forward, in one call: out[m] = Σ_t w[o][t]·cols[t][p] +
// b[o] at m = o·np + p where need[m] ≠ 0 and 0 elsewhere, for w [og][k],
// out and need [og][np], b nil (no bias) or [og]; m over the indices in
// minus o0 when in is not nil (where need's nonzeros lie, sorted), else
// over all. Unless in lists fewer than np/4 positions, cols is first
// transposed into the buffer packB of a (untranspose), where the terms of
// each sum are adjacent (gather_t).
func simdGather(out, w, cols, need []float32, k, np, og int, in []int32, o0 int, b []float32, a *arena) bool {
	n := og * np
	if !simd || k == 0 || n == 0 || len(out) < n || len(need) < n || len(w) < og*k || len(cols) < k*np {
		return false
	}
	var bias *float32
	var list *int32
	if b != nil {
		bias = &b[:og][0]
	}
	if in != nil {
		if len(in) == 0 {
			clear(out[:n])
			return true
		}
		if int(in[0]) < o0 || int(in[len(in)-1]) >= o0+n {
			return false
		}
		list = &in[0]
	}
	if in != nil && 4*len(in) < np {
		gatherSIMD(&out[0], &w[0], &cols[0], &need[0], int32(k), int32(np), int32(og), list, int32(len(in)), int32(o0), bias)
		return true
	}
	ct := a.packB(k * np)
	untransposeSIMD(&ct[0], &cols[0], int32(np), int32(k))
	gatherTSIMD(&out[0], &w[0], &ct[0], &need[0], int32(k), int32(np), int32(og), list, int32(len(in)), int32(o0), bias)
	return true
}

// simdAxpy is axpy: y += g·x.
func simdAxpy(y, x []float32, g float32) bool {
	if !simd || len(y) < simdMin {
		return false
	}
	x = x[:len(y)]
	axpySIMD(&y[0], &x[0], int32(len(y)), g)
	return true
}

// simdDot4 is dot4: x's dot products with the rows a[0:], a[ld:],
// a[2ld:], a[3ld:].
func simdDot4(a []float32, ld int, x []float32) (s [4]float32, ok bool) {
	k := len(x)
	if !simd || k < simdMin {
		return s, false
	}
	_ = a[3*ld+k-1] // the bounds of dot4's last row
	dot4SIMD(&a[0], int32(ld), &x[0], int32(k), &s)
	return s, true
}

// simdGemvRows is gemvRows over its first m4 rows (a multiple of 4) into
// a contiguous c, in one call: dot4 for every four rows.
func simdGemvRows(m4, k int, a mat, x, c []float32, acc bool) bool {
	if !simd || k < simdMin || m4 == 0 || len(x) < k {
		return false
	}
	_ = a.d[(m4-1)*a.rs+k-1] // the bounds of dot4's last row
	c = c[:m4]
	gemvRowsSIMD(&a.d[0], int32(a.rs), &x[0], int32(k), &c[0], int32(m4), acc)
	return true
}

// simdGemvCols is gemvCols into a contiguous c (m = len(c) values) in one
// call: axpy of row t of aᵀ times x[t] for each nonzero x[t].
func simdGemvCols(c []float32, a mat, x []float32) bool {
	m := len(c)
	if !simd || m < simdMin || len(x) == 0 {
		return false
	}
	_ = a.d[(len(x)-1)*a.cs+m-1] // the last row of aᵀ that axpy reads
	gemvColsSIMD(&c[0], &a.d[0], int32(a.cs), &x[0], int32(len(x)), int32(m))
	return true
}
