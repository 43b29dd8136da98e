package preprocess

import (
	"bytes"
	"fmt"
	"image"
	"image/draw"
	_ "image/gif" // register the decoders DecodeImage accepts
	_ "image/jpeg"
	_ "image/png"
	"io"
)

// DecodeImage decodes a PNG, JPEG or GIF (the first frame) from r into
// non-premultiplied RGBA, rows top to bottom, w×h — the layout Digit and
// Image take and a canvas ImageData holds.
//
// The header is read first (image.DecodeConfig) and an image of more than
// maxPixels pixels is rejected before any pixel memory is allocated, so a
// small file that claims to be 100000×100000 costs nothing. The bytes read
// for the header are replayed to the decoder, so r need not seek.
func DecodeImage(r io.Reader, maxPixels int) (rgba []uint8, w, h int, err error) {
	if maxPixels <= 0 || maxPixels > maxArea {
		return nil, 0, 0, fmt.Errorf("preprocess: maxPixels %d not in [1, %d]", maxPixels, maxArea)
	}
	var head bytes.Buffer
	cfg, format, err := image.DecodeConfig(io.TeeReader(r, &head))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("preprocess: %w", err)
	}
	w, h = cfg.Width, cfg.Height
	if w <= 0 || h <= 0 || w > maxSide || h > maxSide || w > maxPixels/h {
		return nil, 0, 0, fmt.Errorf("preprocess: %s image is %d×%d, more than %d pixels", format, w, h, maxPixels)
	}
	img, _, err := image.Decode(io.MultiReader(&head, r))
	if err != nil {
		return nil, 0, 0, fmt.Errorf("preprocess: %w", err)
	}
	b := img.Bounds()
	if b.Dx() != w || b.Dy() != h {
		return nil, 0, 0, fmt.Errorf("preprocess: %s image decodes to %v, header said %d×%d", format, b, w, h)
	}
	if n, ok := img.(*image.NRGBA); ok { // PNG with alpha: already the layout
		pix := make([]uint8, 4*w*h)
		for y := range h {
			copy(pix[4*w*y:4*w*(y+1)], n.Pix[n.PixOffset(b.Min.X, b.Min.Y+y):])
		}
		return pix, w, h, nil
	}
	// draw has fast paths from the decoders' types into *image.RGBA
	// (premultiplied); pixels that are not opaque are un-premultiplied after.
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	draw.Draw(dst, dst.Rect, img, b.Min, draw.Src)
	pix := dst.Pix
	for i := 0; i < len(pix); i += 4 {
		p := pix[i : i+4 : i+4]
		if a := uint32(p[3]); a != 0xff && a != 0 {
			p[0] = uint8((uint32(p[0])*0xff + a/2) / a)
			p[1] = uint8((uint32(p[1])*0xff + a/2) / a)
			p[2] = uint8((uint32(p[2])*0xff + a/2) / a)
		}
	}
	return pix, w, h, nil
}
