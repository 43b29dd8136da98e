package lrp

// Winograd convolution F(2×2, 3×3) (Lavin & Gray 2016, "Fast Algorithms
// for Convolutional Neural Networks") for the 3×3, stride-1, dilation-1,
// single-group convolutions that hold most of a ResNet's products. For a
// 4×4 input tile d and a 3×3 kernel g, the 2×2 output tile of their
// correlation is
//
//	Y = Aᵀ [(G g Gᵀ) ⊙ (Bᵀ d B)] A
//
// with
//
//	     ⎡1  0 −1  0⎤        ⎡1   0   0⎤
//	Bᵀ = ⎢0  1  1  0⎥    G = ⎢½   ½   ½⎥    Aᵀ = ⎡1  1  1  0⎤
//	     ⎢0 −1  1  0⎥        ⎢½  −½   ½⎥         ⎣0  1 −1 −1⎦
//	     ⎣0  1  0 −1⎦        ⎣0   0   1⎦
//
// 16 products per tile instead of 36. Summed over the C input channels, the
// elementwise product becomes, for each of the 16 positions ξ of the 4×4
// tile, one matrix product over the T tiles:
//
//	M_ξ [K×T] = U_ξ [K×C] · V_ξ [C×T],   U = G g Gᵀ,  V = Bᵀ d B,
//
// 16 gemm calls whose depth is C, against the im2col path's one gemm of
// depth 9C over 4T columns: 2.25× fewer multiplications. Tiles at the
// bottom and right edge read zeros past the input and drop the outputs past
// the output's size.
//
// The transposed product (the gradient of w*x with respect to x at g) of a
// stride-1 3×3 convolution with padding (PT, PL) is the correlation of g
// with the kernel flipped in space and with input and output channels
// swapped, w'[c][o][u][v] = w[o][c][2−u][2−v], with padding (2−PT, 2−PL)
// and the input's size as output size: it runs the same code. Flipping g
// permutes G's rows (G·J = P·G, J the 3×3 reversal, P the 4×4 swap of
// rows 0 and 3), so U' = P U Pᵀ: U'_ξ = U_{π(ξ)}ᵀ with π swapping 0 and 3
// in both coordinates of ξ.
//
// In float32 the transforms add a few roundings: against a float64 oracle,
// the largest error relative to the largest output is 6.6e-7 forward and
// 3.1e-7 transposed (im2col+gemm: 3.8e-7 and 1.9e-7) over the shapes of
// TestWinogradMatchesDirect, which logs them. Errors are relative to a
// tile's largest products rather than an output's own.
//
// Which rules may use Winograd is a fact of each rule (affineRule's
// winogradSafe): the transforms mix the 16 values of a tile, so a result
// is rounded relative to the largest products of its tile rather than of
// its own window, and the exact zeros of W⁺ and W⁻ (or of x at a bound) no
// longer cancel a product exactly. That is harmless where g = R/d is
// bounded because |d| ≥ |z| and R ∝ z (ε, γ), or d does not depend on x
// (w², flat), and for the gradient. The sign-split rules divide by
// denominators that vanish apart from z (W⁺x + b⁺ with x = 0 on a window,
// z − W⁺L − W⁻H with x at the bounds): g has local spikes that the direct
// path multiplies by exact zeros and Winograd spreads over the tile.
// Forced onto the fixture cnn_bn's first layer (C = 1), α2β1 and z^B were
// off by 1–14% of the largest input relevance; they stay on the direct
// path (pass.exact).

// winoMinTiles and winoMinC are the smallest output tile count and channel
// count (in and out) for which Winograd is used. BenchmarkWinogradLayers
// (ResNet-18's 3×3 stride-1 convolutions, wasm, CPU time, cached
// transforms): Winograd against im2col+gemm 1.7–1.9× at 64×56², 128×28²
// and 256×14²; 1.2× at 512×7², 16 tiles (64 outputs computed for 49, and
// the 16 gemms are only 16 columns wide), where recomputing the transforms
// on every call instead is slower than the direct path. With few channels
// the transforms outweigh the products; the fixtures' convolutions (1 and
// 8 input channels) stay direct.
var (
	winoMinTiles = 16
	winoMinC     = 16
)

// winograd reports whether the layer takes the Winograd path for an input
// of height h and width w.
func (l *Conv2D) winograd(h, w int) bool {
	if l.KH != 3 || l.KW != 3 || l.SH != 1 || l.SW != 1 || l.DH != 1 || l.DW != 1 || l.Groups != 1 {
		return false
	}
	for _, p := range [...]int{l.PT, l.PL, l.PB, l.PR} {
		if p < 0 || p > 2 {
			return false
		}
	}
	oh, ow := l.outSize(h, w)
	if oh < 1 || ow < 1 || min(l.InC, l.OutC) < winoMinC {
		return false
	}
	return ((oh+1)/2)*((ow+1)/2) >= winoMinTiles
}

