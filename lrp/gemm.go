package lrp

// gemm is the one matrix product behind every affine layer: the forward
// pass, each rule's modified forward pass and each transposed pass.
// Operands are packed into panels (mr rows of a, nr columns of b, kc
// products deep), and a micro-kernel keeps a tile of c in registers while
// it walks the panels. In the browser the packed blocks go to a
// hand-written 128-bit SIMD kernel, 4×8 tiles (simd_wasm.go,
// wasm/kernels/kernels.wat), 4–5× faster than Go's. Go compiles to
// WebAssembly without SIMD, so for the pure-Go kernel, which runs natively
// and in wasm without the SIMD one, the speed comes from the shape of the
// loops: an mr×nr tile, unrolled ku× (kernel_wasm.go and kernel_other.go
// tell why the two ports differ), with bounds checks removed by converting
// slices to array pointers. Both kernels sum in the same order, so they
// give the same bits. A transposed operand is only a different stride to
// the packing, so Wᵀ·s runs the same kernel.
//
// Sums are accumulated in float32 over at most kc products, then added
// to c; the rounding this adds stays far below the 1e-5 parity budget
// (see TestGemmMatchesNaive and the fixtures).

const (
	mr = 2   // rows of a micro-tile
	nr = 4   // columns of a micro-tile
	kc = 256 // depth of a packed panel
	mc = 64  // rows of a packed once per depth block (mc×kc floats: 64 KiB)
)

// mat is a strided view of a matrix: element (i, j) is d[i*rs+j*cs].
type mat struct {
	d      []float32
	rs, cs int
}

// gemm sets c = a·b, or c += a·b when acc is set, for a [m×k], b [k×n] and
// c [m×n] row-major with row stride ldc. p supplies the packing buffers.
func gemm(m, n, k int, a, b mat, c []float32, ldc int, acc bool, p *arena) {
	gemmBias(m, n, k, a, b, c, ldc, acc, nil, p)
}

// gemmBias is gemm that also adds bias[i] to row i of c when bias is not
// nil. The kernel adds it when it first stores a tile, so that c is
// written once rather than filled with the bias first.
func gemmBias(m, n, k int, a, b mat, c []float32, ldc int, acc bool, bias []float32, p *arena) {
	done, acc, bias := gemmEdges(m, n, k, c, ldc, acc, bias)
	if done {
		return
	}
	if n == 1 && b.rs == 1 {
		switch {
		case a.cs == 1:
			gemvRows(m, k, a, b.d, c, ldc, acc)
			return
		case a.rs == 1:
			gemvCols(m, k, a, b.d, c, ldc, acc)
			return
		}
	}
	gemmPanels(0, m, m, n, k, a, nil, b, c, ldc, acc, bias, p)
}

// gemmPackedRows is gemmBias with a [m×k] given packed by packWhole in ap,
// for an operand that many calls share (a layer's weights): the calls skip
// packing it. It computes the rows lo ≤ i < hi of c only (lo a multiple of
// mr; 0 and m for all of them), each to the bit as the whole product does.
func gemmPackedRows(lo, hi, m, n, k int, ap []float32, b mat, c []float32, ldc int, acc bool, bias []float32, p *arena) {
	var bi []float32
	if bias != nil {
		bi = bias[lo:hi]
	}
	done, acc, bi := gemmEdges(hi-lo, n, k, c[lo*ldc:], ldc, acc, bi)
	if done {
		return
	}
	if bi == nil {
		bias = nil
	}
	gemmPanels(lo, hi, m, n, k, mat{}, ap[:packedSize(m, k)], b, c, ldc, acc, bias, p)
}

// gemmEdges does the products that need no kernel: it reports done when c
// is set, for an empty product (m, n or k zero). With a bias and k = 0 or
// n = 1 it writes the bias to c first and returns acc set and no bias.
func gemmEdges(m, n, k int, c []float32, ldc int, acc bool, bias []float32) (done, acc2 bool, bias2 []float32) {
	if m == 0 || n == 0 {
		return true, acc, bias
	}
	if bias != nil && (k == 0 || n == 1) {
		for i := range m {
			row := c[i*ldc : i*ldc+n]
			for j := range row {
				if acc {
					row[j] += bias[i]
				} else {
					row[j] = bias[i]
				}
			}
		}
		acc, bias = true, nil
	}
	if k == 0 {
		if !acc {
			for i := range m {
				clear(c[i*ldc : i*ldc+n])
			}
		}
		return true, acc, bias
	}
	return false, acc, bias
}

