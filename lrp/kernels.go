package lrp

import "unsafe"

// The affine layers (Dense and Conv2D) share two operations that every rule
// is built from: the forward product z = W*x + b with any weights of the
// layer's shape, and the transposed product c = Wᵀ*g. Both are one gemm
// call per convolution group (a Dense layer is a matrix-vector product); a
// convolution first unrolls its input patches with im2col and the
// transposed product folds them back with col2im. Large enough 3×3
// stride-1 convolutions compute both products with Winograd F(2×2, 3×3)
// instead (winograd.go), except for the sign-split rules.

// affine is implemented by *Dense and *Conv2D.
type affine interface {
	Layer
	params() (w, b []float32)
	// forward sets dst = w*x + b for weights w of the layer's shape and an
	// input x of shape in; b may be nil. If need is not nil, only the
	// outputs j with need[j] ≠ 0 are computed and the others are set to 0
	// (a rule only divides R by them where R ≠ 0). p holds the settings
	// of the pass (arena.go), a the scratch memory.
	forward(dst, x, w, b, need []float32, in []int, p *pass, a *arena)
	// transpose sets dst = Σ wᵀ*g over the terms t with g ≠ nil, or adds
	// it to dst with acc: the gradient of w*x with respect to x at g. Two
	// terms share one pass over dst (and, for a convolution, one col2im).
	transpose(dst []float32, t terms, acc bool, in []int, p *pass, a *arena)
}

// terms are the products wᵀ·g summed by one transposed pass; a term with a
// nil g is absent.
type terms [2]struct{ g, w []float32 }

// term is the single product wᵀ·g.
func term(g, w []float32) terms { return terms{{g, w}} }

func (l *Dense) params() (w, b []float32)  { return l.W, l.B }
func (l *Conv2D) params() (w, b []float32) { return l.W, l.B }

// forward: x [In], w [Out][In], b [Out] → dst [Out].
func (l *Dense) forward(dst, x, w, b, need []float32, _ []int, p *pass, a *arena) {
	if need != nil {
		for o := range dst {
			dst[o] = 0
			if need[o] != 0 {
				dst[o] = dot(w[o*l.In:(o+1)*l.In], x)
				if b != nil {
					dst[o] += b[o]
				}
			}
		}
		return
	}
	lo, hi := p.rows(l.Out, l.Out*l.In)
	if b != nil {
		copy(dst[lo:hi], b[lo:hi])
	}
	gemm(hi-lo, 1, l.In, mat{w[lo*l.In:], l.In, 1}, mat{x, 1, 0}, dst[lo:], 1, b != nil, a)
	p.share(dst, lo, hi, l.Out, 1)
}

// transpose: g [Out], w [Out][In] → dst [In].
func (l *Dense) transpose(dst []float32, t terms, acc bool, _ []int, p *pass, a *arena) {
	lo, hi := p.rows(l.In, l.In*l.Out)
	for _, t := range t {
		if t.g != nil {
			gemm(hi-lo, 1, l.Out, mat{t.w[lo:], 1, l.In}, mat{t.g, 1, 0}, dst[lo:], 1, acc, a)
			acc = true
		}
	}
	if !acc {
		clear(dst)
		return
	}
	p.share(dst, lo, hi, l.In, 1)
}

// sparse is the density of nonzeros below which a convolution computes
// outputs (forward with need) or transposes gradients one nonzero at a
// time rather than with gemm, whose products cost several times less. It
// is higher in wasm (sparse_wasm.go), where gemm on small layers is
// relatively slower: relevance after a 2×2 max pooling (density ≤ 1/4)
// goes sparse there (fixture cnn −13% in Node, +9% natively).

// sparseCols bounds the im2col buffer ([K][P] floats) of the sparse
// paths: they read or write it one column at a time, a stride of P, which
// is only fast while it stays in cache (1 MiB).
const sparseCols = 1 << 18

