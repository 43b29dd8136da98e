package lrp

import (
	"math"
	"math/rand/v2"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestMaxPoolBottomRightPadding pools 7×7 to 4×4 with a 2×2 window, stride
// 2 and padding only at the bottom and right (as PyTorch's ceil_mode and
// ONNX exports produce): the padded row and column never win, and the last
// window of each row holds the single in-bounds value.
func TestMaxPoolBottomRightPadding(t *testing.T) {
	l := &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PB: 1, PR: 1}
	in := []int{1, 7, 7}
	out, err := l.OutShape([][]int{in})
	require.NoError(t, err)
	require.Equal(t, []int{1, 4, 4}, out, "shape")
	x := make([]float32, 49)
	for i := range x {
		x[i] = -float32(i) // decreasing: the top-left in-bounds element wins
	}
	dst, arg := make([]float32, 16), make([]int32, 16)
	maxPool(dst, arg, x, l, in)
	for i := range 4 {
		for j := range 4 {
			want := int32(2*i*7 + 2*j)
			assert.Truef(t, arg[i*4+j] == want && dst[i*4+j] == x[want],
				"window (%d,%d): got index %d value %v, want %d value %v", i, j, arg[i*4+j], dst[i*4+j], want, x[want])
		}
	}
}

// maxPool2 (bits compared as integers, winners kept by masks) must agree
// with a plain scan of each window on every input without NaN: values drawn
// from a few levels, so that most windows hold ties, with ±0 and odd
// sizes (the last row and column of an odd input are not pooled).
func TestMaxPool2MatchesWindowLoop(t *testing.T) {
	levels := []float32{-2, -0.5, float32(math.Copysign(0, -1)), 0, 0.5, 2, float32(math.Inf(1)), float32(math.Inf(-1))}
	r := rand.New(rand.NewPCG(3, 4))
	for _, in := range [][]int{{1, 2, 2}, {3, 5, 7}, {8, 28, 28}, {2, 9, 4}} {
		c, h, w := in[0], in[1], in[2]
		oh, ow := h/2, w/2
		x := make([]float32, c*h*w)
		for i := range x {
			x[i] = levels[r.IntN(len(levels))]
		}
		got, gotArg := make([]float32, c*oh*ow), make([]int32, c*oh*ow)
		maxPool2(got, gotArg, x, c, h, w, oh, ow)
		// The reference: each window scanned in row-major order, a value
		// replacing the maximum only if it is greater.
		for ch := range c {
			for i := range oh {
				for j := range ow {
					o := (ch*oh+i)*ow + j
					k := ch*h*w + 2*i*w + 2*j
					best, bi := x[k], k
					for _, q := range []int{k + 1, k + w, k + w + 1} {
						if x[q] > best {
							best, bi = x[q], q
						}
					}
					require.Truef(t, gotArg[o] == int32(bi) && math.Float32bits(got[o]) == math.Float32bits(x[bi]),
						"shape %v, output %d: max %v at %d, want %v at %d (window %v %v / %v %v)",
						in, o, got[o], gotArg[o], best, bi, x[k], x[k+1], x[k+w], x[k+w+1])
				}
			}
		}
	}
}
