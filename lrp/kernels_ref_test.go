package lrp

import (
	"fmt"
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The plain kernels the fast ones replaced, kept as the oracle: one loop
// per index of the formula, float64 sums rounded once.

// refForward sets dst = w*x + b for a *Dense or *Conv2D.
func refForward(l affine, dst, x, w, b []float32, in []int) {
	switch l := l.(type) {
	case *Dense:
		for o := range l.Out {
			var s float64
			if b != nil {
				s = float64(b[o])
			}
			for i := range l.In {
				s += float64(w[o*l.In+i]) * float64(x[i])
			}
			dst[o] = float32(s)
		}
	case *Conv2D:
		h, wd := in[1], in[2]
		oh, ow := l.outSize(h, wd)
		cg, og := l.InC/l.Groups, l.OutC/l.Groups
		for o := range l.OutC {
			g := o / og
			for i := range oh {
				for j := range ow {
					var s float64
					if b != nil {
						s = float64(b[o])
					}
					for c := range cg {
						for u := range l.KH {
							for v := range l.KW {
								y, xx := i*l.SH+u*l.DH-l.PT, j*l.SW+v*l.DW-l.PL
								if y >= 0 && y < h && xx >= 0 && xx < wd {
									s += float64(w[((o*cg+c)*l.KH+u)*l.KW+v]) * float64(x[((g*cg+c)*h+y)*wd+xx])
								}
							}
						}
					}
					dst[(o*oh+i)*ow+j] = float32(s)
				}
			}
		}
	}
}

// refTranspose sets dst = wᵀ*g for a *Dense or *Conv2D.
func refTranspose(l affine, dst, g, w []float32, in []int) {
	acc := make([]float64, len(dst))
	switch l := l.(type) {
	case *Dense:
		for o := range l.Out {
			for i := range l.In {
				acc[i] += float64(w[o*l.In+i]) * float64(g[o])
			}
		}
	case *Conv2D:
		h, wd := in[1], in[2]
		oh, ow := l.outSize(h, wd)
		cg, og := l.InC/l.Groups, l.OutC/l.Groups
		for o := range l.OutC {
			gr := o / og
			for i := range oh {
				for j := range ow {
					gv := float64(g[(o*oh+i)*ow+j])
					for c := range cg {
						for u := range l.KH {
							for v := range l.KW {
								y, xx := i*l.SH+u*l.DH-l.PT, j*l.SW+v*l.DW-l.PL
								if y >= 0 && y < h && xx >= 0 && xx < wd {
									acc[((gr*cg+c)*h+y)*wd+xx] += float64(w[((o*cg+c)*l.KH+u)*l.KW+v]) * gv
								}
							}
						}
					}
				}
			}
		}
	}
	for i, v := range acc {
		dst[i] = float32(v)
	}
}

// kernelCases are layers of many shapes: sizes around the tile edges,
// groups, dilation, strides, asymmetric padding, pointwise convs and a
// depth past one packed panel.
func kernelCases(r *rand.Rand) []struct {
	l  affine
	in []int
} {
	type tc = struct {
		l  affine
		in []int
	}
	var cs []tc
	for _, d := range [][2]int{{1, 1}, {1, 7}, {5, 3}, {17, 9}, {300, 33}, {784, 64}, {64, 10}} {
		cs = append(cs, tc{&Dense{In: d[0], Out: d[1], W: randn(r, d[0]*d[1]), B: randn(r, d[1])}, []int{d[0]}})
	}
	convs := []struct {
		inC, outC, k, s, d, g int
		pad                   [4]int
		h, w                  int
	}{
		{1, 8, 3, 1, 1, 1, [4]int{1, 1, 1, 1}, 28, 28},
		{8, 16, 3, 1, 1, 1, [4]int{1, 1, 1, 1}, 14, 14},
		{3, 5, 7, 2, 1, 1, [4]int{3, 3, 3, 3}, 23, 19},
		{4, 6, 3, 2, 2, 2, [4]int{2, 0, 1, 3}, 11, 13},
		{6, 6, 3, 1, 1, 6, [4]int{1, 1, 1, 1}, 9, 7},
		{5, 7, 1, 1, 1, 1, [4]int{}, 6, 5},
		{6, 9, 1, 2, 1, 3, [4]int{}, 7, 8},
		{40, 3, 3, 1, 1, 1, [4]int{0, 1, 0, 1}, 5, 6}, // K = 360: two depth blocks
		{3, 70, 2, 3, 1, 1, [4]int{1, 0, 0, 1}, 10, 10},
		// Flat im2col and col2im (ow = w, stride 1): dilated, and with
		// asymmetric padding in both directions.
		{4, 5, 3, 1, 2, 1, [4]int{2, 2, 2, 2}, 9, 10},
		{3, 4, 3, 1, 1, 1, [4]int{2, 0, 0, 2}, 8, 6},
		{2, 3, 5, 1, 1, 1, [4]int{3, 4, 1, 0}, 3, 7},
	}
	for _, c := range convs {
		cin := c.inC / c.g
		l := &Conv2D{InC: c.inC, OutC: c.outC, KH: c.k, KW: c.k, SH: c.s, SW: c.s, DH: c.d, DW: c.d,
			PT: c.pad[0], PL: c.pad[1], PB: c.pad[2], PR: c.pad[3], Groups: c.g,
			W: randn(r, c.outC*cin*c.k*c.k), B: randn(r, c.outC)}
		if _, err := l.OutShape([][]int{{c.inC, c.h, c.w}}); err != nil {
			panic(err)
		}
		cs = append(cs, tc{l, []int{c.inC, c.h, c.w}})
	}
	return cs
}

func randn(r *rand.Rand, n int) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64())
	}
	return v
}

