//go:build js && wasm

package lrp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/lrpwasm/lrp/internal/simdtest"
	"github.com/stretchr/testify/require"
)

// odd returns n values for the elementwise steps: normals, with one in
// four replaced by ±0, ±Inf, NaN, a subnormal, ±1 or −ε (so that stab
// gives −2ε), the specials in random places.
func odd(r *rand.Rand, n int, eps float32) []float32 {
	specials := []float32{0, float32(math.Copysign(0, -1)), float32(math.Inf(1)), float32(math.Inf(-1)),
		float32(math.NaN()), 1e-40, -1e-40, 1, -1, -eps}
	v := randn(r, n)
	for i := range v {
		if r.IntN(4) == 0 {
			v[i] = specials[r.IntN(len(specials))]
		}
	}
	return v
}

// onBoth runs f on the SIMD kernels and on Go's, each on its own copy of
// the arrays in, and requires every array to end with the same bits, a
// NaN only to be NaN: WebAssembly leaves the sign and payload of a NaN
// result to the engine, and V8 may swap the operands of a commutative
// operation (Inf − Inf and a NaN input, added, give either).
func onBoth(t *testing.T, name string, in [][]float32, f func(v [][]float32)) {
	t.Helper()
	defer UseSIMD(true)
	var out [2][][]float32
	for k, on := range []bool{true, false} {
		v := make([][]float32, len(in))
		for i := range in {
			v[i] = append([]float32(nil), in[i]...)
		}
		UseSIMD(on)
		f(v)
		out[k] = v
	}
	for i := range in {
		for j := range out[1][i] {
			g, w := out[0][i][j], out[1][i][j]
			if math.Float32bits(g) != math.Float32bits(w) && !(g != g && w != w) {
				require.Failf(t, "SIMD and Go steps differ", "%s: array %d [%d] = %g (%#x), Go %g (%#x)", name, i, j,
					out[0][i][j], math.Float32bits(out[0][i][j]), out[1][i][j], math.Float32bits(out[1][i][j]))
			}
		}
	}
}

