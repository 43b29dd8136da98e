package train

import (
	"math"
	"math/rand/v2"
)

// Augment describes the random distortions applied to each training image
// ([H][W], one channel, values in [0, 1], ink 1): a change of stroke
// thickness, then an elastic distortion, a rotation, scaling and shift about
// the image centre, sampled bilinearly with zero outside. They make the
// model robust to how people draw on a canvas: off-centre, tilted, larger
// or smaller, wobblier, with a thicker or thinner pen than MNIST's. The zero
// value changes nothing.
type Augment struct {
	Shift     float64 // largest shift along each axis, in pixels
	Rotate    float64 // largest rotation, in degrees
	Scale     float64 // largest relative change of size: 0.15 is ×0.85…×1.15
	Thickness float64 // probability of a thickness change, half thicker, half thinner
	// Elastic is the strength α of the elastic distortion of Simard et al.
	// (2003): every pixel moves by α times a field of uniform noise in
	// [−1, 1] smoothed by a Gaussian of σ = ElasticSigma pixels (4 if 0).
	Elastic, ElasticSigma float64
}

// augmenter applies an Augment to images of one size with its own buffers.
type augmenter struct {
	Augment
	h, w          int
	tmp, dy, dx   []float32 // thickened image, displacement field
	blur          []float32
	kernel        []float32 // normalized Gaussian, 2r+1 taps
	none, elastic bool
}

func newAugmenter(a Augment, h, w int) *augmenter {
	g := &augmenter{Augment: a, h: h, w: w, none: a == (Augment{}), elastic: a.Elastic > 0}
	g.tmp = make([]float32, h*w)
	if g.elastic {
		g.dy, g.dx, g.blur = make([]float32, h*w), make([]float32, h*w), make([]float32, h*w)
		sigma := a.ElasticSigma
		if sigma <= 0 {
			sigma = 4
		}
		r := min(int(math.Ceil(3*sigma)), h, w) // mirror reflects once
		var sum float64
		for i := -r; i <= r; i++ {
			v := math.Exp(-float64(i*i) / (2 * sigma * sigma))
			g.kernel = append(g.kernel, float32(v))
			sum += v
		}
		for i := range g.kernel {
			g.kernel[i] /= float32(sum)
		}
	}
	return g
}

// apply writes a distorted copy of src to dst, drawing from rng.
func (g *augmenter) apply(dst, src []float32, rng *rand.Rand) {
	if g.none {
		copy(dst, src)
		return
	}
	// Always draw every number, so that each draw means the same thing.
	u, strength := rng.Float64(), 0.3+0.7*rng.Float64()
	theta := (2*rng.Float64() - 1) * g.Rotate * math.Pi / 180
	scale := 1 + (2*rng.Float64()-1)*g.Scale
	tx, ty := (2*rng.Float64()-1)*g.Shift, (2*rng.Float64()-1)*g.Shift

	img := src
	switch {
	case u < g.Thickness/2:
		thicken(g.tmp, src, g.h, g.w, float32(strength))
		img = g.tmp
	case u < g.Thickness:
		thin(g.tmp, src, g.h, g.w, float32(strength))
		img = g.tmp
	}
	if g.elastic {
		g.field(g.dy, rng)
		g.field(g.dx, rng)
	}
	g.warp(dst, img, theta, scale, tx, ty)
}

// field fills d with α · Gaussian-smoothed uniform noise in [−1, 1]
// (separable blur, edges mirrored as scipy's gaussian_filter does, so the
// field is as strong at the border as inside).
func (g *augmenter) field(d []float32, rng *rand.Rand) {
	for i := range d {
		d[i] = 2*rng.Float32() - 1
	}
	r := len(g.kernel) / 2
	h, w := g.h, g.w
	for i := range h { // rows into blur
		for j := range w {
			var s float32
			for t, k := range g.kernel {
				s += k * d[i*w+mirror(j+t-r, w)]
			}
			g.blur[i*w+j] = s
		}
	}
	alpha := float32(g.Elastic)
	for i := range h { // columns back into d
		for j := range w {
			var s float32
			for t, k := range g.kernel {
				s += k * g.blur[mirror(i+t-r, h)*w+j]
			}
			d[i*w+j] = alpha * s
		}
	}
}