// density returns the fraction of nonzeros in v, counted without branches
// on their bits (read in place), four at a time.
func density(v []float32) float64 {
	n := len(v)
	if nz, ok := simdNonzeros(v); ok {
		return float64(nz) / float64(n)
	}
	var nz uint32
	u := bitsOf(v)
	for ; len(u) >= 4; u = u[4:] {
		p := (*[4]uint32)(u)
		nz += nonzeroBits(p[0]) + nonzeroBits(p[1]) + nonzeroBits(p[2]) + nonzeroBits(p[3])
	}
	for _, x := range u {
		nz += nonzeroBits(x)
	}
	return float64(nz) / float64(max(n, 1))
}

// supportIn returns the indices of the sorted list sup that lie in
// [lo, hi), searching from position next on (the indices before it are
// below lo: a caller walks sup range by range, in order), and the
// position after them.
func supportIn(sup []int32, next, lo, hi int) ([]int32, int) {
	for next < len(sup) && int(sup[next]) < lo { // another group's
		next++
	}
	end := next
	for end < len(sup) && int(sup[end]) < hi {
		end++
	}
	return sup[next:end], end
}

// densityAt is density for a vector v whose nonzeros lie at the indices
// sup: it reads only those, and only if their count is not below sparse
// already (it returns that fraction then, a bound that the sparse paths
// take as the density). Without sup it is density(v).
func densityAt(v []float32, sup []int32) float64 {
	if sup == nil {
		return density(v)
	}
	if d := float64(len(sup)) / float64(max(len(v), 1)); d < sparse {
		return d
	}
	var nz uint32
	for _, i := range sup {
		if v[i] != 0 {
			nz++
		}
	}
	return float64(nz) / float64(max(len(v), 1))
}

// nonzeroBits is 1 if the float32 with bits b is not ±0 (NaN included),
// else 0.
func nonzeroBits(b uint32) uint32 {
	u := b << 1
	return (u | -u) >> 31
}

// bitsOf returns the bits of v's values, read in place: in wasm a
// float↔bits conversion goes through memory.
func bitsOf(v []float32) []uint32 {
	return unsafe.Slice((*uint32)(unsafe.Pointer(unsafe.SliceData(v))), len(v))
}

// outSize is the output height and width for an input of height h and width w.
func (l *Conv2D) outSize(h, w int) (oh, ow int) {
	return outLen(h, (l.KH-1)*l.DH+1, l.SH, l.PT, l.PB), outLen(w, (l.KW-1)*l.DW+1, l.SW, l.PL, l.PR)
}

// pointwise reports whether the convolution is a per-pixel matrix product
// (1×1 kernel, stride 1, no padding), so that its input needs no im2col.
func (l *Conv2D) pointwise() bool {
	return l.KH == 1 && l.KW == 1 && l.SH == 1 && l.SW == 1 && l.PT == 0 && l.PL == 0 && l.PB == 0 && l.PR == 0
}

