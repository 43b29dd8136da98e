package heatmap

import (
	"bytes"
	"flag"
	"image"
	"image/draw"
	"image/png"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// indices renders rel and returns the palette entry of each pixel, found by
// matching the color against the palette (the bwr palette has no repeats).
func indices(t *testing.T, rel []float32, c int, opt Options) (idx []int, lo, hi float32) {
	t.Helper()
	hw := len(rel) / c
	dst := make([]uint8, 4*hw)
	lo, hi, err := Render(dst, rel, c, 1, hw, opt)
	require.NoError(t, err)
	cm, _ := lookup(opt.ColorMap)
	pal := &cm.palette
	for i := range hw {
		k := -1
		for j := range pal {
			if pal[j] == [3]uint8{dst[4*i], dst[4*i+1], dst[4*i+2]} {
				k = j
				break
			}
		}
		idx = append(idx, k)
	}
	return idx, lo, hi
}

func TestRenderScaling(t *testing.T) {
	for _, tc := range []struct {
		name   string
		rel    []float32
		c      int
		opt    Options
		want   []int
		lo, hi float32
	}{
		// t = (v/2 + 1)/2 = 0, ¼, ½, 5/8, 1 → ⌊256·t⌋ clamped to 255.
		{"symmetric", []float32{-2, -1, 0, 0.5, 2}, 1, Options{}, []int{0, 64, 128, 160, 255}, -2, 2},
		// m = max|R| comes from the negative side.
		{"symmetric/neg", []float32{-4, 0, 1}, 1, Options{}, []int{0, 128, 160}, -4, 4},
		// t = (v−1)/2.
		{"minmax", []float32{1, 2, 3, 1.5}, 1, Options{Scale: MinMax}, []int{0, 128, 255, 64}, 1, 3},
		{"positive", []float32{-2, 1, 0.5}, 1, Options{Sign: Positive}, []int{128, 255, 192}, -1, 1},
		{"negative", []float32{-2, 1, -1}, 1, Options{Sign: Negative}, []int{0, 128, 64}, -2, 2},
		{"zero", []float32{0, 0}, 1, Options{}, []int{128, 128}, 0, 0},
		{"constant", []float32{3, 3}, 1, Options{Scale: MinMax}, []int{128, 128}, 3, 3},
		// [2][3]: pixel sums −2, 0, 2.
		{"channels", []float32{-1, 1, 3, -1, -1, -1}, 2, Options{}, []int{0, 128, 255}, -2, 2},
	} {
		t.Run(tc.name, func(t *testing.T) {
			idx, lo, hi := indices(t, tc.rel, tc.c, tc.opt)
			assert.Equal(t, tc.want, idx, "palette entries")
			assert.Equal(t, tc.lo, lo, "lo")
			assert.Equal(t, tc.hi, hi, "hi")
		})
	}
}

func TestRenderErrors(t *testing.T) {
	nan, inf := float32(math.NaN()), float32(math.Inf(1))
	for _, tc := range []struct {
		name    string
		dst     []uint8
		rel     []float32
		c, h, w int
		opt     Options
		want    string
	}{
		{"nan", make([]uint8, 8), []float32{0, nan}, 1, 1, 2, Options{}, "pixel (0, 1) is NaN"},
		{"inf", make([]uint8, 8), []float32{inf, 0}, 1, 1, 2, Options{}, "pixel (0, 0) is +Inf"},
		{"overflow", make([]uint8, 4), []float32{3e38, 3e38}, 2, 1, 1, Options{}, "is +Inf"},
		{"short rel", make([]uint8, 8), []float32{0}, 1, 1, 2, Options{}, "relevance has 1 values"},
		{"short dst", make([]uint8, 7), []float32{0, 0}, 1, 1, 2, Options{}, "destination has 7 bytes"},
		{"zero size", nil, nil, 1, 0, 2, Options{}, "invalid shape"},
		{"negative", nil, nil, -1, 1, 2, Options{}, "invalid shape"},
		{"huge", nil, nil, 3, 1 << 20, 1 << 20, Options{}, "too large"},
		{"scale", make([]uint8, 4), []float32{0}, 1, 1, 1, Options{Scale: 7}, "invalid Scale(7)"},
		{"sign", make([]uint8, 4), []float32{0}, 1, 1, 1, Options{Sign: -1}, "invalid Sign(-1)"},
	} {
		_, _, err := Render(tc.dst, tc.rel, tc.c, tc.h, tc.w, tc.opt)
		if assert.ErrorContains(t, err, tc.want, tc.name) {
			assert.True(t, strings.HasPrefix(err.Error(), "heatmap: "), "%s: error %q, want heatmap: …%s…", tc.name, err, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, name := range []string{"all", "positive", "negative"} {
		s, err := ParseSign(name)
		if assert.NoError(t, err, "ParseSign(%q)", name) {
			assert.Equal(t, name, s.String(), "ParseSign(%q)", name)
		}
	}
	for _, name := range []string{"symmetric", "minmax"} {
		s, err := ParseScale(name)
		if assert.NoError(t, err, "ParseScale(%q)", name) {
			assert.Equal(t, name, s.String(), "ParseScale(%q)", name)
		}
	}
	s, err := ParseSign("")
	assert.NoError(t, err, `ParseSign("")`)
	assert.Equal(t, All, s, `ParseSign("")`)
	_, err = ParseScale("log")
	assert.ErrorContains(t, err, "[symmetric minmax]", `ParseScale("log")`)
}

func TestOverlay(t *testing.T) {
	heat := []uint8{255, 0, 100, 255, 10, 20, 30, 255}
	base := []uint8{0, 0, 200, 0, 10, 20, 30, 7}
	dst := make([]uint8, 8)
	require.NoError(t, Overlay(dst, heat, base, 0.25))
	// 0.25·255 + 0.75·0 = 63.75 → 64; 0.25·100 + 0.75·200 = 175.
	assert.Equal(t, []uint8{64, 0, 175, 255, 10, 20, 30, 255}, dst, "Overlay")
	for _, a := range []float32{0, 1} {
		require.NoError(t, Overlay(base, heat, base, a)) // in place
	}
	assert.Equal(t, []uint8{255, 0, 100, 255, 10, 20, 30, 255}, base, "Overlay alpha 1, want heat")
	assert.Error(t, Overlay(dst, heat, base[:4], 0.5), "Overlay accepted mismatched lengths")
	assert.Error(t, Overlay(dst, heat, base, float32(math.NaN())), "Overlay accepted alpha NaN")
}

func TestGray(t *testing.T) {
	dst := make([]uint8, 8)
	require.NoError(t, Gray(dst, []float32{-1, 1}, 1, 1, 2, -1, 1))
	assert.Equal(t, []uint8{0, 0, 0, 255, 255, 255, 255, 255}, dst, "Gray")
	// RGB, automatic range 0..2: 1 → 127.5 → 128.
	require.NoError(t, Gray(dst, []float32{0, 2, 1, 1, 2, 0}, 3, 1, 2, 0, 0))
	assert.Equal(t, []uint8{0, 128, 255, 255, 255, 128, 0, 255}, dst, "Gray RGB")
	assert.Error(t, Gray(dst, []float32{0, float32(math.NaN())}, 1, 1, 2, 0, 1), "Gray accepted NaN")
}

func TestColorbar(t *testing.T) {
	dst := make([]uint8, 4*256*2)
	require.NoError(t, Colorbar(dst, 256, 2, "bwr"))
	cm, _ := lookup("bwr")
	pal := &cm.palette
	for y := range 2 {
		for x := range 256 {
			require.Equal(t, pal[x], [3]uint8(dst[4*(256*y+x):]), "(%d, %d), want palette[%d]", x, y, x)
		}
	}
	// Vertical: low end at the bottom.
	dst = make([]uint8, 4*1*3)
	require.NoError(t, Colorbar(dst, 1, 3, "gray"))
	assert.Equal(t, []uint8{255 - 42, 128, 42}, []uint8{dst[0], dst[4], dst[8]}, "vertical gray bar %v, top to bottom", dst)
}

func TestUpscale(t *testing.T) {
	src := []uint8{1, 2, 3, 4, 5, 6, 7, 8}
	dst := make([]uint8, 4*4*2)
	require.NoError(t, Upscale(dst, src, 2, 1, 2))
	row := []uint8{1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8}
	assert.Equal(t, append(append([]uint8{}, row...), row...), dst, "Upscale")
	for _, f := range []int{0, -1, 1 << 30} {
		assert.Error(t, Upscale(dst, src, 2, 1, f), "Upscale accepted factor %d", f)
	}
}

func TestEncodePNG(t *testing.T) {
	rgba := []uint8{255, 0, 0, 255, 0, 255, 0, 128}
	var buf bytes.Buffer
	require.NoError(t, EncodePNG(&buf, rgba, 2, 1))
	got, _, _ := decodeRGBA(t, buf.Bytes())
	assert.Equal(t, rgba, got, "PNG round trip")
	assert.Error(t, EncodePNG(&buf, rgba, 3, 1), "EncodePNG accepted a short image")
}

func decodeRGBA(t *testing.T, b []byte) (pix []uint8, w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	require.NoError(t, err)
	n := image.NewNRGBA(img.Bounds())
	draw.Draw(n, n.Rect, img, img.Bounds().Min, draw.Src)
	return n.Pix, n.Rect.Dx(), n.Rect.Dy()
}

// pattern is a synthetic relevance map [2][h][w]: a positive Gaussian blob
// upper left, a weaker negative one lower right, and a faint diagonal ramp
// split over the two channels.
func pattern(h, w int) []float32 {
	rel := make([]float32, 2*h*w)
	blob := func(y, x, cy, cx, s float64) float64 {
		return math.Exp(-((y-cy)*(y-cy) + (x-cx)*(x-cx)) / (2 * s * s))
	}
	for y := range h {
		for x := range w {
			fy, fx := float64(y)/float64(h), float64(x)/float64(w)
			v := blob(fy, fx, 0.3, 0.3, 0.12) - 0.6*blob(fy, fx, 0.7, 0.65, 0.15)
			rel[y*w+x] = float32(v)
			rel[h*w+y*w+x] = float32(0.1 * (fx - fy))
		}
	}
	return rel
}

func TestGolden(t *testing.T) {
	const h, w = 48, 64
	rel := pattern(h, w)
	for _, cmap := range []string{"bwr", "coldnhot"} {
		t.Run(cmap, func(t *testing.T) {
			got := make([]uint8, 4*h*w)
			_, _, err := Render(got, rel, 2, h, w, Options{ColorMap: cmap})
			require.NoError(t, err)
			path := filepath.Join("testdata", "golden-"+cmap+".png")
			if *update {
				var buf bytes.Buffer
				require.NoError(t, EncodePNG(&buf, got, w, h))
				require.NoError(t, os.WriteFile(path, buf.Bytes(), 0o644))
			}
			b, err := os.ReadFile(path)
			require.NoError(t, err, "run go test -update to create it")
			want, gw, gh := decodeRGBA(t, b)
			require.Equal(t, [2]int{w, h}, [2]int{gw, gh}, "golden size (width, height)")
			maxDiff, at := 0, -1
			for i := range want {
				if d := int(got[i]) - int(want[i]); max(d, -d) > maxDiff {
					maxDiff, at = max(d, -d), i
				}
			}
			p := at / 4
			assert.Zero(t, maxDiff, "differs from %s: max pixel difference at (x %d, y %d) channel %d", path, p%w, p/w, at%4)
		})
	}
}

func benchmarkRender(b *testing.B, size int) {
	rel := pattern(size, size)
	dst := make([]uint8, 4*size*size)
	b.SetBytes(int64(len(dst)))
	b.ReportAllocs()
	for b.Loop() {
		if _, _, err := Render(dst, rel, 2, size, size, Options{}); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkRender28(b *testing.B)  { benchmarkRender(b, 28) }
func BenchmarkRender224(b *testing.B) { benchmarkRender(b, 224) }