// TestStepsSIMDMatchGo runs every elementwise step on the SIMD kernel and
// in Go, on lengths around simdMin and the kernel's groups of four, with
// zeros of both signs, infinities, NaN and subnormals among the values,
// and requires the same bits in every output.
func TestStepsSIMDMatchGo(t *testing.T) {
	simdtest.Require(t)
	r := newRand(17)
	for _, n := range []int{1, 5, simdMin - 1, simdMin, simdMin + 1, simdMin + 2, simdMin + 3, 203, 2*kc + 5} {
		for _, eps := range []float32{0, 1e-6, 0.25} {
			name := fmt.Sprintf("n=%d eps=%g", n, eps)
			a, b, c, d := odd(r, n, eps), odd(r, n, eps), odd(r, n, eps), odd(r, n, eps)
			onBoth(t, name+" add", [][]float32{a, b}, func(v [][]float32) { add(v[0], v[1]) })
			onBoth(t, name+" add forward", [][]float32{a, b, c}, func(v [][]float32) {
				forwardLayer(&Add{}, v[2], nil, [][]float32{v[0], v[1]}, nil, nil, nil)
			})
			onBoth(t, name+" split", [][]float32{a, make([]float32, n), make([]float32, n), make([]float32, 1)}, func(v [][]float32) {
				s := step{x: v[0], a: &arena{}}
				xp, xn, neg := s.split()
				if neg {
					v[3][0] = 1
					copy(v[1], xp)
					copy(v[2], xn)
				}
			})
			for _, v := range [][]float32{a, randn(r, n)} { // the odd values' sum is often NaN
				var sums [2]float64
				for k, on := range []bool{true, false} {
					UseSIMD(on)
					sums[k] = sum64(v)
				}
				UseSIMD(true)
				if math.Float64bits(sums[0]) != math.Float64bits(sums[1]) && !(math.IsNaN(sums[0]) && math.IsNaN(sums[1])) {
					require.Failf(t, "SIMD and Go sums differ", "%s: sum64 %g, Go %g", name, sums[0], sums[1])
				}
			}
			pos := append([]float32(nil), a...)
			for i, x := range pos {
				if x < 0 {
					pos[i] = -x
				}
			}
			pos[n-1] = -1 // the only negative, last
			onBoth(t, name+" split, one negative", [][]float32{pos, make([]float32, n), make([]float32, 1)}, func(v [][]float32) {
				s := step{x: v[0], a: &arena{}}
				xp, xn, neg := s.split()
				v[2][0] = map[bool]float32{true: 1}[neg]
				copy(v[0], xp)
				copy(v[1], xn)
			})
			onBoth(t, name+" mul", [][]float32{a, b, c}, func(v [][]float32) { mul(v[0], v[1], v[2]) })
			onBoth(t, name+" mulAdd", [][]float32{a, b, c}, func(v [][]float32) { mulAdd(v[0], v[1], v[2], -0.75) })
			onBoth(t, name+" quotients", [][]float32{a, b, c, d}, func(v [][]float32) { quotients(v[0], v[1], v[2], v[3], eps, nil) })
			onBoth(t, name+" div", [][]float32{b, c}, func(v [][]float32) {
				s := step{r: v[0], a: &arena{}}
				copy(v[1], s.div(v[1], eps))
			})
			onBoth(t, name+" gamma", [][]float32{a, b, c, d, make([]float32, 2)}, func(v [][]float32) {
				gp, gn := make([]float32, n), make([]float32, n)
				bp, bn := Gamma{0.25, eps}.quotientsFrom(gp, gn, v[0], v[1], v[2], nil)
				copy(v[0], gp)
				copy(v[1], gn)
				// What the rule reads of them: whether any is nonzero.
				v[4][0], v[4][1] = float32(min(bp<<1, 1)), float32(min(bn<<1, 1))
			})
			// At a support: a sorted subset of the indices, as below a
			// max pooling (step.support), and the pooling's gradient.
			var sup []int32
			for j := range n {
				if r.IntN(3) == 0 {
					sup = append(sup, int32(j))
				}
			}
			if len(sup) > 0 {
				onBoth(t, name+" quotients at", [][]float32{a, b, c, d}, func(v [][]float32) { quotients(v[0], v[1], v[2], v[3], eps, sup) })
				onBoth(t, name+" div at", [][]float32{b, c}, func(v [][]float32) {
					s := step{r: v[0], a: &arena{}, p: pass{within: v[0], supp: sup}}
					copy(v[1], s.div(v[1], eps))
				})
				onBoth(t, name+" gamma at", [][]float32{a, b, c, d, make([]float32, 2)}, func(v [][]float32) {
					bp, bn := Gamma{0.25, eps}.quotientsFrom(v[0], v[1], v[2], v[3], v[2], sup)
					v[4][0], v[4][1] = float32(min(bp<<1, 1)), float32(min(bn<<1, 1))
				})
			}
			arg := make([]int32, n) // several outputs may share a winner
			for o := range arg {
				arg[o] = int32(r.IntN(n + 3))
			}
			onBoth(t, name+" unpool", [][]float32{a, make([]float32, n+3)}, func(v [][]float32) {
				Gradient{}.backward(&layerStep{l: &MaxPool2D{}, r: v[0], x: [][]float32{nil}, dst: [][]float32{v[1]}, arg: arg})
			})
			onBoth(t, name+" boxSum", [][]float32{a, b, c, d, odd(r, n, eps), make([]float32, n)}, func(v [][]float32) {
				boxSum(v[5], v[0], v[1], v[2], v[3], v[4])
			})
			onBoth(t, name+" norm", [][]float32{a, b, c, d, make([]float32, n), make([]float32, n)}, func(v [][]float32) {
				Norm{eps}.backward(&layerStep{l: &Add{}, x: [][]float32{v[0], v[1]}, y: v[2], r: v[3], dst: [][]float32{v[4], v[5]}})
			})
			onBoth(t, name+" relu", [][]float32{a, b}, func(v [][]float32) { reluTo(v[1], v[0]) })
			onBoth(t, name+" relu gradient", [][]float32{a, b, c}, func(v [][]float32) {
				Gradient{}.backward(&layerStep{l: &ReLU{}, x: [][]float32{v[0]}, r: v[1], dst: [][]float32{v[2]}})
			})
			onBoth(t, name+" density", [][]float32{a, make([]float32, 1)}, func(v [][]float32) {
				v[1][0] = float32(density(v[0]))
			})
			onBoth(t, name+" axpy", [][]float32{a, b}, func(v [][]float32) { axpy(v[0], v[1], -0.375) })
			rows4 := randn(r, 4*(n+3)) // finite: the odd values' sums are mostly NaN
			onBoth(t, name+" dot4", [][]float32{randn(r, n), make([]float32, 4)}, func(v [][]float32) {
				s := dot4(rows4, n+3, v[0])
				copy(v[1], s[:])
			})
			// A dense layer's products: 4m+1 rows (the last in Go), and
			// the transposed one skipping zeros of x.
			for _, acc := range []bool{false, true} {
				m := 9
				wts, xs := randn(r, m*(n+2)), randn(r, n)
				onBoth(t, fmt.Sprintf("%s gemvRows acc=%v", name, acc), [][]float32{odd(r, m, 0)}, func(v [][]float32) {
					gemvRows(m, n, mat{wts, n + 2, 1}, xs, v[0], 1, acc)
				})
				g := randn(r, m)
				g[2], g[5] = 0, 0
				onBoth(t, fmt.Sprintf("%s gemvCols acc=%v", name, acc), [][]float32{odd(r, n, 0)}, func(v [][]float32) {
					gemvCols(n, m, mat{wts, 1, n + 2}, g, v[0], 1, acc)
				})
			}
			onBoth(t, name+" signed", [][]float32{a, make([]float32, n)}, func(v [][]float32) {
				copy(v[1], signed(v[0], 0.25, -1))
			})
			rows := make([][]float32, 10)
			for i := range rows {
				rows[i] = odd(r, n, eps)
			}
			onBoth(t, name+" sum9", rows, func(v [][]float32) { sum9(v[0], (*[9][]float32)(v[1:])) })
		}
	}
}