// forward: x [InC][h][w], w [OutC][InC/G][KH][KW], b [OutC] → dst [OutC][OH][OW].
// Per group g, dst_g [og][P] = w_g [og][K] · cols [K][P] with
// K = InC/G·KH·KW and P = OH·OW. With few needed outputs, each is a
// strided dot product of a weight row and a column of cols.
//
// The forward pass (need = nil) of an ungrouped convolution leaves its
// columns in the arena (keepCols), and a rule's modified forward pass
// (need ≠ nil) over the same input takes them from there (colsOf) if
// nothing else used the buffer since: the backward pass does not change
// the activations, and between a layer's forward pass and its rule there
// are often only dense layers and pooling (γ after a ReLU passes x
// itself). A need vector that is the pass's within has its density
// counted once per pass (pass.density).
func (l *Conv2D) forward(dst, x, w, b, need []float32, in []int, p *pass, a *arena) {
	h, wd := in[1], in[2]
	oh, ow := l.outSize(h, wd)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	k, np := cg*l.KH*l.KW, oh*ow
	rule := need != nil
	if need != nil {
		switch d := p.densityOf(need); {
		case d == 0:
			clear(dst)
			return
		case d >= sparse || k*np > sparseCols:
			need = nil
		}
	}
	if need == nil && !p.exact && l.winograd(h, wd) {
		l.winoForward(dst, x, w, b, h, wd, p, a)
		return
	}
	// Split (ExplainSplit), an ungrouped layer's dense product with
	// enough rows of output computes the output rows r0 ≤ i < r1
	// (pass.outRows): their columns of cols, im2col'd alone, and of the
	// product, which are exchanged (shareCols). Otherwise it may split
	// the output channels (rows, below).
	r0, r1 := 0, oh
	if need == nil && l.Groups == 1 && !l.pointwise() {
		r0, r1 = p.outRows(oh, og, og*np*k)
		// Both halves' products take the same path as the whole one
		// (gemmWeightsRows), so as not to pack the weights anew.
		if (min(r1-r0, oh-(r1-r0))*ow > packMaxCols) != (np > packMaxCols) {
			r0, r1 = 0, oh
		}
	}
	nc := (r1 - r0) * ow // the columns of this half
	for g := range l.Groups {
		out := dst[g*og*np : (g+1)*og*np]
		cols := mat{x[g*cg*h*wd:], np, 1}
		if !l.pointwise() {
			var c []float32
			if rule && l.Groups == 1 {
				c = a.colsOf(l, x, k*nc)
			}
			if c == nil {
				c = a.col(k * nc)
				if nc == np {
					l.im2col(c, x, g, h, wd, oh, ow)
				} else {
					// Output row i of the half is row r0 + i of the
					// layer's: the input rows from (r0 + i)·SH − PT on.
					lr := *l
					lr.PT -= r0 * l.SH
					lr.im2col(c, x, g, h, wd, r1-r0, ow)
				}
				if !rule && l.Groups == 1 {
					a.keepCols(l, x, k*nc)
				}
			}
			cols = mat{c, nc, 1}
		}
		if need != nil {
			sup, next := p.supportOf(need), 0
			// The group's channels in one call to the SIMD kernel.
			o0 := g * og * np
			var in []int32 // the listed nonzeros of this group
			if sup != nil {
				in = sup
				if l.Groups > 1 {
					in, _ = supportIn(sup, 0, o0, o0+og*np)
				}
			}
			var bg []float32
			if b != nil {
				bg = b[g*og : (g+1)*og]
			}
			if simdGather(out, w[g*og*k:], cols.d, need[o0:], k, np, og, in, o0, bg, a) {
				continue
			}
			for o := range og {
				wo := w[(g*og+o)*k : (g*og+o+1)*k]
				oo := out[o*np : (o+1)*np]
				no := need[(g*og+o)*np : (g*og+o+1)*np]
				var bo float32
				if b != nil {
					bo = b[g*og+o]
				}
				if sup != nil { // the listed nonzeros of this channel
					o0 := (g*og + o) * np
					var in []int32
					in, next = supportIn(sup, next, o0, o0+np)
					clear(oo)
					for _, q := range in {
						if p := int(q) - o0; no[p] != 0 {
							oo[p] = dotStride(wo, cols.d[p:], np) + bo
						}
					}
					continue
				}
				// Four values per test, as in transpose.
				p := 0
				for u := bitsOf(no); len(u) >= 4 && len(oo) >= p+4; u = u[4:] {
					if q := (*[4]uint32)(u); (q[0]|q[1]|q[2]|q[3])<<1 == 0 {
						d := (*[4]float32)(oo[p:])
						d[0], d[1], d[2], d[3] = 0, 0, 0, 0
						p += 4
						continue
					}
					for e := p + 4; p < e; p++ {
						oo[p] = 0
						if no[p] != 0 {
							oo[p] = dotStride(wo, cols.d[p:], np) + bo
						}
					}
				}
				for ; p < np; p++ {
					oo[p] = 0
					if no[p] != 0 {
						oo[p] = dotStride(wo, cols.d[p:], np) + bo
					}
				}
			}
			continue
		}
		var bg []float32
		if b != nil {
			bg = b[g*og : (g+1)*og]
		}
		if nc < np {
			gemmWeightsRows(0, og, og, nc, k, w[g*og*k:], false, cols, out[r0*ow:], np, false, bg, a)
			p.shareCols(out, og, np, r0*ow, r1*ow, a)
			continue
		}
		lo, hi := 0, og
		if l.Groups == 1 {
			lo, hi = p.rows(og, og*np*k)
		}
		gemmWeightsRows(lo, hi, og, np, k, w[g*og*k:], false, cols, out, np, false, bg, a)
		p.share(out, lo, hi, og, np)
	}
}