// gemmPanels runs the packed product c (+)= a·b + bias block by block, for
// the rows lo ≤ i < hi of c (lo a multiple of mr): b is packed kc deep,
// and a mc rows at a time, unless ap holds all m rows of a packed already
// (packWhole). A row's sums do not depend on lo and hi.
func gemmPanels(lo, hi, m, n, k int, a mat, ap []float32, b mat, c []float32, ldc int, acc bool, bias []float32, p *arena) {
	np := (n + nr - 1) / nr
	mp := roundMr(m)
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		kp := padKu(kb)
		bp := p.packB(np * nr * kp)
		packB(bp, b, p0, kb, kp, n)
		add := acc || p0 > 0
		for i0 := lo; i0 < hi; i0 += mc {
			mb := min(mc, hi-i0)
			var blk []float32
			if ap != nil {
				blk = ap[p0*mp+i0*kp : p0*mp+(i0+roundMr(mb))*kp]
			} else {
				blk = p.packA(roundMr(mb) * kp)
				packA(blk, a, i0, p0, mb, kb, kp)
			}
			var bi []float32
			if bias != nil && p0 == 0 {
				bi = bias[i0 : i0+mb]
			}
			macro(blk, bp, mb, n, kp, c[i0*ldc:], ldc, add, bi)
		}
	}
}

// panels replays gemmPanels for a sizer: the panel buffers of a product
// with m rows, n columns and depth k, a packed already with packed.
func (s *sizer) panels(m, n, k int, packed bool) {
	kp := padKu(min(kc, k))
	s.pb = max(s.pb, (n+nr-1)/nr*nr*kp)
	if !packed {
		s.pa = max(s.pa, roundMr(min(mc, m))*kp)
	}
}

// roundMr returns m rounded up to a multiple of mr (the rows of a packed
// a, padding included).
func roundMr(m int) int { return (m + mr - 1) / mr * mr }

// padKu returns the depth kb rounded up to a multiple of 4, which every
// kernel takes (the wasm one unrolls 8× and ends with a shorter loop): a
// 3×3 kernel on one channel (depth 9) is padded to 12, not 16.
func padKu(kb int) int { return (kb + 3) &^ 3 }

// packedSize returns the floats of a [m×k] packed whole (packWhole).
func packedSize(m, k int) int { return roundMr(m) * (k/kc*kc + padKu(k%kc)) }

// packWhole packs a [m×k] into ap (packedSize(m, k) floats) for
// gemmPackedRows: depth block p0 (kc deep, the last one kp ≤ kc) starts at
// p0·mp, with mp = roundMr(m), and holds the mp/mr row panels of packA,
// each mr·kp floats.
func packWhole(ap []float32, a mat, m, k int) {
	mp := roundMr(m)
	for p0 := 0; p0 < k; p0 += kc {
		kb := min(kc, k-p0)
		kp := padKu(kb)
		packA(ap[p0*mp:p0*mp+mp*kp], a, 0, p0, m, kb, kp)
	}
}

// packA copies a[i0:i0+mb][p0:p0+kb] into panels of mr rows: panel r holds
// rows i0+mr·r… interleaved, ap[r·mr·kp + t·mr + i]. Rows past mb and
// depths past kb are zero.
func packA(ap []float32, a mat, i0, p0, mb, kb, kp int) {
	for r := 0; r*mr < mb; r++ {
		pan := ap[r*mr*kp : (r+1)*mr*kp]
		if mr == 2 && r*mr+mr <= mb && (a.cs == 1 || a.rs == 1) {
			packA2(pan, a, i0+r*mr, p0, kb)
			clear(pan[kb*mr:])
			continue
		}
		for i := range mr {
			row := i0 + r*mr + i
			if r*mr+i >= mb {
				for t := range kp {
					pan[t*mr+i] = 0
				}
				continue
			}
			base := row*a.rs + p0*a.cs
			if a.cs == 1 {
				src := a.d[base : base+kb]
				for t, v := range src {
					pan[t*mr+i] = v
				}
			} else {
				for t := range kb {
					pan[t*mr+i] = a.d[base+t*a.cs]
				}
			}
			for t := kb; t < kp; t++ {
				pan[t*mr+i] = 0
			}
		}
	}
}

