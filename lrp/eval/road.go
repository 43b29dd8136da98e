package eval

import (
	"math"
	"math/rand/v2"
)

// ROAD, "remove and debias" (Rong, Leemann, Borisov, Kasneci and Kasneci,
// "A Consistent and Efficient Evaluation Strategy for Attribution Methods",
// ICML 2022), replaces the removed pixels by their noisy linear imputation:
// every removed pixel i takes the weighted mean of its in-image neighbours
// N(i), removed or kept,
//
//	u_i = Σ_{j∈N(i)} w_ij v_j / s_i,   s_i = Σ_{j∈N(i)} w_ij,
//
// with v_j = u_j for a removed neighbour and the input x_j for a kept one,
// w = 1/6 for the four direct neighbours and 1/12 for the four diagonal
// ones (the weights of the paper's reference code, which renormalises by
// s_i at the image's border), plus Gaussian noise of standard deviation
// RoadNoise. Moving the removed neighbours to the left gives one sparse
// linear system per channel, all channels sharing the mask:
//
//	s_i u_i − Σ_{j∈N(i) removed} w_ij u_j = Σ_{j∈N(i) kept} w_ij x_j,
//
// that is M u = b with M = D − W, D = diag(s), W the weights between removed
// pixels. M is symmetric (w_ij = w_ji) and diagonally dominant, and positive
// definite as long as every connected region of removed pixels touches a
// kept pixel, which holds whenever one pixel is kept. It is solved by
// conjugate gradients preconditioned by D (Jacobi), in float64, from u = 0.

// RoadNoise is σ of the noise added to every imputed value, as a fraction
// of the channel's pixel range: the reference's 0.01 on images in [0, 1]
// (it imputes before the normalization, so this is its σ in any units).
const RoadNoise = 0.01

// roadNeighbours are the offsets (dy, dx) of the eight neighbours and their
// weights; they sum to 1.
var roadNeighbours = [8]struct {
	dy, dx int
	w      float64
}{
	{-1, 0, 1.0 / 6}, {1, 0, 1.0 / 6}, {0, -1, 1.0 / 6}, {0, 1, 1.0 / 6},
	{-1, -1, 1.0 / 12}, {-1, 1, 1.0 / 12}, {1, -1, 1.0 / 12}, {1, 1, 1.0 / 12},
}

// The conjugate-gradient iteration stops when ‖r‖₂ ≤ cgTol·‖b‖₂, or after
// cgMaxIter(n) iterations for n unknowns (n suffice in exact arithmetic).
const cgTol = 1e-7

func cgMaxIter(n int) int { return 2*n + 10 }

// imputer holds the buffers of the noisy linear imputation of c×h×w
// images; it makes no allocation once built.
type imputer struct {
	c, h, w int
	removed []bool    // per pixel y·w+x: set by the caller before impute
	idx     []int32   // per pixel: its unknown's index if removed, else −1
	pix     []int32   // per unknown: its pixel
	nb      []int32   // per unknown, 8 entries: the unknown index of each removed neighbour, else n (where p is 0)
	s, invS []float64 // s_i and 1/s_i
	u, r    []float64 // solution and residual
	p, q    []float64 // search direction (one more, always 0) and M·p
}

// imputerBytes is the memory of an imputer for c×h×w images: per pixel a
// bool, 10 int32 and 6 float64.
func imputerBytes(h, w int) int64 { return int64(h)*int64(w)*(1+10*4+6*8) + 8 }

func newImputer(c, h, w int) *imputer {
	n := h * w
	return &imputer{
		c: c, h: h, w: w,
		removed: make([]bool, n), idx: make([]int32, n), pix: make([]int32, n), nb: make([]int32, 8*n),
		s: make([]float64, n), invS: make([]float64, n), u: make([]float64, n), r: make([]float64, n), p: make([]float64, n+1), q: make([]float64, n),
	}
}

