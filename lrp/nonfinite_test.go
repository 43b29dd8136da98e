package lrp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// An input that is finite but overflows float32 on its way up (3e38 in
// every pixel) gives non-finite logits: every method reports it in
// Diagnostics.NaN, whatever the relevance looks like.
func TestNonFiniteLogitsReported(t *testing.T) {
	conv := randConv(newRand(1), geometry(1, 3, 3, 3), true)
	for i := range conv.W {
		conv.W[i] = float32(math.Abs(float64(conv.W[i]))) // every output overflows to +Inf
	}
	m := seq(t, InputSpec{Shape: []int{1, 4, 4}, Low: 0, High: 1},
		conv, &ReLU{}, &Flatten{}, randDense(newRand(2), 12, 4, true))
	e := NewExplainer(m)
	x := make([]float32, m.InputLen())
	for i := range x {
		x[i] = 3e38
	}
	for _, method := range append(Composites(), "gradient", "gradient_x_input", "smoothgrad", "integrated_gradients") {
		res, err := e.Explain(x, Options{Method: method})
		require.NoError(t, err, method)
		bad := false
		for _, v := range res.Logits {
			bad = bad || isBad(v)
		}
		require.True(t, bad, "%s: the recipe should overflow the logits, got %v", method, res.Logits)
		assert.True(t, res.Diagnostics.NaN, "%s: logits %v but diagnostics.nan is false", method, res.Logits)
	}
	res, err := e.Explain(uniforms(newRand(3), m.InputLen(), 0, 1), Options{})
	require.NoError(t, err)
	assert.False(t, res.Diagnostics.NaN, "a plain input reports NaN")
}

// Every numeric option out of its range is an error naming it, NaN and
// ±Inf included (the zero value of each means its default).
func TestOptionRanges(t *testing.T) {
	m := seq(t, InputSpec{Shape: []int{3}, Low: 0, High: 1}, randDense(newRand(1), 3, 2, true))
	e := NewExplainer(m)
	x := []float32{0.1, 0.2, 0.3}
	nan, inf := math.NaN(), math.Inf(1)
	for _, tc := range []struct {
		name string
		o    Options
		want string
	}{
		{"noise NaN", Options{Method: "smoothgrad", Noise: nan}, "noise NaN"},
		{"noise +Inf", Options{Method: "smoothgrad", Noise: inf}, "noise +Inf"},
		{"noise negative", Options{Method: "smoothgrad", Noise: -0.1}, "noise -0.1"},
		{"noise too large", Options{Method: "smoothgrad", Noise: 11}, "noise 11"},
		{"samples negative", Options{Method: "smoothgrad", Samples: -1}, "samples -1"},
		{"samples too many", Options{Method: "smoothgrad", Samples: MaxSamples + 1}, "samples 1025"},
		{"steps too many", Options{Method: "integrated_gradients", Steps: 1 << 30}, "steps 1073741824"},
		{"target", Options{Target: Class(2)}, "target 2 out of range"},
		{"start", Options{Start: Start(99)}, "unknown start 99"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.Explain(x, tc.o)
			requireErr(t, err, tc.want)
		})
	}
	for _, o := range []Options{{Method: "smoothgrad", Noise: MaxNoise, Samples: 2}, {Method: "integrated_gradients", Steps: MaxSteps}} {
		_, err := e.Explain(x, o)
		assert.NoError(t, err, "%+v at the edge of its range", o)
	}
}
