package preprocess

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/color/palette"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"
	"testing"
)

func decodeFile(t *testing.T, name string, maxPixels int) ([]uint8, int, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	rgba, w, h, err := DecodeImage(bytes.NewReader(b), maxPixels)
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	if len(rgba) != 4*w*h {
		t.Fatalf("%s: %d bytes for %d×%d", name, len(rgba), w, h)
	}
	return rgba, w, h
}

func TestDecodeImage(t *testing.T) {
	// Non-premultiplied RGBA, including alpha 128, 0 and 1, exactly.
	rgba, w, h := decodeFile(t, "rgba-3x2.png", 6)
	want := []uint8{255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 255, 40, 50, 60, 1, 255, 255, 255, 255}
	if w != 3 || h != 2 || !slices.Equal(rgba, want) {
		t.Errorf("rgba-3x2.png: %d×%d %v, want 3×2 %v", w, h, rgba, want)
	}

	rgba, w, h = decodeFile(t, "gray-4x3.png", 100)
	for i := range w * h {
		if g := uint8(20 * i); !slices.Equal(rgba[4*i:4*i+4], []uint8{g, g, g, 255}) {
			t.Fatalf("gray-4x3.png: pixel %d = %v, want gray %d", i, rgba[4*i:4*i+4], g)
		}
	}

	for _, name := range []string{"paletted-5x5.png", "paletted-5x5.gif"} {
		rgba, w, h = decodeFile(t, name, 25)
		for i := range w * h {
			r, g, b, _ := palette.Plan9[i%16].RGBA()
			if want := []uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}; !slices.Equal(rgba[4*i:4*i+4], want) {
				t.Fatalf("%s: pixel %d = %v, want %v", name, i, rgba[4*i:4*i+4], want)
			}
		}
	}

	// 16-bit, premultiplied white at alpha ½ comes back un-premultiplied.
	rgba, _, _ = decodeFile(t, "rgba64-2x2.png", 4)
	if want := []uint8{255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 128}; !slices.Equal(rgba, want) {
		t.Errorf("rgba64-2x2.png: %v, want %v", rgba, want)
	}

	rgba, w, h = decodeFile(t, "gray-8x8.jpg", 64)
	for i := range w * h {
		if d := int(rgba[4*i]) - 4*i; d < -6 || d > 6 || rgba[4*i+3] != 255 {
			t.Fatalf("gray-8x8.jpg: pixel %d = %v, want about %d", i, rgba[4*i:4*i+4], 4*i)
		}
	}
}

// pngHeader is a PNG signature and an IHDR chunk, with a valid CRC, for a
// w×h 8-bit RGBA image — and no pixel data.
func pngHeader(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := binary.BigEndian.AppendUint32([]byte("IHDR"), w)
	chunk = binary.BigEndian.AppendUint32(chunk, h)
	chunk = append(chunk, 8, 6, 0, 0, 0) // depth 8, RGBA, deflate, no filter, not interlaced
	b.Write(binary.BigEndian.AppendUint32(nil, 13))
	b.Write(chunk)
	b.Write(binary.BigEndian.AppendUint32(nil, crc32.ChecksumIEEE(chunk)))
	return b.Bytes()
}

func TestDecodeImageTooLarge(t *testing.T) {
	header := pngHeader(100000, 100000)
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, _, _, err := DecodeImage(bytes.NewReader(header), 1<<24)
	runtime.ReadMemStats(&after)
	if err == nil || !strings.Contains(err.Error(), "png image is 100000×100000, more than 16777216 pixels") {
		t.Errorf("error %v, want the size rejected", err)
	}
	if n := after.TotalAlloc - before.TotalAlloc; n > 64<<10 {
		t.Errorf("allocated %d bytes before rejecting the header", n)
	}

	// Just over the limit, and the limit itself (which then fails on the
	// missing pixel data).
	if _, _, _, err := DecodeImage(bytes.NewReader(pngHeader(3, 2)), 5); err == nil || !strings.Contains(err.Error(), "more than 5 pixels") {
		t.Errorf("3×2 with maxPixels 5: error %v", err)
	}
	if _, _, _, err := DecodeImage(bytes.NewReader(pngHeader(3, 2)), 6); err == nil || strings.Contains(err.Error(), "more than") {
		t.Errorf("3×2 header only, maxPixels 6: error %v, want a decode error", err)
	}
}

func TestDecodeImageErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/rgba-3x2.png")
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name      string
		data      []byte
		maxPixels int
		want      string
	}{
		{"empty", nil, 100, "preprocess: image: unknown format"},
		{"text", []byte("hello, world"), 100, "unknown format"},
		{"truncated", good[:len(good)-20], 100, "preprocess: "},
		{"zero width", pngHeader(0, 5), 100, "preprocess: png: invalid format"},
		{"maxPixels", good, 0, "maxPixels 0"},
		{"maxPixels huge", good, 1 << 40, "maxPixels"},
	} {
		_, _, _, err := DecodeImage(bytes.NewReader(tc.data), tc.maxPixels)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want …%s…", tc.name, err, tc.want)
		}
	}
}

func FuzzDecodeImage(f *testing.F) {
	files, err := filepath.Glob("testdata/*.*")
	if err != nil {
		f.Fatal(err)
	}
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Add(pngHeader(100000, 100000))
	var s Scratch
	f.Fuzz(func(t *testing.T, b []byte) {
		const maxPixels = 1 << 16
		rgba, w, h, err := DecodeImage(bytes.NewReader(b), maxPixels)
		if err != nil {
			if !strings.HasPrefix(err.Error(), "preprocess: ") {
				t.Fatalf("error without prefix: %v", err)
			}
			return
		}
		if w <= 0 || h <= 0 || w*h > maxPixels || len(rgba) != 4*w*h {
			t.Fatalf("%d bytes for %d×%d", len(rgba), w, h)
		}
		// Whatever decodes is valid input for the rest of the package.
		if err := s.Digit(make([]float32, DigitSize*DigitSize), rgba, w, h); err != nil {
			t.Fatal(err)
		}
		if err := s.Image(make([]float32, 3*7*5), rgba, w, h, 3, 7, 5, nil, nil, 0, 1); err != nil {
			t.Fatal(err)
		}
	})
}