// TestWindowsSIMDMatchGo runs im2col, col2im and max pooling on the SIMD
// kernel and in Go, for convolutions that are not flat (strides, padding
// with fewer output columns, dilation, kernel sizes 1 to 7) and flat ones
// (Go's im2colFlat and col2imFlat, "same" padding) and for
// poolings with and without padding, strides 1 to 3 and ties, and
// requires the same bits.
func TestWindowsSIMDMatchGo(t *testing.T) {
	simdtest.Require(t)
	r := newRand(19)
	convs := []Conv2D{
		{KH: 7, KW: 7, SH: 2, SW: 2, PT: 3, PL: 3, PB: 3, PR: 3, DH: 1, DW: 1},
		{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1},
		{KH: 1, KW: 1, SH: 2, SW: 2, DH: 1, DW: 1},
		{KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1},
		{KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1}, // flat
		{KH: 5, KW: 5, SH: 1, SW: 1, PT: 2, PL: 2, PB: 2, PR: 2, DH: 1, DW: 1}, // flat
		{KH: 3, KW: 3, SH: 1, SW: 1, PT: 2, PL: 2, PB: 0, PR: 2, DH: 2, DW: 2}, // flat, dilated
		{KH: 3, KW: 2, SH: 1, SW: 3, PT: 2, PL: 0, PB: 1, PR: 2, DH: 1, DW: 1},
		{KH: 3, KW: 3, SH: 2, SW: 2, PT: 2, PL: 2, PB: 2, PR: 2, DH: 2, DW: 2},
		{KH: 2, KW: 5, SH: 1, SW: 2, PT: 0, PL: 4, PB: 0, PR: 4, DH: 1, DW: 1},
	}
	for _, l := range convs {
		for _, hw := range [][2]int{{5, 5}, {8, 13}, {23, 31}, {1, 9}} {
			h, w := hw[0], hw[1]
			if h+l.PT+l.PB < (l.KH-1)*l.DH+1 || w+l.PL+l.PR < (l.KW-1)*l.DW+1 {
				continue
			}
			for _, c := range []int{1, 3} {
				l.InC, l.OutC, l.Groups = c, 1, 1
				oh, ow := l.outSize(h, w)
				name := fmt.Sprintf("%dx%d/s%dx%d/p%d,%d,%d,%d/d%d c=%d h=%d w=%d", l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.PB, l.PR, l.DH, c, h, w)
				k, np := c*l.KH*l.KW, oh*ow
				x, cols := odd(r, c*h*w, 0), odd(r, k*np, 0)
				if l.flat(w, ow) { // col2im's dst holds no −0 (Conv2D.transpose clears it)
					for i, v := range x {
						if v == 0 {
							x[i] = 0
						}
					}
				}
				onBoth(t, name+" im2col", [][]float32{odd(r, k*np, 0), x}, func(v [][]float32) { l.im2col(v[0], v[1], 0, h, w, oh, ow) })
				for _, cc := range [][2]int{{0, c}, {c - 1, c}} {
					// cols is scratch: col2imFlat zeroes its padded positions.
					onBoth(t, fmt.Sprintf("%s col2im %v", name, cc), [][]float32{x}, func(v [][]float32) {
						l.col2im(v[0], append([]float32(nil), cols...), cc[0], cc[1], h, w, oh, ow)
					})
				}
			}
		}
	}
	pools := []MaxPool2D{
		{KH: 2, KW: 2, SH: 2, SW: 2},
		{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1},
		{KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1},
		{KH: 3, KW: 2, SH: 3, SW: 2, PT: 0, PL: 1, PB: 2, PR: 0},
		{KH: 2, KW: 3, SH: 1, SW: 3, PT: 1, PL: 2, PB: 0, PR: 1},
	}
	for _, l := range pools {
		for _, hw := range [][2]int{{4, 4}, {7, 9}, {14, 28}, {23, 37}, {28, 28}, {14, 14}, {3, 6}} {
			h, w := hw[0], hw[1]
			for _, c := range []int{1, 2} {
				in := []int{c, h, w}
				out, err := l.OutShape([][]int{in})
				require.NoError(t, err)
				name := fmt.Sprintf("maxpool %dx%d/s%dx%d/p%d,%d,%d,%d c=%d h=%d w=%d", l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.PB, l.PR, c, h, w)
				// Small integers give ties; −0 and +0 tie too.
				x := odd(r, c*h*w, 0)
				for i := range x {
					if r.IntN(2) == 0 {
						x[i] = float32(r.IntN(3) - 1)
					}
				}
				n := numel(out)
				onBoth(t, name, [][]float32{x, make([]float32, n), make([]float32, n)}, func(v [][]float32) {
					arg := make([]int32, n)
					maxPool(v[1], arg, v[0], &l, in)
					for i, a := range arg {
						v[2][i] = float32(a)
					}
				})
			}
		}
	}
}

