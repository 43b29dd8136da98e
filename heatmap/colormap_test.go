package heatmap

import (
	"fmt"
	"strconv"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// zennitSources are the CMAPS entries of zennit/image.py.
var zennitSources = map[string]string{
	"gray":     "000,fff",
	"wred":     "fff,f00",
	"wblue":    "fff,00f",
	"hot":      "000,f00,ff0,fff",
	"cold":     "000,00f,0ff",
	"coldnhot": "0ff,00f,80:000,f00,ff0,fff",
	"bwr":      "00f,80:fff,f00",
	"seismic":  "0000d0,80:d0d0d0,d00000",
}

// resolve places the colors of a Zennit colormap source on palette entries,
// re-deriving the rules of zennit/cmap.py as the oracle for the stop table:
// "ii:" pins a color, the ends default to 0 and 255, and unpinned colors are
// spread evenly (truncated) between their pinned neighbours.
func resolve(t *testing.T, src string) []stop {
	t.Helper()
	parts := strings.Split(src, ",")
	idx := make([]int, len(parts))
	out := make([]stop, len(parts))
	for i, p := range parts {
		idx[i] = -1
		if k, col, ok := strings.Cut(p, ":"); ok {
			n, err := strconv.ParseUint(k, 16, 8)
			require.NoError(t, err)
			idx[i], p = int(n), col
		}
		if len(p) == 3 {
			p = string([]byte{p[0], p[0], p[1], p[1], p[2], p[2]})
		}
		v, err := strconv.ParseUint(p, 16, 32)
		require.NoError(t, err)
		out[i] = stop{r: uint8(v >> 16), g: uint8(v >> 8), b: uint8(v)}
	}
	if idx[0] < 0 {
		idx[0] = 0
	}
	if idx[len(idx)-1] < 0 {
		idx[len(idx)-1] = 255
	}
	for a := 0; a < len(idx)-1; {
		b := a + 1
		for idx[b] < 0 {
			b++
		}
		for k := a + 1; k < b; k++ {
			f := float64(k-a) / float64(b-a)
			idx[k] = int(float64(idx[a])*(1-f) + float64(idx[b])*f)
		}
		a = b
	}
	for i := range out {
		out[i].index = idx[i]
	}
	return out
}

func TestColorMapStops(t *testing.T) {
	want := []string{"bwr", "seismic", "coldnhot", "gray", "hot", "cold", "wred", "wblue"}
	require.Equal(t, want, ColorMapNames(), "ColorMapNames()")
	for _, cm := range colormaps {
		src, ok := zennitSources[cm.name]
		require.True(t, ok, "%s: no Zennit source", cm.name)
		assert.Equal(t, resolve(t, src), cm.stops, "%s: stops (from %q)", cm.name, src)
		for _, s := range cm.stops {
			assert.Equal(t, [3]uint8{s.r, s.g, s.b}, cm.palette[s.index], "%s: palette[%d], want the stop color", cm.name, s.index)
		}
	}
}

// TestColorMapEnds renders −1, 0, +1 (symmetric) and checks the first color,
// the centre and the last color against the Zennit source strings.
func TestColorMapEnds(t *testing.T) {
	for _, tc := range []struct {
		name             string
		first, mid, last string
	}{
		{"bwr", "0000ff", "ffffff", "ff0000"},
		{"seismic", "0000d0", "d0d0d0", "d00000"},
		{"coldnhot", "00ffff", "000000", "ffffff"},
		// The maps without a centre stop: entry 128 by hand.
		{"gray", "000000", "808080", "ffffff"}, // 255·128/255 = 128
		{"hot", "000000", "ff8100", "ffffff"},  // f00→ff0 over 85..170: ⌊255·43/85⌋ = 129
		{"cold", "000000", "0001ff", "00ffff"}, // 00f→0ff over 127..255: ⌊255·1/128⌋ = 1
		{"wred", "ffffff", "ff7f7f", "ff0000"}, // ⌊255·127/255⌋ = 127
		{"wblue", "ffffff", "7f7fff", "0000ff"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dst := make([]uint8, 12)
			lo, hi, err := Render(dst, []float32{-1, 0, 1}, 1, 1, 3, Options{ColorMap: tc.name})
			require.NoError(t, err)
			assert.Equal(t, float32(-1), lo, "lo")
			assert.Equal(t, float32(1), hi, "hi")
			got := fmt.Sprintf("%02x%02x%02x %02x%02x%02x %02x%02x%02x", dst[0], dst[1], dst[2], dst[4], dst[5], dst[6], dst[8], dst[9], dst[10])
			assert.Equal(t, tc.first+" "+tc.mid+" "+tc.last, got, "colors of -1, 0, 1")
			assert.Equal(t, uint8(0xff), dst[3]&dst[7]&dst[11], "alpha %d %d %d, want opaque", dst[3], dst[7], dst[11])
		})
	}
}

func TestUnknownColorMap(t *testing.T) {
	_, _, err := Render(make([]uint8, 4), []float32{1}, 1, 1, 1, Options{ColorMap: "jet"})
	want := `heatmap: unknown colormap "jet" (known: bwr, seismic, coldnhot, gray, hot, cold, wred, wblue)`
	assert.EqualError(t, err, want, "Render error")
	assert.Error(t, Colorbar(make([]uint8, 4), 1, 1, "jet"), "Colorbar accepted an unknown colormap")
}
