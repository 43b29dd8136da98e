package heatmap

import (
	"fmt"
	"image"
	"image/png"
	"io"
	"math"
)

// Overlay blends heat over base into dst, all RGBA of the same length:
// dst = alpha·heat + (1−alpha)·base per color channel, rounded, with dst
// opaque. dst may be heat or base. alpha must be in [0, 1].
func Overlay(dst, heat, base []uint8, alpha float32) error {
	if len(heat) != len(dst) || len(base) != len(dst) || len(dst)%4 != 0 {
		return fmt.Errorf("heatmap: overlay lengths dst %d, heat %d, base %d: want equal multiples of 4",
			len(dst), len(heat), len(base))
	}
	if !(alpha >= 0 && alpha <= 1) {
		return fmt.Errorf("heatmap: overlay alpha %v not in [0, 1]", alpha)
	}
	// Fixed point: a/256 of heat, (256−a)/256 of base, +128 rounds.
	a := uint32(alpha*256 + 0.5)
	for i := 0; i+3 < len(dst); i += 4 {
		h := heat[i : i+3 : i+3]
		b := base[i : i+3 : i+3]
		d := dst[i : i+4 : i+4]
		d[0] = uint8((a*uint32(h[0]) + (256-a)*uint32(b[0]) + 128) >> 8)
		d[1] = uint8((a*uint32(h[1]) + (256-a)*uint32(b[1]) + 128) >> 8)
		d[2] = uint8((a*uint32(h[2]) + (256-a)*uint32(b[2]) + 128) >> 8)
		d[3] = 0xff
	}
	return nil
}

// Gray draws an input tensor x, shape [c][h][w], into dst (RGBA, 4·h·w) so a
// user sees what the model saw: c = 1 as gray, c = 3 as RGB, any other c as
// the gray mean of its channels. Values lo..hi map linearly to 0..255 and
// are clamped; if lo ≥ hi the range is the tensor's own min..max. To undo a
// normalization (x−mean)/std, pass lo = (0−mean)/std and hi = (1−mean)/std.
// NaN in x is an error.
func Gray(dst []uint8, x []float32, c, h, w int, lo, hi float32) error {
	hw, err := checkSize(c, h, w)
	if err != nil {
		return err
	}
	if len(x) != c*hw {
		return fmt.Errorf("heatmap: tensor has %d values, want %d×%d×%d = %d", len(x), c, h, w, c*hw)
	}
	if len(dst) != 4*hw {
		return fmt.Errorf("heatmap: destination has %d bytes, want 4×%d×%d = %d", len(dst), h, w, 4*hw)
	}
	vmin, vmax := float32(math.Inf(1)), float32(math.Inf(-1))
	for i, v := range x {
		if v != v {
			return fmt.Errorf("heatmap: tensor value %d is NaN", i)
		}
		vmin, vmax = min(vmin, v), max(vmax, v)
	}
	if !(lo < hi) {
		lo, hi = vmin, vmax
	}
	var a, b float32 = 0, 127.5 // constant tensor: mid gray
	if hi > lo && !math.IsInf(float64(hi-lo), 0) {
		a = 255 / (hi - lo)
		b = -lo * a
	}
	byteOf := func(v float32) uint8 {
		return uint8(min(max(v*a+b+0.5, 0), 255))
	}
	for i := range hw {
		d := dst[4*i : 4*i+4 : 4*i+4]
		switch c {
		case 3:
			d[0], d[1], d[2] = byteOf(x[i]), byteOf(x[hw+i]), byteOf(x[2*hw+i])
		default:
			v := x[i]
			for k := 1; k < c; k++ {
				v += x[k*hw+i]
			}
			g := byteOf(v / float32(c))
			d[0], d[1], d[2] = g, g, g
		}
		d[3] = 0xff
	}
	return nil
}

// Colorbar draws the palette of cmap into dst (RGBA, 4·w·h): left to right
// when w ≥ h, bottom to top otherwise, so the low end (Render's lo) is left
// or bottom. Each column (row) shows the palette entry its centre falls in.
func Colorbar(dst []uint8, w, h int, cmap string) error {
	hw, err := checkSize(1, h, w)
	if err != nil {
		return err
	}
	if len(dst) != 4*hw {
		return fmt.Errorf("heatmap: destination has %d bytes, want 4×%d×%d = %d", len(dst), w, h, 4*hw)
	}
	cm, err := lookup(cmap)
	if err != nil {
		return err
	}
	for y := range h {
		for x := range w {
			var t float32
			if w >= h {
				t = (float32(x) + 0.5) / float32(w)
			} else {
				t = (float32(h-1-y) + 0.5) / float32(h)
			}
			rgb := &cm.palette[paletteIndex(t)]
			d := dst[4*(y*w+x) : 4*(y*w+x)+4]
			d[0], d[1], d[2], d[3] = rgb[0], rgb[1], rgb[2], 0xff
		}
	}
	return nil
}

// UpscaledSize returns the bytes of the RGBA image that Upscale makes of a
// w×h image by factor, or an error if it is larger than the package
// allows: a caller checks it before it makes the buffer. The check does
// not overflow for any factor.
func UpscaledSize(w, h, factor int) (int, error) {
	hw, err := checkSize(1, h, w)
	if err != nil {
		return 0, err
	}
	if factor <= 0 || hw > maxPixels/factor/factor {
		return 0, fmt.Errorf("heatmap: invalid upscale factor %d for %d×%d", factor, w, h)
	}
	return 4 * hw * factor * factor, nil
}

// Upscale enlarges src (RGBA, w×h) by an integer factor into dst (RGBA,
// w·factor × h·factor) by repeating pixels, so a 28×28 heatmap stays crisp
// on screen.
func Upscale(dst, src []uint8, w, h, factor int) error {
	if _, err := UpscaledSize(w, h, factor); err != nil {
		return err
	}
	hw := h * w
	if len(src) != 4*hw {
		return fmt.Errorf("heatmap: source has %d bytes, want 4×%d×%d = %d", len(src), w, h, 4*hw)
	}
	W := w * factor
	if len(dst) != 4*W*h*factor {
		return fmt.Errorf("heatmap: destination has %d bytes, want 4×%d×%d = %d", len(dst), W, h*factor, 4*W*h*factor)
	}
	for y := range h {
		row := dst[4*W*y*factor : 4*W*(y*factor+1)]
		for x := range w {
			p := src[4*(y*w+x) : 4*(y*w+x)+4]
			for k := range factor {
				copy(row[4*(x*factor+k):], p)
			}
		}
		for k := 1; k < factor; k++ {
			copy(dst[4*W*(y*factor+k):], row)
		}
	}
	return nil
}

// EncodePNG writes rgba (non-premultiplied RGBA, width×height, rows top to
// bottom) to w as a PNG, without copying the pixels.
func EncodePNG(w io.Writer, rgba []uint8, width, height int) error {
	hw, err := checkSize(1, height, width)
	if err != nil {
		return err
	}
	if len(rgba) != 4*hw {
		return fmt.Errorf("heatmap: image has %d bytes, want 4×%d×%d = %d", len(rgba), width, height, 4*hw)
	}
	img := &image.NRGBA{Pix: rgba, Stride: 4 * width, Rect: image.Rect(0, 0, width, height)}
	if err := png.Encode(w, img); err != nil {
		return fmt.Errorf("heatmap: %w", err)
	}
	return nil
}
