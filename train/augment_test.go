package train

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
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
	assert.Equal(t, x, y, "the zero Augment changed the image")
	// No rotation or scaling, a whole-pixel shift: pixels move exactly.
	g := newAugmenter(Augment{}, 28, 28)
	g.warp(y, x, 0, 1, 2, -3)
	bad, first := 0, ""
	for i := range 28 {
		for j := range 28 {
			if want := at(x, 28, 28, i+3, j-2, 0); y[i*28+j] != want {
				if bad == 0 {
					first = fmt.Sprintf("pixel (%d, %d) = %v, want %v", i, j, y[i*28+j], want)
				}
				bad++
			}
		}
	}
	require.Zero(t, bad, "shift (2, −3): pixels that did not move exactly; the first: %s", first)
}

func TestThickness(t *testing.T) {
	x, y := digitOne(), make([]float32, 784)
	thicken(y, x, 28, 28, 1)
	assert.Greater(t, sum(y), sum(x), "thicken: ink")
	assert.Equal(t, float32(1), y[10*28+12], "thicken: pixel (10, 12)")
	assert.Equal(t, float32(0.5), y[10*28+16], "thicken: pixel (10, 16)")
	assert.Equal(t, float32(1), y[5*28+13], "thicken: pixel (5, 13)")
	thin(y, x, 28, 28, 1)
	assert.Less(t, sum(y), sum(x), "thin: ink")
	assert.Equal(t, float32(0), y[10*28+12], "thin: pixel (10, 12)")
	assert.Equal(t, float32(1), y[10*28+13], "thin: pixel (10, 13)")
	thin(y, x, 28, 28, 0)
	assert.Equal(t, x, y, "thin with strength 0 changed the image")
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
		s := sum(y)
		assert.GreaterOrEqual(t, s, 0.3*sum(x), "draw %d: ink, original %v", k, sum(x))
		assert.LessOrEqual(t, s, 3*sum(x), "draw %d: ink, original %v", k, sum(x))
		assert.False(t, slices.ContainsFunc(y, func(v float32) bool { return !(v >= 0 && v <= 1) }), "draw %d: a value outside [0, 1]", k)
		assert.False(t, slices.Equal(y, prev), "draw %d repeats the last one", k)
		prev = y
	}
}