// sizeForward replays forward for a sizer (memory.go) with the weights
// w; rule is whether the call has a need vector, which may make it take
// the sparse path instead, and exact is the pass's.
func (l *Conv2D) sizeForward(s *sizer, in []int, w wref, rule, exact bool) {
	h, wd := in[1], in[2]
	oh, ow := l.outSize(h, wd)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	k, np := cg*l.KH*l.KW, oh*ow
	if rule && k*np <= sparseCols {
		if !l.pointwise() {
			s.col(k * np)
		}
		s.pb = max(s.pb, transposeScratch(k*np))
	}
	if !exact && l.winograd(h, wd) {
		l.sizeWinoForward(s, h, wd, w)
		return
	}
	for g := range l.Groups {
		if !l.pointwise() {
			s.col(k * np)
		}
		s.gemmRows(og, np, k, w, g*og*k, false)
	}
}

// transpose: g [OutC][OH][OW], w [OutC][InC/G][KH][KW] → dst [InC][h][w].
// Per group, cols [K][P] = Σ w_gᵀ [K][og] · g_g [og][P], then col2im; a
// sparse g adds g[o][p]·w[o] to column p of cols for each nonzero.
func (l *Conv2D) transpose(dst []float32, t terms, acc bool, in []int, p *pass, a *arena) {
	h, wd := in[1], in[2]
	oh, ow := l.outSize(h, wd)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	k, np := cg*l.KH*l.KW, oh*ow
	var sp [len(t)]bool
	live := false
	within := p.sparseWithin()
	var sup []int32 // where every gradient's nonzeros lie, if known
	if within {
		sup = p.supp
	}
	for i := range t {
		if t[i].g == nil {
			continue
		}
		if within {
			sp[i], live = k*np <= sparseCols, true
			continue
		}
		switch d := density(t[i].g); {
		case d == 0: // a ReLU after the layer often leaves one of γ's two parts empty
			t[i].g = nil
		default:
			sp[i] = d < sparse && k*np <= sparseCols
			live = true
		}
	}
	if !live {
		if !acc {
			clear(dst)
		}
		return
	}
	if !sp[0] && !sp[1] && !p.exact && l.winograd(h, wd) {
		l.winoTranspose(dst, t, acc, h, wd, p, a)
		return
	}
	// Split (ExplainSplit), an ungrouped layer's dense products compute
	// the channels lo ≤ c < hi of dst: their rows of cols and col2im.
	// With too few channels to split by rows (an image's 3, or the box
	// rule's 6), they compute those channels' rows klo ≤ r < khi of cols
	// rounded out to the gemm's groups of rows (pass.channelRows); with
	// one channel, half of the rows of cols, exchanged, and each col2im's
	// all of cols.
	lo, hi := 0, cg
	kk := k / cg
	klo, khi := 0, k
	if l.Groups == 1 && !sp[0] && !sp[1] {
		lo, hi = p.rows(cg, og*np*k)
		klo, khi = lo*kk, hi*kk
		if lo == 0 && hi == cg && !l.pointwise() {
			lo, hi, klo, khi = p.channelRows(cg, kk, og*np*k)
		}
	}
	for gr := range l.Groups {
		out := dst[gr*cg*h*wd : (gr+1)*cg*h*wd]
		if l.pointwise() && !sp[0] && !sp[1] {
			add := acc
			for _, t := range t {
				if t.g != nil {
					gemmWeightsRows(lo, hi, k, np, og, t.w[gr*og*k:], true, mat{t.g[gr*og*np : (gr+1)*og*np], np, 1}, out, np, add, nil, a)
					add = true
				}
			}
			p.share(out, lo, hi, cg, np)
			continue
		}
		if (t[0].g == nil || sp[0]) && (t[1].g == nil || sp[1]) && l.simdTransposeSparse(out, t, gr, sup, acc, h, wd, oh, ow, a) {
			continue
		}
		cols := a.col(k * np)
		first := true
		for i, t := range t {
			if t.g == nil {
				continue
			}
			gg := t.g[gr*og*np : (gr+1)*og*np]
			if !sp[i] {
				gemmWeightsRows(klo, khi, k, np, og, t.w[gr*og*k:], true, mat{gg, np, 1}, cols, np, !first, nil, a)
				first = false
				continue
			}
			if first {
				clear(cols)
				first = false
			}
			next := 0
			for o := range og {
				wo := t.w[(gr*og+o)*k : (gr*og+o+1)*k]
				gv := gg[o*np : (o+1)*np]
				if sup != nil { // the listed nonzeros of this channel
					o0 := (gr*og + o) * np
					var in []int32
					in, next = supportIn(sup, next, o0, o0+np)
					if simdScatter(cols, wo, gv, np, in, o0) {
						continue
					}
					for _, q := range in {
						if p := int(q) - o0; gv[p] != 0 {
							axpyStride(cols[p:], wo, gv[p], np)
						}
					}
					continue
				}
				if simdScatter(cols, wo, gv, np, nil, 0) {
					continue
				}
				// Four values per test: after a max pooling most groups
				// of four are zero.
				p := 0
				for u := bitsOf(gv); len(u) >= 4; u = u[4:] {
					if q := (*[4]uint32)(u); (q[0]|q[1]|q[2]|q[3])<<1 != 0 {
						for j, v := range gv[p : p+4] {
							if v != 0 {
								axpyStride(cols[p+j:], wo, v, np)
							}
						}
					}
					p += 4
				}
				for ; p < np; p++ {
					if v := gv[p]; v != 0 {
						axpyStride(cols[p:], wo, v, np)
					}
				}
			}
		}
		if !acc {
			clear(out)
		}
		if lo == 0 && hi == cg { // the rows of cols, if they were split
			p.share(cols, klo, khi, k, np)
		}
		if l.pointwise() {
			add(out, cols)
			continue
		}
		l.col2im(out, cols, lo, hi, h, wd, oh, ow)
		p.share(out, lo, hi, cg, h*wd)
	}
}