// TestWinoPackSIMDMatchesGo packs the Winograd transforms of weights on
// the SIMD kernel and in Go, for odd and even rows, depths across two
// depth blocks and both layouts (flip), and requires the same bits, the
// padding included.
func TestWinoPackSIMDMatchesGo(t *testing.T) {
	simdtest.Require(t)
	r := newRand(23)
	for _, k := range []int{1, 2, 3, 8, 13} {
		for _, c := range []int{1, 2, 5, 8, kc + 3} {
			for _, flip := range []bool{false, true} {
				w := odd(r, k*c*9, 0)
				name := fmt.Sprintf("k=%d c=%d flip=%v", k, c, flip)
				onBoth(t, name, [][]float32{odd(r, 16*planeStride(packedSize(k, c)), 0)}, func(v [][]float32) {
					winoPack(v[0], w, k, c, flip)
				})
			}
		}
	}
}

// TestSparseSIMDMatchGo runs the sparse passes of one output channel of a
// convolution (scatter and gather) on the SIMD kernel and as
// Conv2D.transpose and Conv2D.forward do in Go (axpyStride, dotStride), at
// every position or at a sorted list of them, with zeros of both signs and
// NaN in the relevance, and requires the same bits.
func TestSparseSIMDMatchGo(t *testing.T) {
	simdtest.Require(t)
	defer UseSIMD(true)
	r := newRand(29)
	for _, k := range []int{1, 3, 4, 9, 72} {
		for _, np := range []int{1, 7, 196} {
			const o0 = 1000
			g := odd(r, np, 0)
			for i := range g {
				if r.IntN(3) > 0 {
					g[i] = 0 // sparse, as below a max pooling
				}
			}
			var list []int32
			for i := range np {
				if r.IntN(2) == 0 {
					list = append(list, int32(o0+i))
				}
			}
			w, cols := randn(r, k), randn(r, k*np)
			// A list of fewer than np/4 positions takes gather, a longer
			// one or none gather_t.
			for _, in := range [][]int32{nil, list, list[:len(list)/8], list[:0]} {
				name := fmt.Sprintf("k=%d np=%d list=%v (%d)", k, np, in != nil, len(in))
				// The Go loops of Conv2D.transpose and Conv2D.forward.
				points := func(f func(p int)) {
					if in == nil {
						for p := range np {
							f(p)
						}
						return
					}
					for _, q := range in {
						f(int(q) - o0)
					}
				}
				onBoth(t, name+" scatter", [][]float32{cols}, func(v [][]float32) {
					if simdScatter(v[0], w, g, np, in, o0) {
						return
					}
					points(func(p int) {
						if g[p] != 0 {
							axpyStride(v[0][p:], w, g[p], np)
						}
					})
				})
				onBoth(t, name+" gather", [][]float32{odd(r, np, 0)}, func(v [][]float32) {
					if simdGather(v[0], w, cols, g, k, np, 1, in, o0, []float32{0.5}, &arena{}) {
						return
					}
					clear(v[0])
					points(func(p int) {
						if g[p] != 0 {
							v[0][p] = dotStride(w, cols[p:], np) + 0.5
						}
					})
				})
			}
		}
	}
}