// packA2 packs the full pair of rows i, i+1 of a, depths p0…p0+kb, into
// pan, one pair per step so that the loop has one length check per pair
// rather than one per element: Go's wasm port pays for each check and
// each store address, and packing a is a few per cent of the gemm time
// when b has few columns (ResNet-18 layer4).
func packA2(pan []float32, a mat, i, p0, kb int) {
	dst := pan[:kb*2]
	if a.cs == 1 { // rows of a contiguous
		r0 := a.d[i*a.rs+p0:][:kb]
		r1 := a.d[(i+1)*a.rs+p0:][:len(r0)]
		for t, v := range r0 {
			d := (*[2]float32)(dst)
			d[0], d[1] = v, r1[t]
			dst = dst[2:]
		}
		return
	}
	// Columns of a contiguous (aᵀ stored row-major): each depth holds the
	// pair side by side.
	src := a.d[i+p0*a.cs:]
	for range kb {
		d, s := (*[2]float32)(dst), (*[2]float32)(src)
		d[0], d[1] = s[0], s[1]
		dst = dst[2:]
		if len(src) < a.cs {
			break
		}
		src = src[a.cs:]
	}
}

// packBGo copies b[p0:p0+kb][0:n] into panels of nr columns: panel q
// holds columns nr·q… interleaved, bp[q·nr·kp + t·nr + j]. Columns past n
// and depths past kb are zero. It is packB's pure-Go code (the only one
// natively; in wasm unless the SIMD kernel of simd_wasm.go is in use).
func packBGo(bp []float32, b mat, p0, kb, kp, n int) {
	np := (n + nr - 1) / nr
	for q := range np {
		pan := bp[q*nr*kp : (q+1)*nr*kp]
		j0 := q * nr
		switch {
		case j0+nr <= n && b.cs == 1: // rows of b contiguous
			for t := range kb {
				src := (*[nr]float32)(b.d[(p0+t)*b.rs+j0:])
				dst := (*[nr]float32)(pan[t*nr:])
				dst[0], dst[1], dst[2], dst[3] = src[0], src[1], src[2], src[3]
			}
		case j0+nr <= n && b.rs == 1: // columns of b contiguous
			for j := range nr {
				src := b.d[(j0+j)*b.cs+p0:][:kb]
				for t, v := range src {
					pan[t*nr+j] = v
				}
			}
		default:
			for t := range kb {
				for j := range nr {
					pan[t*nr+j] = 0
					if j0+j < n {
						pan[t*nr+j] = b.d[(p0+t)*b.rs+(j0+j)*b.cs]
					}
				}
			}
		}
		clear(pan[kb*nr:])
	}
}

// macroGo multiplies the packed block ap (mb rows) by bp (n columns), both
// kp deep, into c, adding bias[i] to row i when bias is not nil: macro's
// pure-Go kernel (the only one natively; in wasm unless the SIMD kernel of
// simd_wasm.go is in use). Each group of mr rows sweeps every full column
// panel in one kernel call; the last n mod nr columns go through one tile
// at a time into a buffer.
func macroGo(ap, bp []float32, mb, n, kp int, c []float32, ldc int, add bool, bias []float32) {
	nf := n - n%nr // columns in full panels
	for i0 := 0; i0 < mb; i0 += mr {
		apan := ap[(i0/mr)*mr*kp : (i0/mr+1)*mr*kp]
		var rows [mr][]float32 // nil past the last row of mb
		var b [mr]float32
		for i := range min(mr, mb-i0) {
			rows[i] = c[(i0+i)*ldc : (i0+i)*ldc+nf]
		}
		if bias != nil {
			copy(b[:], bias[i0:min(i0+mr, mb)])
		}
		kernel(kp, apan, bp[:nf*kp], &rows, add, b)
		if nf < n {
			var t [mr][nr]float32
			var trows [mr][]float32
			for i := range trows {
				trows[i] = t[i][:]
			}
			kernel(kp, apan, bp[nf*kp:(nf+nr)*kp], &trows, false, b)
			for i := 0; i < mr && i0+i < mb; i++ {
				for j := 0; nf+j < n; j++ {
					if add {
						c[(i0+i)*ldc+nf+j] += t[i][j]
					} else {
						c[(i0+i)*ldc+nf+j] = t[i][j]
					}
				}
			}
		}
	}
}

// store sets (or adds to, with add) the first nr floats of c to s0…s3
// plus bias, for the kernels.
func store(c []float32, s0, s1, s2, s3, bias float32, add bool) {
	d := (*[nr]float32)(c)
	s0, s1, s2, s3 = s0+bias, s1+bias, s2+bias, s3+bias
	if add {
		s0, s1, s2, s3 = s0+d[0], s1+d[1], s2+d[2], s3+d[3]
	}
	d[0], d[1], d[2], d[3] = s0, s1, s2, s3
}