// winoForward: x [C][h][w], w [K][C][3][3], b [K] → dst [K][oh][ow], with
// C = InC and K = OutC.
func (l *Conv2D) winoForward(dst, x, w, b []float32, h, wd int, p *pass, a *arena) {
	oh, ow := l.outSize(h, wd)
	c := winoConv{cin: l.InC, cout: l.OutC, h: h, w: wd, oh: oh, ow: ow, pt: l.PT, pl: l.PL}
	c.run(dst, terms{{x, w}}, false, b, false, p, a)
}

// winoTranspose: g_t [K][oh][ow], w_t [K][C][3][3] → dst [C][h][w] =
// Σ_t w_tᵀ*g_t (added to dst with acc): the correlation of g_t with the
// flipped, transposed kernels, padding (2−PT, 2−PL), output h×w.
func (l *Conv2D) winoTranspose(dst []float32, t terms, acc bool, h, wd int, p *pass, a *arena) {
	oh, ow := l.outSize(h, wd)
	c := winoConv{cin: l.OutC, cout: l.InC, h: oh, w: ow, oh: h, ow: wd, pt: 2 - l.PT, pl: 2 - l.PL}
	c.run(dst, t, true, nil, acc, p, a)
}

// winoConv is one 3×3 stride-1 correlation: an input [cin][h][w], read with
// top and left padding pt, pl ≥ 0 and zeros past its edges, to an output
// [cout][oh][ow].
type winoConv struct {
	cin, cout, h, w, oh, ow, pt, pl int
}

// run sets dst [cout][oh][ow] = Σ_t w_t * x_t + bias, or adds it to dst with
// acc, over the terms with x ≠ nil. The weights w_t are [cout][cin][3][3]
// or, with flip, the layer's [cin][cout][3][3] used flipped and transposed:
// the gemm reads the layer's own transform U_{π(ξ)} [cin×cout] transposed.
// Each direction caches its own packed operands (winoA): packing the cached
// transform on every call instead, with a transposed stride for the
// transposed product, took 7% more CPU time in wasm and 4–7% natively in
// ResNet-18 (ε and epsilon_gamma_box), for 64 and 86 MiB less memory.
//
// Two terms accumulate into one product buffer M (the second term's 16
// gemms add to the first's) and share the output transform. Concatenating
// them along the depth instead (U₁|U₂ times V₁;V₂) would need the two
// transforms side by side in one matrix, a copy per call or a cache per
// pair; gemm already splits a depth past kc = 256 into passes that add
// to M, so it would save at most one pass over M per ξ.
func (c *winoConv) run(dst []float32, t terms, flip bool, bias []float32, acc bool, p *pass, a *arena) {
	th, tw := (c.oh+1)/2, (c.ow+1)/2
	nt := th * tw
	// Split (ExplainSplit), this half computes the rows of tiles
	// i0 ≤ i < i1 (their input transforms, columns of the 16 products and
	// output rows) or, with too few rows of tiles, the output channels
	// lo ≤ k < hi (their rows of the 16 products and their tiles).
	work := 16 * c.cout * c.cin * nt
	i0, i1 := p.tileRows(th, work)
	lo, hi := 0, c.cout
	if i0 == 0 && i1 == th {
		lo, hi = p.rows(c.cout, work)
	}
	mt := (i1 - i0) * tw // the tiles of this half
	vs, ms := planeStride(c.cin*mt), planeStride(c.cout*mt)
	v := grow(&a.wv, 16*vs)
	m := grow(&a.wm, 16*ms)
	pad := grow(&a.wpad, (2*(i1-i0)+6)*(2*tw+2)) // plane and 4 scratch rows
	// Tile row i0 reads the input from row y0 = 2·i0 − pt on: the half is
	// the correlation of the rows from y0 on (top padding 0) or, from the
	// first row of tiles, of the whole input.
	y0, pt := 2*i0-c.pt, c.pt
	if y0 < 0 {
		y0 = 0
	} else {
		pt = 0
	}
	h := max(c.h-y0, 0)
	first := true
	for _, t := range t {
		if t.g == nil {
			continue
		}
		winoInput(v, t.g[min(y0, c.h)*c.w:], c.cin, h, c.w, i1-i0, tw, pt, c.pl, vs, pad, c.h*c.w)
		ap := a.winoA(t.w, c.cout, c.cin, flip)
		s, as := packedSize(c.cout, c.cin), planeStride(packedSize(c.cout, c.cin))
		for xi := range 16 {
			gemmPackedRows(lo, hi, c.cout, mt, c.cin, ap[xi*as:][:s], mat{v[xi*vs:][:c.cin*mt], mt, 1},
				m[xi*ms:][:c.cout*mt], mt, !first, nil, a)
		}
		first = false
	}
	if bias != nil {
		bias = bias[lo:hi]
	}
	np := c.oh * c.ow
	r0, r1 := 2*i0, min(2*i1, c.oh) // the output rows of the tiles
	winoOutput(dst[lo*np+r0*c.ow:], m[lo*mt:], hi-lo, r1-r0, c.ow, i1-i0, tw, ms, bias, acc, np)
	p.share(dst, lo, hi, c.cout, np)
	p.shareCols(dst, c.cout, np, r0*c.ow, r1*c.ow, a)
}

