package preprocess

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"math"
)

const (
	// DigitSize is the side of Digit's output, as in MNIST.
	DigitSize = 28
	// DigitBox is the side of the box the digit is scaled into, as in MNIST.
	DigitBox = 20
	// inkThreshold is the ink level, out of 255, at or below which a pixel
	// counts as background: it keeps anti-aliasing fringes, JPEG noise and a
	// tinted canvas out of the bounding box.
	inkThreshold = 32
	// maxSide and maxArea bound every image size, so 4·w·h fits an int on
	// 32-bit targets.
	maxSide = 1 << 15
	maxArea = 1 << 28
)

// Scratch holds the buffers that Digit and Image reuse between calls. The
// zero value is ready to use; after the first call of a given size, later
// calls allocate nothing. A Scratch must not be used by two goroutines at
// once.
type Scratch struct {
	row    []float32 // one output row before the horizontal pass
	paper  []uint8   // Digit: a row of background pixels
	xs, ys axis
	lut    [256]float32
	box    [DigitBox * DigitBox]float32
}

// Digit is Scratch.Digit with fresh buffers.
func Digit(dst []float32, rgba []uint8, w, h int) error {
	var s Scratch
	return s.Digit(dst, rgba, w, h)
}

// Digit turns a drawing into an MNIST-style input: dst is 28×28 row-major
// float32 in [0, 1] with ink 1 and background 0. rgba is the canvas, w×h.
// The steps follow how MNIST was made (LeCun et al.: NIST digits "size
// normalized to fit in a 20x20 pixel box while preserving their aspect
// ratio", then "centered in a 28x28 image by computing the center of mass of
// the pixels"):
//
//  1. Gray: luminance 0.299 R + 0.587 G + 0.114 B (ITU-R 601, as PIL's "L"),
//     composited over white by alpha, so a transparent canvas is white.
//  2. Polarity: the median gray of the border pixels is the background; if
//     it is light (≥ 128) the image is inverted, so black-on-white and
//     white-on-black drawings give the same result. Ink is then 0…255.
//  3. Crop: the bounding box of the pixels with ink above 32 (1/8), which
//     drops anti-aliasing fringes and noise. No such pixel — an empty
//     canvas — gives all zeros and no error. Ink at or below the threshold
//     is set to 0, and ink is divided by its maximum, so the darkest stroke
//     is 1 whatever pen color was used.
//  4. Scale: the box is resized so its longer side is 20 pixels and the
//     shorter side round(20·short/long) (at least 1), keeping the aspect
//     ratio; shrinking averages the covered area (a box filter with
//     fractional overlaps), enlarging a tiny drawing interpolates linearly.
//  5. Centre: the 20×20 image is placed in the 28×28 field, shifted by
//     whole pixels so its centre of mass lands on pixel (14, 14) — row and
//     column index, the convention of the usual MNIST reproduction
//     (shift = round(14 − centre of mass)) — but never so far that ink
//     would leave the field.
func (s *Scratch) Digit(dst []float32, rgba []uint8, w, h int) error {
	if err := checkImage(rgba, w, h); err != nil {
		return err
	}
	if len(dst) != DigitSize*DigitSize {
		return fmt.Errorf("preprocess: digit destination has %d values, want %d×%d = %d",
			len(dst), DigitSize, DigitSize, DigitSize*DigitSize)
	}
	clear(dst)

	// 2 before 1: the polarity from the border's median gray, by histogram.
	var hist [256]int
	for x := range w {
		hist[luminance(pixelAt(rgba, x))]++
		hist[luminance(pixelAt(rgba, (h-1)*w+x))]++
	}
	for y := 1; y < h-1; y++ {
		hist[luminance(pixelAt(rgba, y*w))]++
		hist[luminance(pixelAt(rgba, y*w+w-1))]++
	}
	var flip uint8 // ink = gray ^ flip: 255 − gray on a light background
	if median(&hist) >= 128 {
		flip = 0xff
	}

	// 1 and 3: the bounding box [x0, x1) × [y0, y1) of the pixels with ink
	// above the threshold, and the peak ink. This pass reads every pixel; a
	// canvas is mostly paper, so it skips whole rows equal to a row of the
	// first pixel's color when that is paper, and elsewhere reads two pixels
	// at a time, skipping pairs equal to the last pair found to be paper.
	x0, y0, x1, y1, peak := w, h, 0, 0, uint8(0)
	var paper uint64 // a pair of paper pixels, once havePaper
	havePaper := luminance(pixelAt(rgba, 0))^flip <= inkThreshold
	s.paper = s.paper[:0]
	if havePaper {
		paper = uint64(pixelAt(rgba, 0)) * (1 + 1<<32)
		s.paper = grow(s.paper, 4*w)
		for x := range w {
			copy(s.paper[4*x:4*x+4], rgba[:4])
		}
	}
	for y := range h {
		src := rgba[4*y*w : 4*(y+1)*w]
		if bytes.Equal(src, s.paper) {
			continue
		}
		first, last := -1, -1
		for x := 0; x < w; x += 2 {
			var pair uint64
			if x+1 < w {
				pair = binary.LittleEndian.Uint64(src[4*x:])
				if pair == paper && havePaper {
					continue
				}
			} else {
				pair = uint64(pixelAt(src, x)) * (1 + 1<<32) // the last pixel, twice
			}
			a, b := luminance(uint32(pair))^flip, luminance(uint32(pair>>32))^flip
			if a <= inkThreshold && b <= inkThreshold {
				paper, havePaper = pair, true
				continue
			}
			if first < 0 {
				first = x
				if a <= inkThreshold {
					first++
				}
			}
			last = x + 1
			if b <= inkThreshold || x+1 == w {
				last = x
			}
			peak = max(peak, a, b)
		}
		if first >= 0 {
			x0, x1 = min(x0, first), max(x1, last+1)
			y0, y1 = min(y0, y), y+1
		}
	}
	if peak == 0 {
		return nil
	}
	// lut maps a gray level to ink in [0, 1].
	scale := 1 / float32(peak)
	for g := range s.lut {
		s.lut[g] = 0
		if v := uint8(g) ^ flip; v > inkThreshold {
			s.lut[g] = float32(v) * scale
		}
	}

	// 4. Scale the box to ow×oh, longer side DigitBox.
	bw, bh := x1-x0, y1-y0
	ow, oh := DigitBox, DigitBox
	if bw > bh {
		oh = max(1, int(math.Round(float64(DigitBox*bh)/float64(bw))))
	} else {
		ow = max(1, int(math.Round(float64(DigitBox*bw)/float64(bh))))
	}
	s.xs.build(bw, 0, float64(bw), ow)
	s.ys.build(bh, 0, float64(bh), oh)
	s.row = grow(s.row, bw)
	box := s.box[:]
	for oy := range oh {
		row := s.row
		clear(row)
		first, wy := s.ys.taps(oy)
		for k, wk := range wy {
			src := rgba[4*((y0+first+k)*w+x0):][:4*bw]
			var last uint32
			ink := s.lut[luminance(last)]
			for x := range row {
				if p := pixelAt(src, x); p != last {
					last, ink = p, s.lut[luminance(p)]
				}
				row[x] += wk * ink
			}
		}
		for ox := range ow {
			first, wx := s.xs.taps(ox)
			var v float32
			for k, wk := range wx {
				v += wk * row[first+k]
			}
			box[oy*DigitBox+ox] = min(v, 1) // weights sum to 1 ± rounding
		}
	}

	// 5. Centre of mass, then an integer shift into the field.
	var sum, sy, sx float32
	for oy := range oh {
		for ox, v := range box[oy*DigitBox : oy*DigitBox+ow] {
			sum += v
			sy += float32(oy) * v
			sx += float32(ox) * v
		}
	}
	if !(sum > 0) {
		return nil
	}
	const centre = DigitSize / 2
	dy := min(max(int(math.Round(float64(centre-sy/sum))), 0), DigitSize-oh)
	dx := min(max(int(math.Round(float64(centre-sx/sum))), 0), DigitSize-ow)
	for oy := range oh {
		copy(dst[(oy+dy)*DigitSize+dx:], box[oy*DigitBox:oy*DigitBox+ow])
	}
	return nil
}

