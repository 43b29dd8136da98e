package preprocess

import "math"

// An axis holds the weights that resample one dimension: output i is
//
//	Σ_k w[off[i]+k] · src[first[i]+k],  k = 0 … off[i+1]−off[i]−1,
//
// so a 2-D resize is a vertical pass and a horizontal pass over the same
// kind of table. The zero value is empty; build reuses its slices.
type axis struct {
	first []int32
	off   []int32
	w     []float32
}

// build maps n output pixels onto the source interval [start, start+span)
// of a dimension with srcLen pixels; output i covers [start+i·k,
// start+(i+1)·k), k = span/n. Shrinking (k ≥ 1) averages the covered area:
// each source pixel weighs its overlap with the interval, divided by k.
// Enlarging (k < 1) interpolates linearly between the two source pixels
// nearest the output pixel's centre start+(i+½)·k, pixel centres at j+½.
// Source indices are clamped to [0, srcLen), which repeats the edge.
func (a *axis) build(srcLen int, start, span float64, n int) {
	a.first, a.off, a.w = a.first[:0], append(a.off[:0], 0), a.w[:0]
	k := span / float64(n)
	clamp := func(j int) int { return min(max(j, 0), srcLen-1) }
	for i := range n {
		s0 := start + float64(i)*k
		if k >= 1 {
			s1 := s0 + k
			j0, j1 := int(math.Floor(s0)), int(math.Ceil(s1))
			first := clamp(j0)
			// Taps run over consecutive source pixels from first; clamping
			// can only merge taps at the edges, which add up.
			for j := j0; j < j1; j++ {
				ov := min(s1, float64(j+1)) - max(s0, float64(j))
				if ov <= 0 {
					continue
				}
				t := clamp(j) - first
				for len(a.w) <= int(a.off[i])+t {
					a.w = append(a.w, 0)
				}
				a.w[int(a.off[i])+t] += float32(ov / k)
			}
			a.first = append(a.first, int32(first))
		} else {
			c := s0 + k/2 - 0.5
			j := int(math.Floor(c))
			f := float32(c - float64(j))
			lo, hi := clamp(j), clamp(j+1)
			a.first = append(a.first, int32(lo))
			if hi == lo {
				a.w = append(a.w, 1)
			} else {
				a.w = append(a.w, 1-f, f)
			}
		}
		a.off = append(a.off, int32(len(a.w)))
	}
}

// taps returns the first source index and the weights of output i.
func (a *axis) taps(i int) (int, []float32) {
	return int(a.first[i]), a.w[a.off[i]:a.off[i+1]]
}

// span returns the source indices [lo, hi) that any output reads.
func (a *axis) span() (lo, hi int) {
	n := len(a.first)
	return int(a.first[0]), int(a.first[n-1]) + int(a.off[n]-a.off[n-1])
}

// grow returns b resized to n, reusing its storage when it is large enough.
func grow[T any](b []T, n int) []T {
	if cap(b) < n {
		return make([]T, n)
	}
	return b[:n]
}

// ScratchBytes bounds the bytes that a Scratch allocates preprocessing a
// w×h image into an outW×outH input with at most 3 channels (Image, or
// Digit with its 20-pixel box): the two axes, each with up to src + 2n
// weights, n first taps and n + 1 offsets for n outputs (4 times that,
// for the capacities append outgrows), one row of c·w floats, and
// Digit's row of paper pixels.
func ScratchBytes(w, h, outW, outH int) int64 {
	outW, outH = max(outW, DigitBox), max(outH, DigitBox)
	axis := func(src, n int) int64 { return 4 * 4 * int64(src+4*n+1) }
	return axis(w, outW) + axis(h, outH) + 4*3*int64(w) + 4*int64(w)
}