// sizeWinoForward and sizeWinoTranspose replay winoForward and
// winoTranspose for a sizer (memory.go), with the weights w (of each
// term).
func (l *Conv2D) sizeWinoForward(s *sizer, h, wd int, w wref) {
	oh, ow := l.outSize(h, wd)
	c := winoConv{cin: l.InC, cout: l.OutC, h: h, w: wd, oh: oh, ow: ow}
	c.size(s, []wref{w}, false)
}

func (l *Conv2D) sizeWinoTranspose(s *sizer, h, wd int, ws []wref) {
	oh, ow := l.outSize(h, wd)
	c := winoConv{cin: l.OutC, cout: l.InC, h: oh, w: ow, oh: h, ow: wd}
	c.size(s, ws, true)
}

// size replays run.
func (c *winoConv) size(s *sizer, ws []wref, flip bool) {
	th, tw := (c.oh+1)/2, (c.ow+1)/2
	nt := th * tw
	s.wv = max(s.wv, 16*planeStride(c.cin*nt))
	s.wm = max(s.wm, 16*planeStride(c.cout*nt))
	s.wpad = max(s.wpad, (2*th+6)*(2*tw+2))
	kind := winoForward
	if flip {
		kind = winoFlipped
	}
	for _, w := range ws {
		s.packed(packSlot{w, kind, c.cout, 0}, 16*planeStride(packedSize(c.cout, c.cin)))
		s.panels(c.cout, nt, c.cin, true)
	}
}

// flipXi is π: the position of U whose value U' of the flipped kernel
// takes at ξ = 4p + q, 4·r(p) + r(q) with r = (3, 1, 2, 0).
var flipXi = [16]int{15, 13, 14, 12, 7, 5, 6, 4, 11, 9, 10, 8, 3, 1, 2, 0}

// winoInputGo sets v [16][C][T] (its planes vs ≥ C·T apart, see
// planeStride) to V = Bᵀ d B for every channel and tile t = i·tw + j of
// x [C][h][w] (its channels xs ≥ h·w apart), d the 4×4 block at rows 2i−pt… and columns 2j−pl… with
// zeros outside x. Each channel is first copied into pad, a
// zero-bordered plane [2th+2][2tw+2] followed by 4 rows of scratch, so
// that the tile loops have no edges.
//
//	Bᵀ d:  rows d₀−d₂, d₁+d₂, d₂−d₁, d₁−d₃   (d_r the rows)
//	(Bᵀd)B: each row (p, q, r, s) → (p−r, q+r, r−q, q−s)
//
// Bᵀ d is computed once per column of a row of tiles (neighbouring tiles
// share two columns), then (Bᵀd)B row by row of the result, so that each
// loop writes 4 of the 16 planes of v.
func winoInputGo(v, x []float32, c, h, w, th, tw, pt, pl, vs int, pad []float32, xs int) {
	ph, pw := 2*th+2, 2*tw+2
	nt := th * tw
	plane, tmp := pad[:ph*pw], pad[ph*pw:ph*pw+4*pw]
	clear(plane)
	y1, x1 := min(h, ph-pt), min(w, pw-pl) // the rows and columns of x that tiles read
	t0, t1, t2, t3 := tmp[:pw], tmp[pw:2*pw], tmp[2*pw:3*pw], tmp[3*pw:4*pw]
	for ch := range c {
		xc := x[ch*xs : ch*xs+h*w]
		for y := range y1 {
			copy(plane[(y+pt)*pw+pl:(y+pt)*pw+pl+x1], xc[y*w:y*w+x1])
		}
		for i := range th {
			r0 := plane[2*i*pw : (2*i+1)*pw]
			r1 := plane[(2*i+1)*pw : (2*i+2)*pw]
			r2 := plane[(2*i+2)*pw : (2*i+3)*pw]
			r3 := plane[(2*i+3)*pw : (2*i+4)*pw]
			r1, r2, r3 = r1[:len(r0)], r2[:len(r0)], r3[:len(r0)]
			u0, u1, u2, u3 := t0[:len(r0)], t1[:len(r0)], t2[:len(r0)], t3[:len(r0)]
			for q, d0 := range r0 {
				d1, d2, d3 := r1[q], r2[q], r3[q]
				u0[q], u1[q], u2[q], u3[q] = d0-d2, d1+d2, d2-d1, d1-d3
			}
			base := ch*nt + i*tw
			for k, b := range [4][]float32{u0, u1, u2, u3} {
				o0 := v[4*k*vs+base:][:tw]
				o1 := v[(4*k+1)*vs+base:][:len(o0)]
				o2 := v[(4*k+2)*vs+base:][:len(o0)]
				o3 := v[(4*k+3)*vs+base:][:len(o0)]
				for j := range o0 {
					e := (*[4]float32)(b[2*j:])
					p, q, r, s := e[0], e[1], e[2], e[3]
					o0[j], o1[j], o2[j], o3[j] = p-r, q+r, r-q, q-s
				}
			}
		}
	}
}