// TestSparseTransposeSIMDMatchGo runs Conv2D.transpose with sparse
// gradients (one or two terms, with and without the list of their
// nonzeros, one group or two) on the SIMD kernel, which scatters into
// transposed columns (simdTransposeSparse), and in Go, and Conv2D.forward
// with a sparse need vector (with and without a bias), which gathers a
// group's channels in one call, and requires the same bits.
func TestSparseTransposeSIMDMatchGo(t *testing.T) {
	simdtest.Require(t)
	r := newRand(31)
	convs := []Conv2D{
		{KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1},
		{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, DH: 1, DW: 1},
		{KH: 5, KW: 3, SH: 1, SW: 2, PT: 2, PL: 0, PB: 1, PR: 1, DH: 2, DW: 1},
	}
	for _, l := range convs {
		for _, c := range [][3]int{{1, 8, 1}, {2, 16, 1}, {6, 4, 2}, {3, 5, 1}} {
			l.InC, l.OutC, l.Groups = c[0], c[1], c[2]
			const h, w = 14, 11
			in := []int{l.InC, h, w}
			oh, ow := l.outSize(h, w)
			n := l.OutC * oh * ow
			k := l.InC / l.Groups * l.KH * l.KW
			w1, w2 := randn(r, l.OutC*k), randn(r, l.OutC*k)
			g1, g2 := odd(r, n, 0), odd(r, n, 0)
			var sup []int32 // every fourth position, as below a 2×2 max pooling
			for i := range n {
				if i%4 == r.IntN(4) || i%4 != 1 {
					g1[i], g2[i] = 0, 0
				}
				if i%4 == 1 {
					sup = append(sup, int32(i))
				}
			}
			x, bias := odd(r, l.InC*h*w, 0), randn(r, l.OutC)
			for _, list := range [][]int32{nil, sup} {
				for _, b := range [][]float32{nil, bias} {
					name := fmt.Sprintf("%dx%d/s%d,%d c=%v list=%v bias=%v forward", l.KH, l.KW, l.SH, l.SW, c, list != nil, b != nil)
					onBoth(t, name, [][]float32{odd(r, n, 0)}, func(v [][]float32) {
						p := pass{exact: true, within: g1, supp: list, counted: true, dens: 0.25}
						l.forward(v[0], x, w1, b, g1, in, &p, &arena{})
					})
				}
				for _, two := range []bool{false, true} {
					name := fmt.Sprintf("%dx%d/s%d,%d c=%v list=%v two=%v", l.KH, l.KW, l.SH, l.SW, c, list != nil, two)
					onBoth(t, name, [][]float32{make([]float32, l.InC*h*w)}, func(v [][]float32) {
						ts := term(g1, w1)
						if two {
							ts[1].g, ts[1].w = g2, w2
						}
						p := pass{exact: true, within: g1, supp: list, counted: true, dens: 0.25}
						l.transpose(v[0], ts, false, in, &p, &arena{})
					})
				}
			}
		}
	}
}