// impute writes into dst the imputation of x at the pixels marked in
// im.removed, in every channel; sigma[ch] is the noise's standard deviation
// in channel ch, drawn from rng (never touched where sigma is 0). dst and x
// are c·h·w values, channel-major; dst is written at removed pixels only.
// It returns the conjugate-gradient iterations summed over the channels.
func (im *imputer) impute(dst, x []float32, sigma []float32, rng *rand.Rand) int {
	n := 0
	for i, rm := range im.removed {
		im.idx[i] = -1
		if rm {
			im.idx[i] = int32(n)
			im.pix[n] = int32(i)
			n++
		}
	}
	// s_i and the removed neighbours of every unknown.
	for v := range n {
		y, xx := int(im.pix[v])/im.w, int(im.pix[v])%im.w
		im.s[v] = 0
		for k, o := range roadNeighbours {
			im.nb[8*v+k] = int32(n)
			ny, nx := y+o.dy, xx+o.dx
			if ny < 0 || ny >= im.h || nx < 0 || nx >= im.w {
				continue
			}
			im.s[v] += o.w
			if j := im.idx[ny*im.w+nx]; j >= 0 {
				im.nb[8*v+k] = j
			}
		}
		im.invS[v] = 1 / im.s[v]
	}
	iters := 0
	hw := im.h * im.w
	for ch := range im.c {
		xc := x[ch*hw : (ch+1)*hw]
		// b_i = Σ_{j∈N(i) kept} w_ij x_j, the residual of u = 0.
		for v := range n {
			y, xx := int(im.pix[v])/im.w, int(im.pix[v])%im.w
			var b float64
			for k, o := range roadNeighbours {
				ny, nx := y+o.dy, xx+o.dx
				if ny < 0 || ny >= im.h || nx < 0 || nx >= im.w || im.nb[8*v+k] < int32(n) {
					continue
				}
				b += o.w * float64(xc[ny*im.w+nx])
			}
			im.r[v] = b
		}
		iters += im.solve(n)
		dc := dst[ch*hw : (ch+1)*hw]
		for v := range n {
			val := im.u[v]
			if sigma[ch] != 0 {
				val += float64(sigma[ch]) * rng.NormFloat64()
			}
			dc[im.pix[v]] = float32(val)
		}
	}
	return iters
}

// mul sets q = M·p = D·p − W·p over the n unknowns; p[n] is 0 and stands
// for every neighbour that is not an unknown. The weights are
// roadNeighbours': the first four 1/6, the last four 1/12.
func (im *imputer) mul(q, p []float64, n int) {
	p[n] = 0
	for v := range n {
		j := im.nb[8*v : 8*v+8 : 8*v+8]
		direct := p[j[0]] + p[j[1]] + p[j[2]] + p[j[3]]
		diagonal := p[j[4]] + p[j[5]] + p[j[6]] + p[j[7]]
		q[v] = im.s[v]*p[v] - direct/6 - diagonal/12
	}
}

// solve runs preconditioned conjugate gradients on M u = b from u = 0,
// with b in im.r on entry; it leaves the solution in im.u and returns the
// iterations. With z = D⁻¹r (kept in q once M·p is used):
//
//	α = (r·z) / (p·Mp),  u += α p,  r −= α Mp,  β = (r'·z') / (r·z),  p = z' + β p.
func (im *imputer) solve(n int) int {
	u, r, p, q, inv := im.u[:n], im.r[:n], im.p[:n+1], im.q[:n], im.invS[:n]
	var rz, bb float64
	for v := range n {
		u[v] = 0
		p[v] = r[v] * inv[v]
		rz += r[v] * p[v]
		bb += r[v] * r[v]
	}
	stop := cgTol * cgTol * bb
	if bb == 0 {
		return 0
	}
	for it := 1; it <= cgMaxIter(n); it++ {
		im.mul(q, p, n)
		var pq float64
		for v := range n {
			pq += p[v] * q[v]
		}
		alpha := rz / pq
		var rr, rz1 float64
		for v := range n {
			u[v] += alpha * p[v]
			r[v] -= alpha * q[v]
			q[v] = r[v] * inv[v] // z, M·p no longer needed
			rr += r[v] * r[v]
			rz1 += r[v] * q[v]
		}
		if rr <= stop || math.IsNaN(rr) {
			return it
		}
		beta := rz1 / rz
		rz = rz1
		for v := range n {
			p[v] = q[v] + beta*p[v]
		}
	}
	return cgMaxIter(n)
}
