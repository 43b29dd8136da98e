package parity

import (
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
)

// TestFixtures runs every fixture config and requires Zennit's relevance to
// 1e-5 of max|ref|, printing each figure.
// Both model sources are checked: the ONNX exports and the JSON layers.
func TestFixtures(t *testing.T) {
	for _, src := range []Source{PreferONNX, LayersJSON} {
		check(t, src)
	}
}

func check(t *testing.T, src Source) {
	lines, err := Run(refdata.Path(t, "."), src)
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range lines {
		t.Logf("%-8s %-26s %.3g (%s vs %s)", l.Model, l.Config, l.Err, l.Source, l.Reference)
		switch {
		case l.Unknown:
			t.Errorf("%s/%s: unknown config", l.Model, l.Config)
		case l.Fail != nil:
			t.Errorf("%s/%s: %v", l.Model, l.Config, l.Fail)
		case !(l.Err <= 1e-5):
			t.Errorf("%s/%s: max rel diff %.3g, want ≤ 1e-5", l.Model, l.Config, l.Err)
		}
	}
}
