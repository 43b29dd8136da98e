//go:build wasm

package lrp

// simd is set while the products run on the SIMD kernels (UseSIMD).
var simd bool

// UseSIMD chooses the kernels of the matrix products (packing b included)
// and the Winograd transforms: with on, the 128-bit SIMD kernels of
// wasm/kernels/kernels.wat, which the host supplies as the imports of
// module lrpsimd (web/runtime.js does, when the host has WebAssembly SIMD and
// init was not asked for simd: false); without, the pure-Go kernels. Both
// give the same results to the bit (kernels.wat tells why). It reports
// whether the SIMD kernels are in use. Natively there are none: it does
// nothing and reports false. It is meant to be called once, at start-up,
// before any explanation: a call while one runs changes the kernels of
// the products after it.
func UseSIMD(on bool) bool {
	simd = on
	return simd
}

// macroSIMD is the kernel's macro: c = a·b + bias (+ c with add) over mb
// rows and nf columns, a multiple of nr, kp deep, for a packed by packA
// and b by packB, c's rows ldc floats apart; bias may be nil. It reads
// and writes Go's memory at these addresses during the call only (Go's
// collector does not move objects), and keeps none of them.
//
//go:wasmimport lrpsimd macro
//go:noescape
func macroSIMD(a, b *float32, mb, nf, kp int32, c *float32, ldc int32, add bool, bias *float32)

// packBSIMD is the kernel's packb: it copies the np panels of 4 columns of
// b, kb rows ldb floats apart, to bp as packB lays them out, with the
// depths kb ≤ t < kp zero.
//
//go:wasmimport lrpsimd packb
//go:noescape
func packBSIMD(bp, b *float32, ldb, kb, kp, np int32)

// packB copies b[p0:p0+kb][0:n] into panels of nr columns as packBGo
// does: when the SIMD kernel is in use and the rows of b are contiguous,
// the full panels in one call to the kernel (one 16-byte load and store
// per depth and panel) and the last n mod nr columns with packBGo;
// otherwise all with packBGo.
func packB(bp []float32, b mat, p0, kb, kp, n int) {
	nf := n - n%nr
	if !simd || b.cs != 1 || nf == 0 {
		packBGo(bp, b, p0, kb, kp, n)
		return
	}
	// The bounds that packBGo's slicing checks.
	d := b.d[p0*b.rs : (p0+kb-1)*b.rs+n]
	bp = bp[:(n+nr-1)/nr*nr*kp]
	packBSIMD(&bp[0], &d[0], int32(b.rs), int32(kb), int32(kp), int32(nf/nr))
	if nf < n {
		packBGo(bp[nf*kp:], mat{d[nf:], b.rs, 1}, 0, kb, kp, n-nf)
	}
}

// macro multiplies the packed block ap (mb rows) by bp (n columns), both
// kp deep, into c, adding bias[i] to row i when bias is not nil: on the
// SIMD kernel when it is in use, in one call for the full column panels
// (the call from Go through JavaScript into the kernel costs about 30 ns,
// a block takes microseconds to milliseconds) and one for the last
// n mod nr columns, into a buffer; otherwise macroGo.
func macro(ap, bp []float32, mb, n, kp int, c []float32, ldc int, add bool, bias []float32) {
	if !simd {
		macroGo(ap, bp, mb, n, kp, c, ldc, add, bias)
		return
	}
	// The kernel works on addresses: these are the bounds that macroGo's
	// slicing checks.
	nf := n - n%nr
	ap = ap[:roundMr(mb)*kp]
	bp = bp[:(n+nr-1)/nr*nr*kp]
	c = c[:(mb-1)*ldc+n]
	var pb *float32
	if bias != nil {
		pb = &bias[:mb][0]
	}
	if nf > 0 {
		macroSIMD(&ap[0], &bp[0], int32(mb), int32(nf), int32(kp), &c[0], int32(ldc), add, pb)
	}
	if nf == n {
		return
	}
	var t [mc * nr]float32 // the last columns of mb ≤ mc rows
	macroSIMD(&ap[0], &bp[nf*kp], int32(mb), nr, int32(kp), &t[0], nr, false, pb)
	for i := range mb {
		row, ti := c[i*ldc+nf:i*ldc+n], t[i*nr:]
		for j := range row {
			if add {
				row[j] += ti[j]
			} else {
				row[j] = ti[j]
			}
		}
	}
}

// winoInputSIMD and winoOutputSIMD are the kernel's wino_input and
// wino_output: winoInputGo and winoOutputGo on addresses, to the bit.
//
//go:wasmimport lrpsimd wino_input
//go:noescape
func winoInputSIMD(v, x *float32, c, h, w, th, tw, pt, pl, vs int32, pad *float32, xs int32)

//go:wasmimport lrpsimd wino_output
//go:noescape
func winoOutputSIMD(dst, m *float32, k, oh, ow, th, tw, ms int32, bias *float32, acc bool, ds int32)

// winoInput is winoInputGo, on the SIMD kernel when it is in use (one
// call per transform).
func winoInput(v, x []float32, c, h, w, th, tw, pt, pl, vs int, pad []float32, xs int) {
	if !simd || c == 0 || th == 0 || tw == 0 {
		winoInputGo(v, x, c, h, w, th, tw, pt, pl, vs, pad, xs)
		return
	}
	// The bounds that winoInputGo's slicing checks: v's 16 planes, x's
	// c channels and pad's plane and 4 scratch rows.
	nt, pw := th*tw, 2*tw+2
	v = v[:15*vs+c*nt]
	x = x[:(c-1)*xs+h*w]
	pad = pad[:(2*th+6)*pw]
	winoInputSIMD(&v[0], &x[0], int32(c), int32(h), int32(w), int32(th), int32(tw), int32(pt), int32(pl), int32(vs), &pad[0], int32(xs))
}

// winoOutput is winoOutputGo, on the SIMD kernel when it is in use (one
// call per transform).
func winoOutput(dst, m []float32, k, oh, ow, th, tw, ms int, bias []float32, acc bool, ds int) {
	if !simd || k == 0 || th == 0 || tw == 0 {
		winoOutputGo(dst, m, k, oh, ow, th, tw, ms, bias, acc, ds)
		return
	}
	// The bounds that winoOutputGo's slicing checks.
	nt := th * tw
	dst = dst[:(k-1)*ds+oh*ow]
	m = m[:15*ms+k*nt]
	var pb *float32
	if bias != nil {
		pb = &bias[:k][0]
	}
	winoOutputSIMD(&dst[0], &m[0], int32(k), int32(oh), int32(ow), int32(th), int32(tw), int32(ms), pb, acc, int32(ds))
}