// TestKernelsMatchReference compares forward and transpose with the plain
// kernels, relative to the largest output.
func TestKernelsMatchReference(t *testing.T) {
	r := rand.New(rand.NewPCG(7, 7))
	var a arena
	for _, c := range kernelCases(r) {
		out, err := c.l.OutShape([][]int{c.in})
		require.NoError(t, err)
		name := fmt.Sprintf("%T%v→%v", c.l, c.in, out)
		w, b := c.l.params()
		x, g := randn(r, numel(c.in)), randn(r, numel(out))
		// A sparse mask of needed outputs, and g as sparse as a ReLU and a
		// max pooling leave it, take the one-value-at-a-time paths.
		need, gs := make([]float32, len(g)), make([]float32, len(g))
		for i := range need {
			if r.IntN(8) == 0 {
				need[i], gs[i] = 1, g[i]
			}
		}
		for _, bias := range [][]float32{b, nil} {
			want, got := make([]float32, numel(out)), make([]float32, numel(out))
			refForward(c.l, want, x, w, bias, c.in)
			c.l.forward(got, x, w, bias, nil, c.in, &pass{}, &a)
			requireNear(t, name+" forward", got, want, 1e-6)
			for _, need := range [][]float32{need, make([]float32, len(need))} {
				c.l.forward(got, x, w, bias, need, c.in, &pass{}, &a)
				for i := range want {
					if need[i] == 0 {
						want[i] = 0
					}
				}
				requireNear(t, name+" forward with need", got, want, 1e-6)
			}
		}
		for _, g := range [][]float32{g, gs, make([]float32, len(g))} {
			want, got := make([]float32, len(x)), make([]float32, len(x))
			for i := range got {
				got[i] = float32(math.NaN()) // every entry must be written
			}
			refTranspose(c.l, want, g, w, c.in)
			c.l.transpose(got, term(g, w), false, c.in, &pass{}, &a)
			requireNear(t, name+" transpose", got, want, 1e-6)
			c.l.transpose(got, term(g, w), true, c.in, &pass{}, &a)
			for i := range want {
				want[i] *= 2
			}
			requireNear(t, name+" transpose and add", got, want, 1e-6)
		}
	}
}

// requireNear fails if max|got − want| > tol·max|want|.
func requireNear(t *testing.T, what string, got, want []float32, tol float64) {
	t.Helper()
	var d, m float64
	at := 0 // the index of the largest difference (any when all are equal)
	for i := range want {
		if e := math.Abs(float64(got[i]) - float64(want[i])); !(e <= d) {
			d, at = e, i
		}
		m = math.Max(m, math.Abs(float64(want[i])))
	}
	// LessOrEqual also fails when d is NaN (it cannot compare it).
	assert.LessOrEqualf(t, d, tol*m, "%s: max diff %.3g at %d (got %v, want %v), %.3g of max|want|", what, d, at, got[at], want[at], d/m)
}