// gemvRows sets c[i·ldc] (+)= Σ_t a[i][t]·x[t] for a with contiguous rows
// (a Dense layer's forward pass), four rows at a time so that each load of
// x serves four products.
func gemvRows(m, k int, a mat, x, c []float32, ldc int, acc bool) {
	x = x[:k]
	i := 0
	if ldc == 1 && simdGemvRows(m-m%4, k, a, x, c, acc) {
		i = m - m%4
	}
	for ; i+4 <= m; i += 4 {
		s := dot4(a.d[i*a.rs:], a.rs, x)
		for r, v := range s {
			if acc {
				v += c[(i+r)*ldc]
			}
			c[(i+r)*ldc] = v
		}
	}
	for ; i < m; i++ {
		s := dot(a.d[i*a.rs:i*a.rs+k], x)
		if acc {
			s += c[i*ldc]
		}
		c[i*ldc] = s
	}
}

// dot4 returns the dot products of x with the four rows a[0:], a[ld:],
// a[2ld:], a[3ld:], each summed in blocks of kc, four products of each row
// per iteration.
func dot4(a []float32, ld int, x []float32) (s [4]float32) {
	if s, ok := simdDot4(a, ld, x); ok {
		return s
	}
	k := len(x)
	r0, r1, r2, r3 := a[:k], a[ld:ld+k], a[2*ld:2*ld+k], a[3*ld:3*ld+k]
	for p0 := 0; p0 < k; p0 += kc {
		p1 := min(p0+kc, k)
		var s0, s1, s2, s3 float32
		xs := x[p0:p1]
		q0, q1, q2, q3 := r0[p0:p1], r1[p0:p1], r2[p0:p1], r3[p0:p1]
		// Eight per iteration, as two blocks of four with the same sums
		// (Go's wasm pays a dispatch per iteration).
		for len(xs) >= 8 && len(q0) >= 8 && len(q1) >= 8 && len(q2) >= 8 && len(q3) >= 8 {
			v := (*[8]float32)(xs)
			a0, a1, a2, a3 := (*[8]float32)(q0), (*[8]float32)(q1), (*[8]float32)(q2), (*[8]float32)(q3)
			s0 += a0[0]*v[0] + a0[1]*v[1] + a0[2]*v[2] + a0[3]*v[3]
			s1 += a1[0]*v[0] + a1[1]*v[1] + a1[2]*v[2] + a1[3]*v[3]
			s2 += a2[0]*v[0] + a2[1]*v[1] + a2[2]*v[2] + a2[3]*v[3]
			s3 += a3[0]*v[0] + a3[1]*v[1] + a3[2]*v[2] + a3[3]*v[3]
			s0 += a0[4]*v[4] + a0[5]*v[5] + a0[6]*v[6] + a0[7]*v[7]
			s1 += a1[4]*v[4] + a1[5]*v[5] + a1[6]*v[6] + a1[7]*v[7]
			s2 += a2[4]*v[4] + a2[5]*v[5] + a2[6]*v[6] + a2[7]*v[7]
			s3 += a3[4]*v[4] + a3[5]*v[5] + a3[6]*v[6] + a3[7]*v[7]
			xs, q0, q1, q2, q3 = xs[8:], q0[8:], q1[8:], q2[8:], q3[8:]
		}
		for len(xs) >= 4 && len(q0) >= 4 && len(q1) >= 4 && len(q2) >= 4 && len(q3) >= 4 {
			v := (*[4]float32)(xs)
			a0, a1, a2, a3 := (*[4]float32)(q0), (*[4]float32)(q1), (*[4]float32)(q2), (*[4]float32)(q3)
			s0 += a0[0]*v[0] + a0[1]*v[1] + a0[2]*v[2] + a0[3]*v[3]
			s1 += a1[0]*v[0] + a1[1]*v[1] + a1[2]*v[2] + a1[3]*v[3]
			s2 += a2[0]*v[0] + a2[1]*v[1] + a2[2]*v[2] + a2[3]*v[3]
			s3 += a3[0]*v[0] + a3[1]*v[1] + a3[2]*v[2] + a3[3]*v[3]
			xs, q0, q1, q2, q3 = xs[4:], q0[4:], q1[4:], q2[4:], q3[4:]
		}
		for t, v := range xs {
			s0 += q0[t] * v
			s1 += q1[t] * v
			s2 += q2[t] * v
			s3 += q3[t] * v
		}
		s[0] += s0
		s[1] += s1
		s[2] += s2
		s[3] += s3
	}
	return s
}

