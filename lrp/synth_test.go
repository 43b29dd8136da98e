package lrp

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

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
		assert.Equalf(t, tc.name, m.Name, "SyntheticResNet(1, %d, %d): name", tc.width, tc.size)
		assert.Equalf(t, params(tc.width), m.Params(), "SyntheticResNet(1, %d, %d): params", tc.width, tc.size)
		assert.Equalf(t, []int{3, tc.size, tc.size}, m.Input.Shape, "SyntheticResNet(1, %d, %d): input shape", tc.width, tc.size)
		if tc.width < 64 {
			logits, err := m.Forward(make([]float32, m.InputLen()))
			if assert.NoErrorf(t, err, "SyntheticResNet(1, %d, %d).Forward", tc.width, tc.size) {
				assert.Lenf(t, logits, 1000, "SyntheticResNet(1, %d, %d).Forward: logits", tc.width, tc.size)
			}
		}
	}
	assert.Equal(t, 11684712, SyntheticResNet18(1).Params(), "SyntheticResNet18 params")
}
