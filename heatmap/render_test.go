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
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// indices renders rel and returns the palette entry of each pixel, found by
// matching the color against the palette (the bwr palette has no repeats).
func indices(t *testing.T, rel []float32, c int, opt Options) (idx []int, lo, hi float32) {
	t.Helper()
	hw := len(rel) / c
	dst := make([]uint8, 4*hw)
	lo, hi, err := Render(dst, rel, c, 1, hw, opt)
	if err != nil {
		t.Fatal(err)
	}
	pal, _ := lookup(opt.ColorMap)
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
			if !reflect.DeepEqual(idx, tc.want) {
				t.Errorf("palette entries %v, want %v", idx, tc.want)
			}
			if lo != tc.lo || hi != tc.hi {
				t.Errorf("lo, hi = %v, %v, want %v, %v", lo, hi, tc.lo, tc.hi)
			}
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
		if err == nil || !strings.HasPrefix(err.Error(), "heatmap: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want heatmap: …%s…", tc.name, err, tc.want)
		}
	}
}

func TestParse(t *testing.T) {
	for _, name := range []string{"all", "positive", "negative"} {
		s, err := ParseSign(name)
		if err != nil || s.String() != name {
			t.Errorf("ParseSign(%q) = %v, %v", name, s, err)
		}
	}
	for _, name := range []string{"symmetric", "minmax"} {
		s, err := ParseScale(name)
		if err != nil || s.String() != name {
			t.Errorf("ParseScale(%q) = %v, %v", name, s, err)
		}
	}
	if s, err := ParseSign(""); s != All || err != nil {
		t.Errorf(`ParseSign("") = %v, %v`, s, err)
	}
	if _, err := ParseScale("log"); err == nil || !strings.Contains(err.Error(), "[symmetric minmax]") {
		t.Errorf(`ParseScale("log") error %v`, err)
	}
}

func TestOverlay(t *testing.T) {
	heat := []uint8{255, 0, 100, 255, 10, 20, 30, 255}
	base := []uint8{0, 0, 200, 0, 10, 20, 30, 7}
	dst := make([]uint8, 8)
	if err := Overlay(dst, heat, base, 0.25); err != nil {
		t.Fatal(err)
	}
	// 0.25·255 + 0.75·0 = 63.75 → 64; 0.25·100 + 0.75·200 = 175.
	if want := []uint8{64, 0, 175, 255, 10, 20, 30, 255}; !reflect.DeepEqual(dst, want) {
		t.Errorf("Overlay = %v, want %v", dst, want)
	}
	for _, a := range []float32{0, 1} {
		if err := Overlay(base, heat, base, a); err != nil { // in place
			t.Fatal(err)
		}
	}
	if want := []uint8{255, 0, 100, 255, 10, 20, 30, 255}; !reflect.DeepEqual(base, want) {
		t.Errorf("Overlay alpha 1 = %v, want heat %v", base, want)
	}
	if err := Overlay(dst, heat, base[:4], 0.5); err == nil {
		t.Error("Overlay accepted mismatched lengths")
	}
	if err := Overlay(dst, heat, base, float32(math.NaN())); err == nil {
		t.Error("Overlay accepted alpha NaN")
	}
}

func TestGray(t *testing.T) {
	dst := make([]uint8, 8)
	if err := Gray(dst, []float32{-1, 1}, 1, 1, 2, -1, 1); err != nil {
		t.Fatal(err)
	}
	if want := []uint8{0, 0, 0, 255, 255, 255, 255, 255}; !reflect.DeepEqual(dst, want) {
		t.Errorf("Gray = %v, want %v", dst, want)
	}
	// RGB, automatic range 0..2: 1 → 127.5 → 128.
	if err := Gray(dst, []float32{0, 2, 1, 1, 2, 0}, 3, 1, 2, 0, 0); err != nil {
		t.Fatal(err)
	}
	if want := []uint8{0, 128, 255, 255, 255, 128, 0, 255}; !reflect.DeepEqual(dst, want) {
		t.Errorf("Gray RGB = %v, want %v", dst, want)
	}
	if err := Gray(dst, []float32{0, float32(math.NaN())}, 1, 1, 2, 0, 1); err == nil {
		t.Error("Gray accepted NaN")
	}
}

func TestColorbar(t *testing.T) {
	dst := make([]uint8, 4*256*2)
	if err := Colorbar(dst, 256, 2, "bwr"); err != nil {
		t.Fatal(err)
	}
	pal, _ := lookup("bwr")
	for y := range 2 {
		for x := range 256 {
			if got := [3]uint8(dst[4*(256*y+x):]); got != pal[x] {
				t.Fatalf("(%d, %d) = %v, want palette[%d] = %v", x, y, got, x, pal[x])
			}
		}
	}
	// Vertical: low end at the bottom.
	dst = make([]uint8, 4*1*3)
	if err := Colorbar(dst, 1, 3, "gray"); err != nil {
		t.Fatal(err)
	}
	if dst[0] != 255-42 || dst[4] != 128 || dst[8] != 42 {
		t.Errorf("vertical gray bar = %v, want 213, 128, 42 top to bottom", dst)
	}
}

func TestUpscale(t *testing.T) {
	src := []uint8{1, 2, 3, 4, 5, 6, 7, 8}
	dst := make([]uint8, 4*4*2)
	if err := Upscale(dst, src, 2, 1, 2); err != nil {
		t.Fatal(err)
	}
	row := []uint8{1, 2, 3, 4, 1, 2, 3, 4, 5, 6, 7, 8, 5, 6, 7, 8}
	if want := append(append([]uint8{}, row...), row...); !reflect.DeepEqual(dst, want) {
		t.Errorf("Upscale = %v, want %v", dst, want)
	}
	for _, f := range []int{0, -1, 1 << 30} {
		if err := Upscale(dst, src, 2, 1, f); err == nil {
			t.Errorf("Upscale accepted factor %d", f)
		}
	}
}

func TestEncodePNG(t *testing.T) {
	rgba := []uint8{255, 0, 0, 255, 0, 255, 0, 128}
	var buf bytes.Buffer
	if err := EncodePNG(&buf, rgba, 2, 1); err != nil {
		t.Fatal(err)
	}
	got, _, _ := decodeRGBA(t, buf.Bytes())
	if !reflect.DeepEqual(got, rgba) {
		t.Errorf("PNG round trip = %v, want %v", got, rgba)
	}
	if err := EncodePNG(&buf, rgba, 3, 1); err == nil {
		t.Error("EncodePNG accepted a short image")
	}
}

func decodeRGBA(t *testing.T, b []byte) (pix []uint8, w, h int) {
	t.Helper()
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatal(err)
	}
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
			if _, _, err := Render(got, rel, 2, h, w, Options{ColorMap: cmap}); err != nil {
				t.Fatal(err)
			}
			path := filepath.Join("testdata", "golden-"+cmap+".png")
			if *update {
				var buf bytes.Buffer
				if err := EncodePNG(&buf, got, w, h); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			b, err := os.ReadFile(path)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			want, gw, gh := decodeRGBA(t, b)
			if gw != w || gh != h {
				t.Fatalf("golden is %d×%d, want %d×%d", gw, gh, w, h)
			}
			maxDiff, at := 0, -1
			for i := range want {
				if d := int(got[i]) - int(want[i]); max(d, -d) > maxDiff {
					maxDiff, at = max(d, -d), i
				}
			}
			if maxDiff > 0 {
				p := at / 4
				t.Errorf("differs from %s: max pixel difference %d at (x %d, y %d) channel %d", path, maxDiff, p%w, p/w, at%4)
			}
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