// sizeTranspose replays transpose for a sizer with the weights ws of
// its terms and the pass's exact. Each term's gradient may be dense or sparse: all dense takes
// Winograd where the layer can; a sparse one takes the columns, and, with
// another term dense, gemm for that one.
func (l *Conv2D) sizeTranspose(s *sizer, in []int, ws []wref, exact bool) {
	h, wd := in[1], in[2]
	oh, ow := l.outSize(h, wd)
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	k, np := cg*l.KH*l.KW, oh*ow
	wino := !exact && l.winograd(h, wd)
	sparse := k*np <= sparseCols
	if wino {
		l.sizeWinoTranspose(s, h, wd, ws)
	}
	if sparse {
		s.col(k * np)
		s.pb = max(s.pb, transposeScratch(k*np))
	}
	if wino && !(sparse && len(ws) > 1) {
		return
	}
	for g := range l.Groups {
		if !l.pointwise() {
			s.col(k * np)
		}
		for _, w := range ws {
			s.gemmRows(k, np, og, w, g*og*k, true)
		}
	}
}

// span returns the output columns j0 ≤ j < j1 of a row whose input column
// j·s + x0 falls inside [0, w), for ow output columns.
func span(x0, s, w, ow int) (j0, j1 int) {
	if x0 < 0 {
		j0 = (-x0 + s - 1) / s
	}
	j1 = (w - x0 + s - 1) / s
	j1 = min(max(j1, 0), ow)
	return min(j0, j1), j1
}

