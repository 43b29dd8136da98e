package lrp

import "testing"

// SyntheticResNet builds ResNet-18's topology at any width and size: its
// parameters are the convolutions' weights and biases and the classifier's.
// At width 64 that is torchvision's 11,689,512 with each BatchNorm's 2C
// parameters replaced by the C biases that folding gives its convolution:
// 11,684,712.
func TestSyntheticResNet(t *testing.T) {
	params := func(w int) int {
		conv := func(in, out, k int) int { return in*out*k*k + out }
		n := conv(3, w, 7)
		in := w
		for s, out := range []int{w, 2 * w, 4 * w, 8 * w} {
			for k := range 2 {
				n += conv(in, out, 3) + conv(out, out, 3)
				if s > 0 && k == 0 {
					n += conv(in, out, 1)
				}
				in = out
			}
		}
		return n + in*1000 + 1000
	}
	for _, tc := range []struct {
		width, size int
		name        string
	}{
		{64, 224, "synthetic-resnet18"},
		{8, 32, "synthetic-resnet18-w8-32"},
		{16, 64, "synthetic-resnet18-w16-64"},
	} {
		m := SyntheticResNet(1, tc.width, tc.size)
		if m.Name != tc.name || m.Params() != params(tc.width) {
			t.Errorf("SyntheticResNet(1, %d, %d): %s with %d params, want %s with %d", tc.width, tc.size, m.Name, m.Params(), tc.name, params(tc.width))
		}
		if got := m.Input.Shape; len(got) != 3 || got[0] != 3 || got[1] != tc.size || got[2] != tc.size {
			t.Errorf("SyntheticResNet(1, %d, %d): input shape %v", tc.width, tc.size, got)
		}
		if tc.width < 64 {
			logits, err := m.Forward(make([]float32, m.InputLen()))
			if err != nil || len(logits) != 1000 {
				t.Errorf("SyntheticResNet(1, %d, %d).Forward: %d logits, %v", tc.width, tc.size, len(logits), err)
			}
		}
	}
	if SyntheticResNet18(1).Params() != 11684712 {
		t.Errorf("SyntheticResNet18 has %d params, want 11684712", SyntheticResNet18(1).Params())
	}
}
