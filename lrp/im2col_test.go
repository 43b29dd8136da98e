package lrp

import (
	"math"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestIm2colCol2im checks the exported pair against plain loops, to the
// bit: Im2col's rows hold x[c][i·SH+u·DH−PT][j·SW+v·DW−PL] (0 where
// padded), and Col2im adds row (c, u, v) back in the order (c, u, v, i, j),
// the order in which train summed before it used them.
func TestIm2colCol2im(t *testing.T) {
	for _, tc := range []struct {
		name string
		l    Conv2D
		h, w int
	}{
		{"3x3 same (flat)", Conv2D{InC: 2, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, PL: 1, PB: 1, PR: 1}, 6, 5},
		{"3x3 valid", Conv2D{InC: 2, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1}, 6, 5},
		{"strided uneven", Conv2D{InC: 2, KH: 3, KW: 2, SH: 2, SW: 1, DH: 1, DW: 1, PT: 1, PB: 1, PR: 1}, 7, 6},
		{"dilated", Conv2D{InC: 3, KH: 2, KW: 2, SH: 1, SW: 2, DH: 1, DW: 2, PT: 1, PL: 1, PB: 1, PR: 1}, 4, 5},
		{"two groups", Conv2D{InC: 4, KH: 2, KW: 3, SH: 1, SW: 1, DH: 2, DW: 1, PL: 1, PR: 1, Groups: 2}, 5, 5},
	} {
		t.Run(tc.name, func(t *testing.T) {
			l := tc.l
			l.Groups = max(l.Groups, 1)
			cg, h, w := l.InC/l.Groups, tc.h, tc.w
			oh, ow := l.outSize(h, w)
			k, np := cg*l.KH*l.KW, oh*ow
			r := newRand(5)
			x := uniforms(r, cg*h*w, -1, 1)
			src := func(c, u, v, i, j int) (int, bool) {
				y, xx := i*l.SH+u*l.DH-l.PT, j*l.SW+v*l.DW-l.PL
				return (c*h+y)*w + xx, y >= 0 && y < h && xx >= 0 && xx < w
			}

			want := make([]float32, k*np)
			cols := uniforms(r, k*np, -1, 1)
			wantDst := uniforms(r, cg*h*w, -1, 1)
			dst := slices.Clone(wantDst)
			for c := range cg {
				for u := range l.KH {
					for v := range l.KW {
						row := (c*l.KH+u)*l.KW + v
						for i := range oh {
							for j := range ow {
								if at, ok := src(c, u, v, i, j); ok {
									want[row*np+i*ow+j] = x[at]
									wantDst[at] += cols[row*np+i*ow+j]
								}
							}
						}
					}
				}
			}

			got := uniforms(r, k*np, -1, 1) // Im2col overwrites every entry
			l.Im2col(got, x, h, w)
			require.Equal(t, want, got, "Im2col")
			l.Col2im(dst, cols, h, w)
			for q := range dst {
				assert.Equal(t, math.Float32bits(wantDst[q]), math.Float32bits(dst[q]), "Col2im at %d: %v, want %v", q, dst[q], wantDst[q])
			}
		})
	}
}

// TestSoftmax checks p = exp(z − m)/s with the returned m = max z and
// s = Σ exp(z − m), also where exp(z) overflows float64.
func TestSoftmax(t *testing.T) {
	for _, z := range [][]float32{{0}, {1, 2, 3}, {-5, 0, 5, 0}, {1000, 0, -1000}, {3e38, 3e38}} {
		p := make([]float32, len(z))
		m, s := Softmax(p, z)
		assert.Equal(t, float64(slices.Max(z)), m, "m for %v", z)
		var sum, ws float64
		for i, v := range z {
			ws += math.Exp(float64(v) - m)
			sum += float64(p[i])
			assert.InDelta(t, math.Exp(float64(v)-m-math.Log(s)), float64(p[i]), 1e-7, "p[%d] for %v", i, z)
		}
		assert.Equal(t, ws, s, "s for %v", z)
		assert.InDelta(t, 1, sum, 1e-6, "Σ p for %v", z)
	}
}