// winoOutputGo sets dst [K][oh][ow] (its channels ds ≥ oh·ow apart; adds
// to it with acc) to Y = Aᵀ M A plus bias[o] (when not nil) for every
// channel o and tile of m [16][K][T] (its planes ms apart), dropping the
// outputs past oh×ow.
//
//	Aᵀ M:  rows m₀+m₁+m₂, m₁−m₂−m₃   (m_r the rows)
//	(AᵀM)A: each row (p, q, r, s) → (p+q+r, q−r−s)
func winoOutputGo(dst, m []float32, k, oh, ow, th, tw, ms int, bias []float32, acc bool, ds int) {
	nt := th * tw
	full := ow / 2 // tiles whose two columns are both inside
	var mr [16][]float32
	for o := range k {
		var b float32
		if bias != nil {
			b = bias[o]
		}
		out := dst[o*ds : o*ds+oh*ow]
		for i := range th {
			for xi := range mr {
				mr[xi] = m[xi*ms+o*nt+i*tw:][:tw]
			}
			m00, m01, m02, m03 := mr[0], mr[1], mr[2], mr[3]
			m10, m11, m12, m13 := mr[4], mr[5], mr[6], mr[7]
			m20, m21, m22, m23 := mr[8], mr[9], mr[10], mr[11]
			m30, m31, m32, m33 := mr[12], mr[13], mr[14], mr[15]
			y0 := out[2*i*ow : (2*i+1)*ow]
			var y1 []float32 // nil past the last output row
			if 2*i+1 < oh {
				y1 = out[(2*i+1)*ow : (2*i+2)*ow]
			}
			for j := range tw {
				// Aᵀ M: s₀ = m₀+m₁+m₂, s₁ = m₁−m₂−m₃ per column q.
				s00, s10 := m00[j]+m10[j]+m20[j], m10[j]-m20[j]-m30[j]
				s01, s11 := m01[j]+m11[j]+m21[j], m11[j]-m21[j]-m31[j]
				s02, s12 := m02[j]+m12[j]+m22[j], m12[j]-m22[j]-m32[j]
				s03, s13 := m03[j]+m13[j]+m23[j], m13[j]-m23[j]-m33[j]
				a00, a01 := s00+s01+s02+b, s01-s02-s03+b
				a10, a11 := s10+s11+s12+b, s11-s12-s13+b
				if j < full {
					if acc {
						y0[2*j] += a00
						y0[2*j+1] += a01
						if y1 != nil {
							y1[2*j] += a10
							y1[2*j+1] += a11
						}
					} else {
						y0[2*j], y0[2*j+1] = a00, a01
						if y1 != nil {
							y1[2*j], y1[2*j+1] = a10, a11
						}
					}
					continue
				}
				// The last tile of an odd width: one column.
				if acc {
					y0[2*j] += a00
					if y1 != nil {
						y1[2*j] += a10
					}
				} else {
					y0[2*j] = a00
					if y1 != nil {
						y1[2*j] = a10
					}
				}
			}
		}
	}
}