// pixelAt returns pixel i of rgba packed as R | G<<8 | B<<16 | A<<24.
func pixelAt(rgba []uint8, i int) uint32 {
	return binary.LittleEndian.Uint32(rgba[4*i:])
}

// luminance returns the gray level of a packed RGBA pixel composited over
// white, 0.299 R + 0.587 G + 0.114 B in 16-bit fixed point, rounded.
func luminance(p uint32) uint8 {
	r, g, b, a := p&0xff, p>>8&0xff, p>>16&0xff, p>>24
	l := (19595*r + 38470*g + 7471*b + 1<<15) >> 16
	if a != 0xff {
		l = (l*a + 0xff*(0xff-a) + 127) / 0xff
	}
	return uint8(l)
}

// median returns the lower median of the values counted in hist.
func median(hist *[256]int) int {
	total := 0
	for _, c := range hist {
		total += c
	}
	seen := 0
	for v, c := range hist {
		seen += c
		if 2*seen >= total {
			return v
		}
	}
	return 255
}

// checkImage validates an RGBA image of w×h pixels.
func checkImage(rgba []uint8, w, h int) error {
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide || w > maxArea/h {
		return fmt.Errorf("preprocess: invalid image size %d×%d", w, h)
	}
	if len(rgba) != 4*w*h {
		return fmt.Errorf("preprocess: image has %d bytes, want 4×%d×%d = %d", len(rgba), w, h, 4*w*h)
	}
	return nil
}