// Im2col sets cols [Cg·KH·KW][OH·OW] to the patches of one group's input
// x [Cg][h][w], Cg = InC/Groups: row (c, u, v) holds
// x[c][i·SH+u·DH−PT][j·SW+v·DW−PL] at column i·OW+j, 0 where padded. The
// group's weights [OutC/Groups][Cg·KH·KW] times cols is its convolution.
// It is the engine's own im2col, for package train.
func (l *Conv2D) Im2col(cols, x []float32, h, w int) {
	oh, ow := l.outSize(h, w)
	l.im2col(cols, x, 0, h, w, oh, ow)
}

// Col2im adds each entry of cols [Cg·KH·KW][OH·OW] to the position of one
// group's dst [Cg][h][w] that Im2col read it from, dst += im2colᵀ(cols):
// the transpose of Im2col, in the engine's summation order. The entries of
// cols at padded positions may be set to 0. It is the engine's own col2im,
// for package train.
func (l *Conv2D) Col2im(dst, cols []float32, h, w int) {
	oh, ow := l.outSize(h, w)
	l.col2imAny(dst, cols, 0, l.InC/l.Groups, h, w, oh, ow)
}

// im2col fills cols [Cg·KH·KW][OH·OW] with the patches of group g of
// x [InC][h][w]: row (c, u, v) holds x[g·Cg+c][i·SH+u·DH−PT][j·SW+v·DW−PL]
// at column (i, j); padded positions are 0. With the SIMD kernel in use,
// flat or not, it is one call to it.
func (l *Conv2D) im2col(cols, x []float32, g, h, w, oh, ow int) {
	cg, np := l.InC/l.Groups, oh*ow
	if l.simdIm2col(cols, x, g, h, w, oh, ow) {
		return
	}
	if l.flat(w, ow) {
		l.im2colFlat(cols, x[g*cg*h*w:(g+1)*cg*h*w], h, w, oh)
		return
	}
	t := 0
	for c := range cg {
		xc := x[(g*cg+c)*h*w : (g*cg+c+1)*h*w]
		for u := range l.KH {
			for v := range l.KW {
				row := cols[t*np : (t+1)*np]
				t++
				x0 := v*l.DW - l.PL
				j0, j1 := span(x0, l.SW, w, ow)
				for i := range oh {
					r := row[i*ow : (i+1)*ow]
					y := i*l.SH + u*l.DH - l.PT
					if y < 0 || y >= h {
						clear(r)
						continue
					}
					xr := xc[y*w : (y+1)*w]
					clear(r[:j0])
					if l.SW == 1 && j0 < j1 { // an empty span may start past xr
						copy(r[j0:j1], xr[j0+x0:j1+x0])
					} else {
						for j := j0; j < j1; j++ {
							r[j] = xr[j*l.SW+x0]
						}
					}
					clear(r[j1:])
				}
			}
		}
	}
}

// col2im adds each entry of cols [Cg·KH·KW][OH·OW] to the input position of
// one group, dst [Cg][h][w], it was read from by im2col, for the channels
// c0 ≤ c < c1 of dst, which hold no −0 (Conv2D.transpose clears them):
// on the SIMD kernel in one call when it is in use, flat or not. The
// kernel adds nothing at the padded positions where col2imFlat adds +0,
// which changes only a −0.
func (l *Conv2D) col2im(dst, cols []float32, c0, c1, h, w, oh, ow int) {
	if l.simdCol2im(dst, cols, c0, c1, h, w, oh, ow) {
		return
	}
	l.col2imAny(dst, cols, c0, c1, h, w, oh, ow)
}

