package preprocess

import (
	"fmt"
	"math"
)

// Image is Scratch.Image with fresh buffers.
func Image(dst []float32, rgba []uint8, w, h int, c, outH, outW int, mean, std []float32, lo, hi float32) error {
	var s Scratch
	return s.Image(dst, rgba, w, h, c, outH, outW, mean, std, lo, hi)
}

// Image turns a photo into a model input: dst is [c][outH][outW] row-major
// (CHW), from rgba, w×h.
//
//  1. Resize and crop: the image is scaled by max(outH/h, outW/w), so its
//     shorter side (relative to the output's aspect) just covers the output,
//     and the centre outH×outW is kept — torchvision's Resize then
//     CenterCrop in one resampling step. Shrinking averages the covered
//     area; enlarging interpolates linearly (pixel centres at j+½).
//  2. Color: transparent pixels are composited over white; c = 3 keeps R, G,
//     B, c = 1 takes the luminance 0.299 R + 0.587 G + 0.114 B rounded to
//     8 bits, like PIL's convert("L") under torchvision's Grayscale.
//  3. Range: a pixel value p ∈ [0, 255] becomes lo + (hi−lo)·p/255, e.g.
//     lo, hi = 0, 1 for torchvision's ToTensor or 0, 255 for Caffe models.
//  4. Normalize: channel k becomes (x − mean[k]) / std[k]. mean and std
//     must both be nil (no normalization) or both have c entries, with
//     every std nonzero.
func (s *Scratch) Image(dst []float32, rgba []uint8, w, h int, c, outH, outW int, mean, std []float32, lo, hi float32) error {
	if err := checkImage(rgba, w, h); err != nil {
		return err
	}
	if c != 1 && c != 3 {
		return fmt.Errorf("preprocess: %d channels, want 1 or 3", c)
	}
	if outH <= 0 || outW <= 0 || outH > maxSide || outW > maxSide || outW > maxArea/outH {
		return fmt.Errorf("preprocess: invalid output size %d×%d", outW, outH)
	}
	plane := outH * outW
	if len(dst) != c*plane {
		return fmt.Errorf("preprocess: destination has %d values, want %d×%d×%d = %d", len(dst), c, outH, outW, c*plane)
	}
	if !finite(lo) || !finite(hi) {
		return fmt.Errorf("preprocess: range [%v, %v] not finite", lo, hi)
	}
	if (mean == nil) != (std == nil) || mean != nil && (len(mean) != c || len(std) != c) {
		return fmt.Errorf("preprocess: mean has %d and std %d entries, want both nil or both %d", len(mean), len(std), c)
	}
	for k := range mean {
		if !finite(mean[k]) || !finite(std[k]) || std[k] == 0 {
			return fmt.Errorf("preprocess: channel %d: mean %v, std %v", k, mean[k], std[k])
		}
	}

	// 1. The crop window in source pixels, centred.
	scale := max(float64(outH)/float64(h), float64(outW)/float64(w))
	spanX, spanY := float64(outW)/scale, float64(outH)/scale
	s.xs.build(w, (float64(w)-spanX)/2, spanX, outW)
	s.ys.build(h, (float64(h)-spanY)/2, spanY, outH)
	xlo, xhi := s.xs.span()
	s.row = grow(s.row, c*(xhi-xlo))

	// 3 and 4 fold into one affine map per channel: x = p·a[k] + b[k].
	var a, b [3]float32
	for k := range c {
		a[k], b[k] = (hi-lo)/255, lo
		if mean != nil {
			a[k], b[k] = a[k]/std[k], (b[k]-mean[k])/std[k]
		}
	}

	for oy := range outH {
		row := s.row
		clear(row)
		first, wy := s.ys.taps(oy)
		for k, wk := range wy {
			src := rgba[4*((first+k)*w+xlo) : 4*((first+k)*w+xhi)]
			if c == 3 {
				for x := 0; x < len(src); x += 4 {
					r, g, b := composite(src[x : x+4 : x+4])
					row[3*x/4] += wk * r
					row[3*x/4+1] += wk * g
					row[3*x/4+2] += wk * b
				}
			} else {
				for x := range row {
					row[x] += wk * float32(luminance(pixelAt(src, x)))
				}
			}
		}
		for ox := range outW {
			first, wx := s.xs.taps(ox)
			first -= xlo
			for ch := range c {
				var v float32
				for k, wk := range wx {
					v += wk * row[c*(first+k)+ch]
				}
				dst[ch*plane+oy*outW+ox] = v*a[ch] + b[ch]
			}
		}
	}
	return nil
}

// composite returns the color of one RGBA pixel over white, each in [0, 255].
func composite(p []uint8) (r, g, b float32) {
	r, g, b = float32(p[0]), float32(p[1]), float32(p[2])
	if p[3] != 0xff {
		a := float32(p[3]) / 255
		r, g, b = r*a+255*(1-a), g*a+255*(1-a), b*a+255*(1-a)
	}
	return r, g, b
}

func finite(v float32) bool { return !math.IsNaN(float64(v)) && !math.IsInf(float64(v), 0) }