// mirror maps i to [0, n) by reflection about the edges (…, 1, 0 | 0, 1, …,
// n−1 | n−1, …), valid for −n ≤ i < 2n.
func mirror(i, n int) int {
	switch {
	case i < 0:
		return -i - 1
	case i >= n:
		return 2*n - i - 1
	}
	return i
}

// warp sets dst to x rotated by theta, scaled by scale about the centre c,
// shifted by t and displaced by the elastic field Δ (if any):
// dst(p) = x(A⁻¹·(p − c − t) + c + Δ(p)), bilinear, 0 outside.
func (g *augmenter) warp(dst, x []float32, theta, scale, tx, ty float64) {
	h, w := g.h, g.w
	cy, cx := float64(h-1)/2, float64(w-1)/2
	cos, sin := math.Cos(theta)/scale, math.Sin(theta)/scale
	for i := range h {
		for j := range w {
			dy, dx := float64(i)-cy-ty, float64(j)-cx-tx
			sy := cos*dy - sin*dx + cy
			sx := sin*dy + cos*dx + cx
			if g.elastic {
				sy += float64(g.dy[i*w+j])
				sx += float64(g.dx[i*w+j])
			}
			dst[i*w+j] = bilinear(x, h, w, sy, sx)
		}
	}
}

// thicken sets dst = max(x, s·max of the 4 neighbours): grey-level dilation
// with a cross, softened by s ∈ (0, 1]; outside the image is paper.
func thicken(dst, x []float32, h, w int, s float32) {
	for i := range h {
		for j := range w {
			n := max(at(x, h, w, i-1, j, 0), at(x, h, w, i+1, j, 0), at(x, h, w, i, j-1, 0), at(x, h, w, i, j+1, 0))
			dst[i*w+j] = max(x[i*w+j], s*n)
		}
	}
}

// thin sets dst = min(x, 1 − s + s·min of the 4 neighbours), the dual of
// thicken, 1 − thicken(1 − x), then scales it so that its maximum is that
// of x: a thin pen still draws full ink, and preprocess.Digit normalizes
// drawings the same way.
func thin(dst, x []float32, h, w int, s float32) {
	var mx, mxIn float32
	for i := range h {
		for j := range w {
			n := min(at(x, h, w, i-1, j, 0), at(x, h, w, i+1, j, 0), at(x, h, w, i, j-1, 0), at(x, h, w, i, j+1, 0))
			v := min(x[i*w+j], 1-s+s*n)
			dst[i*w+j] = v
			mx, mxIn = max(mx, v), max(mxIn, x[i*w+j])
		}
	}
	if mx > 0 {
		for i := range dst {
			dst[i] *= mxIn / mx
		}
	}
}

// at is x[i][j], or out outside the image.
func at(x []float32, h, w, i, j int, out float32) float32 {
	if i < 0 || i >= h || j < 0 || j >= w {
		return out
	}
	return x[i*w+j]
}

// bilinear samples x [h][w] at (y, x), reading 0 outside the image.
func bilinear(img []float32, h, w int, y, x float64) float32 {
	y0, x0 := math.Floor(y), math.Floor(x)
	fy, fx := float32(y-y0), float32(x-x0)
	i, j := int(y0), int(x0)
	top := at(img, h, w, i, j, 0)*(1-fx) + at(img, h, w, i, j+1, 0)*fx
	bot := at(img, h, w, i+1, j, 0)*(1-fx) + at(img, h, w, i+1, j+1, 0)*fx
	return top*(1-fy) + bot*fy
}