// col2imAny is col2im for any dst: a flat convolution's in Go
// (col2imFlat), any other on the SIMD kernel when it is in use.
func (l *Conv2D) col2imAny(dst, cols []float32, c0, c1, h, w, oh, ow int) {
	np := oh * ow
	if l.flat(w, ow) {
		l.col2imFlat(dst, cols, c0, c1, h, w, oh)
		return
	}
	if l.simdCol2im(dst, cols, c0, c1, h, w, oh, ow) {
		return
	}
	t := c0 * l.KH * l.KW
	for c := c0; c < c1; c++ {
		xc := dst[c*h*w : (c+1)*h*w]
		for u := range l.KH {
			for v := range l.KW {
				row := cols[t*np : (t+1)*np]
				t++
				x0 := v*l.DW - l.PL
				j0, j1 := span(x0, l.SW, w, ow)
				for i := range oh {
					y := i*l.SH + u*l.DH - l.PT
					if y < 0 || y >= h {
						continue
					}
					r, xr := row[i*ow:(i+1)*ow], xc[y*w:(y+1)*w]
					if l.SW == 1 && j0 < j1 {
						add(xr[j0+x0:j1+x0], r[j0:j1])
					} else {
						for j := j0; j < j1; j++ {
							xr[j*l.SW+x0] += r[j]
						}
					}
				}
			}
		}
	}
}

// flat reports whether the rows of im2col's columns line up with the rows
// of the input (stride 1 and as many output columns as input columns,
// ow = w, as a "same" padding gives): then row (c, u, v) of cols, read as
// one flat vector over p = i·ow + j, is the input plane c shifted by the
// constant offset off = (u·DH − PT)·w + v·DW − PL, except at the padded
// positions. One copy (or add) of the whole plane replaces one per output
// row: the rows of a small image are short, and each copy is a call
// (runtime.memmove in Go's wasm).
func (l *Conv2D) flat(w, ow int) bool {
	return l.SH == 1 && l.SW == 1 && ow == w
}

// window returns, for the kernel tap (u, v) of a flat convolution, the
// flat range lo ≤ p < hi of cols from the first valid position to the last
// one, the offset off of the input position p + off it reads, the valid
// output columns j0 ≤ j < j1 of each row and the first valid row i0 and
// the end i1 of the valid rows; lo = hi when no position is valid.
func (l *Conv2D) window(u, v, h, w, oh int) (lo, hi, off, j0, j1, i0, i1 int) {
	y0, x0 := u*l.DH-l.PT, v*l.DW-l.PL
	i0, i1 = span(y0, 1, h, oh)
	j0, j1 = span(x0, 1, w, w)
	if i0 >= i1 || j0 >= j1 {
		return 0, 0, 0, j0, j1, i0, i0
	}
	return i0*w + j0, (i1-1)*w + j1, y0*w + x0, j0, j1, i0, i1
}

// im2colFlat is im2col for a flat convolution (see flat) of the group's
// input x [Cg][h][w]: cols [Cg·KH·KW][oh·w].
func (l *Conv2D) im2colFlat(cols, x []float32, h, w, oh int) {
	cg, np := l.InC/l.Groups, oh*w
	t := 0
	for c := range cg {
		xc := x[c*h*w : (c+1)*h*w]
		for u := range l.KH {
			for v := range l.KW {
				row := cols[t*np : (t+1)*np]
				t++
				lo, hi, off, j0, j1, i0, i1 := l.window(u, v, h, w, oh)
				// row[p] = xc[p + off] for p in [lo, hi), then 0 at the
				// padded positions: before lo, after hi, and the columns
				// j ∉ [j0, j1) between two valid rows.
				copy(row[lo:hi], xc[lo+off:hi+off])
				clear(row[:lo])
				clear(row[hi:])
				for i := i0; i+1 < i1; i++ {
					gap := row[i*w+j1 : (i+1)*w+j0]
					for k := range gap {
						gap[k] = 0
					}
				}
			}
		}
	}
}

