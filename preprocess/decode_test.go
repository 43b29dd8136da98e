package preprocess

import (
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"image/color/palette"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func decodeFile(t *testing.T, name string, maxPixels int) ([]uint8, int, int) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	require.NoError(t, err)
	rgba, w, h, err := DecodeImage(bytes.NewReader(b), maxPixels)
	require.NoError(t, err, name)
	require.Len(t, rgba, 4*w*h, "%s: bytes for %d×%d", name, w, h)
	return rgba, w, h
}

func TestDecodeImage(t *testing.T) {
	// Non-premultiplied RGBA, including alpha 128, 0 and 1, exactly.
	rgba, w, h := decodeFile(t, "rgba-3x2.png", 6)
	want := []uint8{255, 0, 0, 255, 0, 255, 0, 128, 0, 0, 255, 0, 10, 20, 30, 255, 40, 50, 60, 1, 255, 255, 255, 255}
	assert.Equal(t, 3, w, "rgba-3x2.png: width")
	assert.Equal(t, 2, h, "rgba-3x2.png: height")
	assert.Equal(t, want, rgba, "rgba-3x2.png")

	rgba, w, h = decodeFile(t, "gray-4x3.png", 100)
	for i := range w * h {
		g := uint8(20 * i)
		require.Equal(t, []uint8{g, g, g, 255}, rgba[4*i:4*i+4], "gray-4x3.png: pixel %d, want gray %d", i, g)
	}

	for _, name := range []string{"paletted-5x5.png", "paletted-5x5.gif"} {
		rgba, w, h = decodeFile(t, name, 25)
		for i := range w * h {
			r, g, b, _ := palette.Plan9[i%16].RGBA()
			require.Equal(t, []uint8{uint8(r >> 8), uint8(g >> 8), uint8(b >> 8), 255}, rgba[4*i:4*i+4], "%s: pixel %d", name, i)
		}
	}

	// 16-bit, premultiplied white at alpha ½ comes back un-premultiplied.
	rgba, _, _ = decodeFile(t, "rgba64-2x2.png", 4)
	assert.Equal(t, []uint8{255, 0, 0, 255, 0, 0, 0, 0, 0, 0, 0, 0, 255, 255, 255, 128}, rgba, "rgba64-2x2.png")

	rgba, w, h = decodeFile(t, "gray-8x8.jpg", 64)
	for i := range w * h {
		require.InDelta(t, 4*i, int(rgba[4*i]), 6, "gray-8x8.jpg: pixel %d = %v, want about %d", i, rgba[4*i:4*i+4], 4*i)
		require.Equal(t, uint8(255), rgba[4*i+3], "gray-8x8.jpg: pixel %d = %v, want opaque", i, rgba[4*i:4*i+4])
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
	assert.ErrorContains(t, err, "png image is 100000×100000, more than 16777216 pixels", "want the size rejected")
	assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "bytes allocated before rejecting the header")

	// Just over the limit, and the limit itself (which then fails on the
	// missing pixel data).
	_, _, _, err = DecodeImage(bytes.NewReader(pngHeader(3, 2)), 5)
	assert.ErrorContains(t, err, "more than 5 pixels", "3×2 with maxPixels 5")
	_, _, _, err = DecodeImage(bytes.NewReader(pngHeader(3, 2)), 6)
	if assert.Error(t, err, "3×2 header only, maxPixels 6: want a decode error") {
		assert.NotContains(t, err.Error(), "more than", "3×2 header only, maxPixels 6: want a decode error")
	}
}

func TestDecodeImageErrors(t *testing.T) {
	good, err := os.ReadFile("testdata/rgba-3x2.png")
	require.NoError(t, err)
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
		assert.ErrorContains(t, err, tc.want, tc.name)
	}
}

func FuzzDecodeImage(f *testing.F) {
	files, err := filepath.Glob("testdata/*.*")
	require.NoError(f, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Add(pngHeader(100000, 100000))
	var s Scratch
	f.Fuzz(func(t *testing.T, b []byte) {
		const maxPixels = 1 << 16
		rgba, w, h, err := DecodeImage(bytes.NewReader(b), maxPixels)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "preprocess: "), "error without prefix: %v", err)
			return
		}
		require.True(t, w > 0 && h > 0 && w*h <= maxPixels && len(rgba) == 4*w*h, "%d bytes for %d×%d", len(rgba), w, h)
		// Whatever decodes is valid input for the rest of the package.
		require.NoError(t, s.Digit(make([]float32, DigitSize*DigitSize), rgba, w, h))
		require.NoError(t, s.Image(make([]float32, 3*7*5), rgba, w, h, 3, 7, 5, nil, nil, 0, 1))
	})
}
