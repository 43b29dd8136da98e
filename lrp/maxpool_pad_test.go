package lrp

import "testing"

// TestMaxPoolBottomRightPadding pools 7×7 to 4×4 with a 2×2 window, stride
// 2 and padding only at the bottom and right (as PyTorch's ceil_mode and
// ONNX exports produce): the padded row and column never win, and the last
// window of each row holds the single in-bounds value.
func TestMaxPoolBottomRightPadding(t *testing.T) {
	l := &MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PB: 1, PR: 1}
	in := []int{1, 7, 7}
	out, err := l.OutShape([][]int{in})
	if err != nil || out[1] != 4 || out[2] != 4 {
		t.Fatalf("got shape %v, %v; want [1 4 4]", out, err)
	}
	x := make([]float32, 49)
	for i := range x {
		x[i] = -float32(i) // decreasing: the top-left in-bounds element wins
	}
	dst, arg := make([]float32, 16), make([]int32, 16)
	maxPool(dst, arg, x, l, in)
	for i := range 4 {
		for j := range 4 {
			want := int32(2*i*7 + 2*j)
			if arg[i*4+j] != want || dst[i*4+j] != x[want] {
				t.Errorf("window (%d,%d): got index %d value %v, want %d value %v", i, j, arg[i*4+j], dst[i*4+j], want, x[want])
			}
		}
	}
}