// col2imFlat is col2im for a flat convolution (see flat) into the channels
// c0 ≤ c < c1 of one group's dst [Cg][h][w]. It zeroes the padded
// positions of cols [Cg·KH·KW][oh·w] between valid rows, so that each row
// of cols adds to dst as one flat range.
//
// With a 3×3 kernel, the inner range of dst that every tap reaches takes
// the nine rows in one pass, s = dst[q]; s += row₀[q − off₀]; …; s +=
// row₈[q − off₈] (the additions of the nine passes, in their order, so the
// same sums to the bit), which loads and stores dst once rather than nine
// times; only the borders go tap by tap.
func (l *Conv2D) col2imFlat(dst, cols []float32, c0, c1, h, w, oh int) {
	np := oh * w
	kk := l.KH * l.KW
	var lo, hi, off [9]int // of each tap, with a 3×3 kernel
	qa, qb := 0, h*w       // the range of dst every tap reaches
	nine := l.KH == 3 && l.KW == 3
	for k := range 9 {
		if !nine {
			break
		}
		lo[k], hi[k], off[k], _, _, _, _ = l.window(k/3, k%3, h, w, oh)
		qa, qb = max(qa, lo[k]+off[k]), min(qb, hi[k]+off[k])
		nine = lo[k] < hi[k]
	}
	qb = max(qa, qb)
	t := c0 * kk
	for c := c0; c < c1; c++ {
		xc := dst[c*h*w : (c+1)*h*w]
		for u := range l.KH {
			for v := range l.KW {
				row := cols[t*np : (t+1)*np]
				t++
				lo, hi, off, j0, j1, i0, i1 := l.window(u, v, h, w, oh)
				if lo == hi {
					continue
				}
				// xc[p + off] += row[p] over [lo, hi), with the padded
				// positions in between set to 0 first.
				for i := i0; i+1 < i1; i++ {
					gap := row[i*w+j1 : (i+1)*w+j0]
					for k := range gap {
						gap[k] = 0
					}
				}
				if !nine {
					add(xc[lo+off:hi+off], row[lo:hi])
				}
			}
		}
		if !nine {
			continue
		}
		rows := cols[c*kk*np : (c+1)*kk*np]
		// Below qa, then above qb, tap by tap; the additions to each
		// element still come in tap order.
		for k := range 9 {
			row := rows[k*np : (k+1)*np]
			if a := min(qa, hi[k]+off[k]); lo[k]+off[k] < a {
				add(xc[lo[k]+off[k]:a], row[lo[k]:a-off[k]])
			}
		}
		if qa < qb {
			var r [9][]float32
			for k := range 9 {
				r[k] = rows[k*np+qa-off[k] : k*np+qb-off[k]]
			}
			sum9(xc[qa:qb], &r)
		}
		for k := range 9 {
			row := rows[k*np : (k+1)*np]
			if a := max(qb, lo[k]+off[k]); a < hi[k]+off[k] {
				add(xc[a:hi[k]+off[k]], row[a-off[k]:hi[k]])
			}
		}
	}
}

// sum9 sets each dst[q] to ((dst[q] + r[0][q]) + r[1][q]) + … + r[8][q].
func sum9(dst []float32, r *[9][]float32) {
	if simdSum9(dst, r) {
		return
	}
	n := len(dst)
	r0, r1, r2, r3, r4, r5, r6, r7, r8 := r[0][:n], r[1][:n], r[2][:n], r[3][:n], r[4][:n], r[5][:n], r[6][:n], r[7][:n], r[8][:n]
	for q := range dst {
		s := dst[q]
		s += r0[q]
		s += r1[q]
		s += r2[q]
		s += r3[q]
		s += r4[q]
		s += r5[q]
		s += r6[q]
		s += r7[q]
		s += r8[q]
		dst[q] = s
	}
}