// dot returns Σ a[t]·b[t] over len(a) ≤ len(b), with four partial sums
// per block of kc products.
func dot(a, b []float32) float32 {
	var s float32
	for len(a) > 0 {
		n := min(len(a), kc)
		var s0, s1, s2, s3 float32
		t := 0
		for ; t+4 <= n; t += 4 {
			pa := (*[4]float32)(a[t:])
			pb := (*[4]float32)(b[t:])
			s0 += pa[0] * pb[0]
			s1 += pa[1] * pb[1]
			s2 += pa[2] * pb[2]
			s3 += pa[3] * pb[3]
		}
		for ; t < n; t++ {
			s0 += a[t] * b[t]
		}
		s += (s0 + s1) + (s2 + s3)
		a, b = a[n:], b[n:]
	}
	return s
}

// gemvCols sets c[i·ldc] (+)= Σ_t a[i][t]·x[t] for a with contiguous
// columns, i.e. aᵀ stored row-major (a Dense layer's transposed pass): it
// adds x[t] times row t of aᵀ, skipping zeros of x, which are common in
// relevance vectors.
func gemvCols(m, k int, a mat, x, c []float32, ldc int, acc bool) {
	if ldc != 1 {
		for i := range m {
			var s float32
			for t := range k {
				s += a.d[i+t*a.cs] * x[t]
			}
			if acc {
				s += c[i*ldc]
			}
			c[i*ldc] = s
		}
		return
	}
	c = c[:m]
	if !acc {
		clear(c)
	}
	if simdGemvCols(c, a, x[:k]) {
		return
	}
	for t, g := range x[:k] {
		if g == 0 {
			continue
		}
		axpy(c, a.d[t*a.cs:t*a.cs+m], g)
	}
}

// axpy sets y += g·x over len(y) ≤ len(x). The loop condition bounds
// both slices, so that the array conversions need no checks of their own
// (each a compare and branch in wasm, on 64-bit indices).
func axpy(y, x []float32, g float32) {
	if simdAxpy(y, x, g) {
		return
	}
	x = x[:len(y)]
	for len(y) >= 8 && len(x) >= 8 {
		py, px := (*[8]float32)(y), (*[8]float32)(x)
		py[0] += g * px[0]
		py[1] += g * px[1]
		py[2] += g * px[2]
		py[3] += g * px[3]
		py[4] += g * px[4]
		py[5] += g * px[5]
		py[6] += g * px[6]
		py[7] += g * px[7]
		y, x = y[8:], x[8:]
	}
	for len(y) >= 4 && len(x) >= 4 {
		py, px := (*[4]float32)(y), (*[4]float32)(x)
		py[0] += g * px[0]
		py[1] += g * px[1]
		py[2] += g * px[2]
		py[3] += g * px[3]
		y, x = y[4:], x[4:]
	}
	for i, v := range x {
		y[i] += g * v
	}
}

// dotStride returns Σ_t a[t]·b[t·stride], unrolled 4× (Go's wasm pays a
// dispatch per loop iteration).
// The index into b advances by additions, not a product per element
// (wasm has no addressing modes to fold it into).
func dotStride(a, b []float32, stride int) float32 {
	var s0, s1, s2, s3 float32
	d2, d3, d4 := 2*stride, 3*stride, 4*stride
	i := 0
	for len(a) >= 4 {
		pa := (*[4]float32)(a)
		s0 += pa[0] * b[i]
		s1 += pa[1] * b[i+stride]
		s2 += pa[2] * b[i+d2]
		s3 += pa[3] * b[i+d3]
		a, i = a[4:], i+d4
	}
	for _, v := range a {
		s0 += v * b[i]
		i += stride
	}
	return (s0 + s1) + (s2 + s3)
}

// axpyStride sets y[t·stride] += g·x[t] for every t of x, unrolled 4×.
// The index into y advances by additions, as in dotStride.
func axpyStride(y, x []float32, g float32, stride int) {
	d2, d3, d4 := 2*stride, 3*stride, 4*stride
	i := 0
	for len(x) >= 4 {
		px := (*[4]float32)(x)
		y[i] += g * px[0]
		y[i+stride] += g * px[1]
		y[i+d2] += g * px[2]
		y[i+d3] += g * px[3]
		x, i = x[4:], i+d4
	}
	for _, v := range x {
		y[i] += g * v
		i += stride
	}
}
