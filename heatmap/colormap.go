package heatmap

import (
	"fmt"
	"math"
	"strings"
)

// DefaultColorMap is the colormap used when Options.ColorMap is empty.
const DefaultColorMap = "bwr"

// A stop fixes the color of one palette entry; entries between two stops are
// interpolated linearly per channel.
type stop struct {
	index   int // palette entry, 0..255
	r, g, b uint8
}

// A colormap is a named list of stops with the 256-entry palette built from
// them. The first stop is at entry 0 and the last at entry 255.
type colormap struct {
	name    string
	stops   []stop
	palette [256][3]uint8
	rgba    [256]uint32 // the palette as opaque RGBA pixels, little-endian: the SIMD kernel's
}

// colormaps are Zennit's built-in colormaps (zennit/image.py, CMAPS), with
// each Zennit source string resolved into palette entries by Zennit's rules
// (zennit/cmap.py): an "80:" prefix pins a color to entry 0x80 = 128, the
// first and last colors sit at 0 and 255, and k unpinned colors between two
// pinned entries a and b sit at int(a + (b−a)·i/(k+1)), i = 1..k.
// The test re-derives the entries from the source strings.
var colormaps = []*colormap{
	// '00f,80:fff,f00': blue, white at the centre, red.
	{name: "bwr", stops: []stop{{0, 0x00, 0x00, 0xff}, {128, 0xff, 0xff, 0xff}, {255, 0xff, 0x00, 0x00}}},
	// '0000d0,80:d0d0d0,d00000': bwr at brightness 0xd0.
	{name: "seismic", stops: []stop{{0, 0x00, 0x00, 0xd0}, {128, 0xd0, 0xd0, 0xd0}, {255, 0xd0, 0x00, 0x00}}},
	// '0ff,00f,80:000,f00,ff0,fff': cold reversed, black at the centre, hot.
	{name: "coldnhot", stops: []stop{
		{0, 0x00, 0xff, 0xff}, {64, 0x00, 0x00, 0xff}, {128, 0x00, 0x00, 0x00},
		{170, 0xff, 0x00, 0x00}, {212, 0xff, 0xff, 0x00}, {255, 0xff, 0xff, 0xff}}},
	// '000,fff'
	{name: "gray", stops: []stop{{0, 0x00, 0x00, 0x00}, {255, 0xff, 0xff, 0xff}}},
	// '000,f00,ff0,fff'
	{name: "hot", stops: []stop{{0, 0x00, 0x00, 0x00}, {85, 0xff, 0x00, 0x00}, {170, 0xff, 0xff, 0x00}, {255, 0xff, 0xff, 0xff}}},
	// '000,00f,0ff'
	{name: "cold", stops: []stop{{0, 0x00, 0x00, 0x00}, {127, 0x00, 0x00, 0xff}, {255, 0x00, 0xff, 0xff}}},
	// 'fff,f00'
	{name: "wred", stops: []stop{{0, 0xff, 0xff, 0xff}, {255, 0xff, 0x00, 0x00}}},
	// 'fff,00f'
	{name: "wblue", stops: []stop{{0, 0xff, 0xff, 0xff}, {255, 0x00, 0x00, 0xff}}},
}

func init() {
	for _, cm := range colormaps {
		cm.build()
	}
}

// build fills the palette: entry k between stops (a, ca) and (b, cb) is
// ca·(1−t) + cb·t with t = (k−a)/(b−a), truncated to an integer as Zennit's
// palette does (it rounds to 12 decimals first, hence the 1e-9).
func (cm *colormap) build() {
	s := cm.stops
	for i := 0; i+1 < len(s); i++ {
		a, b := s[i], s[i+1]
		for k := a.index; k <= b.index; k++ {
			t := float64(k-a.index) / float64(b.index-a.index)
			mix := func(x, y uint8) uint8 {
				return uint8(math.Floor(float64(x)*(1-t) + float64(y)*t + 1e-9))
			}
			cm.palette[k] = [3]uint8{mix(a.r, b.r), mix(a.g, b.g), mix(a.b, b.b)}
		}
	}
	for k, c := range cm.palette {
		cm.rgba[k] = uint32(c[0]) | uint32(c[1])<<8 | uint32(c[2])<<16 | 0xff<<24
	}
}

// ColorMapNames returns the names of the built-in colormaps, the default
// first.
func ColorMapNames() []string {
	names := make([]string, len(colormaps))
	for i, cm := range colormaps {
		names[i] = cm.name
	}
	return names
}

// lookup returns the named colormap; "" is DefaultColorMap.
func lookup(name string) (*colormap, error) {
	if name == "" {
		name = DefaultColorMap
	}
	for _, cm := range colormaps {
		if cm.name == name {
			return cm, nil
		}
	}
	return nil, fmt.Errorf("heatmap: unknown colormap %q (known: %s)", name, strings.Join(ColorMapNames(), ", "))
}

// paletteIndex maps t ∈ [0, 1] to one of 256 equal bins. Zero relevance under
// symmetric scaling, t = 0.5, falls on entry 128, which is exactly the centre
// stop 0x80. (Zennit's imgify quantizes with ⌊255·t⌋ and so draws zero with
// entry 127, one step off the centre: (253,253,255) instead of white for bwr.)
func paletteIndex(t float32) int {
	f := t * 256
	switch {
	case !(f >= 0): // also NaN
		return 0
	case f >= 255:
		return 255
	}
	return int(f)
}
