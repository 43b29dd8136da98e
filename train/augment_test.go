package train

import (
	"math/rand/v2"
	"slices"
	"testing"
)

// digitOne is a 28×28 vertical bar, a plain "1", with MNIST's soft edges.
func digitOne() []float32 {
	x := make([]float32, 784)
	for i := 6; i < 22; i++ {
		x[i*28+12], x[i*28+13], x[i*28+14], x[i*28+15] = 0.5, 1, 1, 0.5
	}
	return x
}

func sum(x []float32) (s float32) {
	for _, v := range x {
		s += v
	}
	return s
}

func TestAugmentIdentity(t *testing.T) {
	x, y := digitOne(), make([]float32, 784)
	rng := rand.New(rand.NewPCG(1, 1))
	newAugmenter(Augment{}, 28, 28).apply(y, x, rng)
	if !slices.Equal(x, y) {
		t.Error("the zero Augment changed the image")
	}
	// No rotation or scaling, a whole-pixel shift: pixels move exactly.
	g := newAugmenter(Augment{}, 28, 28)
	g.warp(y, x, 0, 1, 2, -3)
	for i := range 28 {
		for j := range 28 {
			want := at(x, 28, 28, i+3, j-2, 0)
			if y[i*28+j] != want {
				t.Fatalf("shift (2, −3): pixel (%d, %d) = %v, want %v", i, j, y[i*28+j], want)
			}
		}
	}
}

func TestThickness(t *testing.T) {
	x, y := digitOne(), make([]float32, 784)
	thicken(y, x, 28, 28, 1)
	if sum(y) <= sum(x) || y[10*28+12] != 1 || y[10*28+16] != 0.5 || y[5*28+13] != 1 {
		t.Errorf("thicken: ink %v → %v", sum(x), sum(y))
	}
	thin(y, x, 28, 28, 1)
	if sum(y) >= sum(x) || y[10*28+12] != 0 || y[10*28+13] != 1 {
		t.Errorf("thin: ink %v → %v", sum(x), sum(y))
	}
	thin(y, x, 28, 28, 0)
	if !slices.Equal(x, y) {
		t.Error("thin with strength 0 changed the image")
	}
}

// TestAugmentRange checks that distorted digits stay in [0, 1], keep
// most of their ink and differ from draw to draw.
func TestAugmentRange(t *testing.T) {
	x := digitOne()
	g := newAugmenter(Augment{Shift: 2, Rotate: 12, Scale: 0.12, Thickness: 0.3, Elastic: 34}, 28, 28)
	rng := rand.New(rand.NewPCG(1, 2))
	prev := make([]float32, 784)
	for k := range 50 {
		y := make([]float32, 784)
		g.apply(y, x, rng)
		if s := sum(y); s < 0.3*sum(x) || s > 3*sum(x) {
			t.Errorf("draw %d: ink %v, original %v", k, s, sum(x))
		}
		if slices.ContainsFunc(y, func(v float32) bool { return !(v >= 0 && v <= 1) }) {
			t.Errorf("draw %d: a value outside [0, 1]", k)
		}
		if slices.Equal(y, prev) {
			t.Errorf("draw %d repeats the last one", k)
		}
		prev = y
	}
}