// winoA returns the a operands of the 16 products of a Winograd
// correlation with k output and c input channels, each packed by packWhole
// (packedSize(k, c) floats) and planeStride of that apart, valid until the
// next call. They are U_ξ [k×c] for w [k][c][3][3], or with flip, for the
// layer's w [c][k][3][3] used flipped and transposed, U_{π(ξ)}ᵀ [k×c] of
// the layer's U [16][c][k].
func (a *arena) winoA(w []float32, k, c int, flip bool) []float32 {
	kind := winoForward
	if flip {
		kind = winoFlipped
	}
	return a.packed(w, kind, k, 16*planeStride(packedSize(k, c)), func(ap []float32) { winoPack(ap, w, k, c, flip) })
}

// planeStride is the distance in floats at which to lay out the 16 planes
// of n floats that a Winograd loop reads or writes together: n rounded up
// to an odd number of 64-byte cache lines. Planes a power of two apart
// (512 × 512 operands, 1 MiB) fall in the same cache set and evict each
// other: winoPack of a 512-channel layer took 12 ms natively with planes
// packed end to end, 2.4 ms with one line between them (wasm: 10 and
// 5 ms).
func planeStride(n int) int {
	lines := (n + 15) / 16
	return (lines | 1) * 16
}

// winoPack sets ap to winoA's packed operands: it transforms each kernel
// w[o][i] once and stores the 16 values straight into their packed
// places, U_ξ[o][i] at row o and depth i of operand ξ, or with flip, for
// the layer's w [c][k][3][3], U_ξ[o][i] at row i and depth o of operand
// π(ξ) (π is its own inverse).
func winoPack(ap, w []float32, k, c int, flip bool) {
	s := planeStride(packedSize(k, c))
	ap = ap[:16*s]
	var at [16]int // the start of the operand that takes U_ξ
	for xi := range at {
		at[xi] = xi * s
		if flip {
			at[xi] = flipXi[xi] * s
		}
	}
	// Kernel (row, depth) of the operands is w[(row·rs + depth·ds)·9:].
	rs, ds := c, 1
	if flip {
		rs, ds = 1, k
	}
	mp := roundMr(k)
	if mp != k || padKu(c%kc) != c%kc {
		clear(ap) // the padding
	}
	for p0 := 0; p0 < c; p0 += kc { // the depth blocks of packWhole
		kb := min(kc, c-p0)
		kp := padKu(kb)
		if simdWinoPack(ap, &at, w, k, kb, kp, rs, ds, p0*mp, p0) {
			continue
		}
		for row := range k {
			base := p0*mp + row/mr*mr*kp + row%mr // a[row][p0] in its row panel
			winoKernels(ap[base:], &at, w[(row*rs+p0*ds)*9:], kb, ds*9)
		}
	}
}

// winoKernels transforms n kernels, g_t = w[t·ws:][:9], into U_ξ(g_t) at
// u[at[ξ] + t·mr] (a row of a packed operand):
//
//	G g   = rows g₀, (g₀+g₁+g₂)/2, (g₀−g₁+g₂)/2, g₂      (4×3, g_r the rows)
//	(Gg)Gᵀ: each row (p, q, r) → (p, (p+q+r)/2, (p−q+r)/2, r)
//
// The offsets are held in locals and the loop body written out: a call per
// kernel, or offsets read from an array, took 40% longer in wasm.
func winoKernels(u []float32, at *[16]int, w []float32, n, ws int) {
	a0, a1, a2, a3 := at[0], at[1], at[2], at[3]
	a4, a5, a6, a7 := at[4], at[5], at[6], at[7]
	a8, a9, a10, a11 := at[8], at[9], at[10], at[11]
	a12, a13, a14, a15 := at[12], at[13], at[14], at[15]
	for t := range n {
		g := (*[9]float32)(w[t*ws : t*ws+9])
		o := t * mr
		p, q, r := g[0], g[1], g[2]
		u[a0+o], u[a1+o], u[a2+o], u[a3+o] = p, 0.5*(p+q+r), 0.5*(p-q+r), r
		p, q, r = 0.5*(g[0]+g[3]+g[6]), 0.5*(g[1]+g[4]+g[7]), 0.5*(g[2]+g[5]+g[8])
		u[a4+o], u[a5+o], u[a6+o], u[a7+o] = p, 0.5*(p+q+r), 0.5*(p-q+r), r
		p, q, r = 0.5*(g[0]-g[3]+g[6]), 0.5*(g[1]-g[4]+g[7]), 0.5*(g[2]-g[5]+g[8])
		u[a8+o], u[a9+o], u[a10+o], u[a11+o] = p, 0.5*(p+q+r), 0.5*(p-q+r), r
		p, q, r = g[6], g[7], g[8]
		u[a12+o], u[a13+o], u[a14+o], u[a15+o] = p, 0.5*(p+q+r), 0.5*(p-q+r), r
	}
}
