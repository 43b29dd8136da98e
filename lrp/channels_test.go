package lrp

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Tests of the channel layers of ShuffleNetV2 and ConvNeXt (issue 19):
// Slice, Shuffle, LayerNorm and Scale, each against a plain loop, and
// their rules' conservation.

// Slice and Shuffle copy channels: output channel c is the input channel
// the formula names. Pass and Gradient send R back to where each value
// came from, zeros elsewhere: exact, and a copy's sum.
func TestChannelMaps(t *testing.T) {
	r := newRand(31)
	for _, tc := range []struct {
		l    Layer
		in   []int
		from func(c int) int // the input channel of output channel c
	}{
		{&Slice{Start: 0, Stop: 3, Step: 1}, []int{6, 2, 3}, func(c int) int { return c }},
		{&Slice{Start: 3, Stop: 6, Step: 1}, []int{6, 2, 3}, func(c int) int { return 3 + c }},
		{&Slice{Start: 1, Stop: 7, Step: 3}, []int{7, 2, 2}, func(c int) int { return 1 + 3*c }},
		{&Slice{Start: 2, Stop: 5, Step: 2}, []int{5}, func(c int) int { return 2 + 2*c }},
		{&Slice{Start: 0, Stop: 4, Step: 9}, []int{4, 1, 1}, func(int) int { return 0 }},
		// x.view(2, 3).t(): output c = 2b + a is input 3a + b.
		{&Shuffle{Groups: 2}, []int{6, 2, 2}, func(c int) int { return c%2*3 + c/2 }},
		{&Shuffle{Groups: 3}, []int{6, 1, 2}, func(c int) int { return c%3*2 + c/3 }},
		{&Shuffle{Groups: 1}, []int{4}, func(c int) int { return c }},
		{&Shuffle{Groups: 4}, []int{4}, func(c int) int { return c }},
	} {
		t.Run(fmt.Sprintf("%v%+v", tc.l.Kind(), tc.l), func(t *testing.T) {
			x := normals(r, numel(tc.in), 1)
			in := [][]int{tc.in}
			y := runLayer(t, tc.l, [][]float32{x}, in)
			inner := numel(tc.in[1:])
			want := make([]float64, len(y))
			for o := range want {
				want[o] = float64(x[tc.from(o/inner)*inner+o%inner])
			}
			requireClose(t, "y", y, want, 0)

			rel := normals(r, len(y), 1)
			back := make([]float64, len(x))
			for o, v := range rel {
				back[tc.from(o/inner)*inner+o%inner] += float64(v)
			}
			for _, rule := range []layerRule{Pass{}, Gradient{}} {
				dst := uniforms(r, len(x), 5, 6) // stale values, as a reused buffer holds
				rule.backward(&layerStep{l: tc.l, x: [][]float32{x}, in: in, y: y, r: rel, dst: [][]float32{dst}, a: &arena{}})
				requireClose(t, rule.Name(), dst, back, 0)
				assert.True(t, rule.copies(tc.l), "%s: the sum of R is known", rule.Name())
			}
		})
	}
	for _, tc := range []struct {
		l    Layer
		in   []int
		want string
	}{
		{&Slice{Start: 0, Stop: 0, Step: 1}, []int{4}, "slice 0:0:1 of 4 channels"},
		{&Slice{Start: 2, Stop: 5, Step: 1}, []int{4, 1, 1}, "slice 2:5:1 of 4 channels"},
		{&Slice{Start: -1, Stop: 2, Step: 1}, []int{4}, "slice -1:2:1"},
		{&Slice{Start: 0, Stop: 2, Step: 0}, []int{4}, "step ≥ 1"},
		{&Slice{Start: 0, Stop: 1, Step: 1}, []int{}, "slice needs a shaped input"},
		{&Shuffle{Groups: 3}, []int{4, 2, 2}, "shuffle of 4 channels in 3 groups"},
		{&Shuffle{Groups: 0}, []int{4}, "in 0 groups"},
	} {
		_, err := tc.l.OutShape([][]int{tc.in})
		requireErr(t, err, tc.want)
	}
}

// plainLayerNorm is LayerNorm written out, per position, in float64.
func plainLayerNorm(l *LayerNorm, x []float64) []float64 {
	C := len(l.Gamma)
	hw := len(x) / C
	y := make([]float64, len(x))
	for p := range hw {
		var mu, v float64
		for c := range C {
			mu += x[c*hw+p]
		}
		mu /= float64(C)
		for c := range C {
			v += (x[c*hw+p] - mu) * (x[c*hw+p] - mu)
		}
		sd := math.Sqrt(v/float64(C) + float64(l.Eps))
		for c := range C {
			y[c*hw+p] = (x[c*hw+p]-mu)/sd*float64(l.Gamma[c]) + float64(l.Beta[c])
		}
	}
	return y
}

// LayerNorm normalizes the channels of every position; Pass (AttnLRP's
// identity rule) copies R, and Gradient is the layer's gradient, which
// matches central differences of the formula.
func TestLayerNorm(t *testing.T) {
	r := newRand(32)
	for _, in := range [][]int{{5, 2, 3}, {4}, {3, 1, 1}, {1, 2, 2}} {
		t.Run(fmt.Sprint(in), func(t *testing.T) {
			l := &LayerNorm{Gamma: uniforms(r, in[0], 0.5, 1.5), Beta: normals(r, in[0], 0.1), Eps: 1e-6}
			x := normals(r, numel(in), 2)
			y := runLayer(t, l, [][]float32{x}, [][]int{in})
			requireClose(t, "y", y, plainLayerNorm(l, to64(x)), 1e-6)

			rel := normals(r, len(y), 1)
			dst := make([]float32, len(x))
			step := &layerStep{l: l, x: [][]float32{x}, in: [][]int{in}, y: y, r: rel, dst: [][]float32{dst}, a: &arena{}}
			Pass{}.backward(step)
			assert.Equal(t, rel, dst, "pass: R unchanged")
			assert.True(t, Pass{}.copies(l), "pass copies")

			Gradient{}.backward(step)
			const h = 1e-4
			x64 := to64(x)
			for i := range x {
				xp, xm := append([]float64(nil), x64...), append([]float64(nil), x64...)
				xp[i] += h
				xm[i] -= h
				yp, ym := plainLayerNorm(l, xp), plainLayerNorm(l, xm)
				var d float64
				for o := range yp {
					d += (yp[o] - ym[o]) / (2 * h) * float64(rel[o])
				}
				assert.InDeltaf(t, d, float64(dst[i]), 1e-4*math.Max(1, math.Abs(d)), "gradient at %d", i)
			}
		})
	}
	for _, tc := range []struct {
		l    *LayerNorm
		want string
	}{
		{&LayerNorm{Gamma: []float32{1, 1}, Beta: []float32{0}, Eps: 1e-5}, "layernorm with 2/1 parameters for 2 channels"},
		{&LayerNorm{Gamma: []float32{1, 1}, Beta: []float32{0, 0}}, "layernorm eps 0"},
		{&LayerNorm{Gamma: []float32{1, 1}, Beta: []float32{0, 0}, Eps: float32(math.NaN())}, "layernorm eps NaN"},
	} {
		_, err := tc.l.OutShape([][]int{{2, 3, 3}})
		requireErr(t, err, tc.want)
	}
}

// A Scale is y = W·x + B per channel; under LRP-ε a diagonal affine
// layer: R_in = x·W·R / stab(y), the bias and ε keeping the rest.
func TestScaleEpsilon(t *testing.T) {
	r := newRand(33)
	for _, bias := range []bool{false, true} {
		l := &Scale{W: normals(r, 3, 1)}
		if bias {
			l.B = normals(r, 3, 0.5)
		}
		in := [][]int{{3, 2, 2}}
		x := normals(r, 12, 1)
		y := runLayer(t, l, [][]float32{x}, in)
		want := make([]float64, 12)
		for i := range x {
			want[i] = float64(l.W[i/4]) * float64(x[i])
			if bias {
				want[i] += float64(l.B[i/4])
			}
		}
		requireClose(t, "y", y, want, 1e-7)

		rel := normals(r, 12, 1)
		dst := make([]float32, 12)
		rule := Epsilon{1e-3}
		require.NoError(t, rule.check(KindScale))
		rule.backward(&layerStep{l: l, x: [][]float32{x}, in: in, y: y, r: rel, dst: [][]float32{dst}})
		kept := make([]float64, 12)
		var absorbed float64
		for i := range x {
			z := want[i]
			kept[i] = float64(x[i]) * float64(l.W[i/4]) * float64(rel[i]) / (z + 1e-3*sign(z))
			absorbed += (z - float64(x[i])*float64(l.W[i/4]) + 1e-3*sign(z)) * float64(rel[i]) / (z + 1e-3*sign(z))
		}
		requireClose(t, "R_in", dst, kept, 1e-5)
		assert.InDelta(t, sum64(rel)-absorbed, sum64(dst), 1e-5*sumAbs(rel), "bias %v: R_in sums to R less the bias's and ε's shares", bias)

		Gradient{}.backward(&layerStep{l: l, x: [][]float32{x}, in: in, y: y, r: rel, dst: [][]float32{dst}})
		for i := range want {
			want[i] = float64(rel[i]) * float64(l.W[i/4])
		}
		requireClose(t, "gradient", dst, want, 1e-7)
	}
	_, err := (&Scale{W: []float32{1, 2}, B: []float32{1}}).OutShape([][]int{{2}})
	requireErr(t, err, "scale with 2 weights and 1 biases for 2 channels")
}

func sumAbs(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += math.Abs(float64(x))
	}
	return s
}

// channelsModel has a layer of every channel kind, as ShuffleNetV2's
// and ConvNeXt's blocks use them: a channel split of one tensor in two
// halves, one half through a branch, the halves concatenated and
// shuffled; a LayerNorm, 1×1 convolutions with GELU between, a Scale and
// a residual Add; a strided slice.
func channelsModel(t testing.TB) *Model {
	r := newRand(34)
	conv := func(in, out, k, pad int) *Conv2D {
		g := geometry(in, out, k, k)
		g.PT, g.PL, g.PB, g.PR = pad, pad, pad, pad
		return randConv(r, g, true)
	}
	m, err := NewModel("channels", InputSpec{Shape: []int{4, 6, 6}, Low: 0, High: 1}, []Node{
		{"stem", conv(4, 8, 3, 1), []int{Input}},                // 0
		{"relu", &ReLU{}, []int{0}},                             // 1
		{"half1", &Slice{Start: 0, Stop: 4, Step: 1}, []int{1}}, // 2
		{"half2", &Slice{Start: 4, Stop: 8, Step: 1}, []int{1}}, // 3
		{"branch", conv(4, 4, 1, 0), []int{3}},                  // 4
		{"brelu", &ReLU{}, []int{4}},                            // 5
		{"cat", &Concat{}, []int{2, 5}},                         // 6
		{"shuffle", &Shuffle{Groups: 2}, []int{6}},              // 7
		{"norm", &LayerNorm{Gamma: uniforms(r, 8, 0.5, 1.5), Beta: normals(r, 8, 0.1), Eps: 1e-6}, []int{7}}, // 8
		{"pw1", conv(8, 16, 1, 0), []int{8}},                                             // 9
		{"gelu", &GELU{}, []int{9}},                                                      // 10
		{"pw2", conv(16, 8, 1, 0), []int{10}},                                            // 11
		{"scale", &Scale{W: uniforms(r, 8, 0.5, 1.5), B: normals(r, 8, 0.1)}, []int{11}}, // 12
		{"add", &Add{}, []int{12, 7}},                                                    // 13
		{"every3", &Slice{Start: 1, Stop: 8, Step: 3}, []int{13}},                        // 14: [3 6 6]
		{"pool", &GlobalAvgPool{}, []int{14}},                                            // 15
		{"flat", &Flatten{}, []int{15}},                                                  // 16
		{"fc", randDense(r, 3, 5, true), []int{16}},                                      // 17
	}, nil)
	require.NoError(t, err)
	return m
}

// The channel kinds in every composite: Slice, Shuffle and LayerNorm
// pass relevance on exactly (Pass), the Scale's LRP-ε absorbs its bias's
// and ε's shares; the split tensor receives the sum of its halves'.
func TestChannelsConservation(t *testing.T) {
	m := channelsModel(t)
	x := uniforms(newRand(35), m.InputLen(), 0, 1)
	e := NewExplainer(m)
	for _, method := range Composites() {
		res, err := e.Explain(x, Options{Method: method})
		require.NoError(t, err, method)
		require.False(t, res.Diagnostics.NaN, method)
		byNode := map[int]LayerDiag{}
		for _, d := range res.Diagnostics.Layers {
			byNode[d.Node] = d
			what := fmt.Sprintf("%s: node %d (%s) rule %s", method, d.Node, d.Name, d.Rule)
			want := "pass"
			switch {
			case method == "gradient":
				want = "gradient"
			case d.Kind == KindScale:
				want = "epsilon"
			}
			switch d.Kind {
			case KindSlice, KindShuffle, KindLayerNorm, KindScale:
				assert.Equal(t, want, d.Rule, what)
			}
			switch {
			case d.Kind == KindSlice || d.Kind == KindShuffle || d.Kind == KindLayerNorm && d.Rule == "pass":
				assert.InDeltaf(t, d.Out, d.In, 1e-12*math.Abs(d.Out), "%s conserves", what)
			case d.Kind == KindScale && d.Rule == "epsilon":
				l := m.Nodes[d.Node].Layer.(*Scale)
				y, rel := e.Activation(d.Node), e.NodeRelevance(d.Node)
				hw := len(y) / len(l.W)
				var kept float64
				for i, v := range y { // x·W = y − B
					kept += (float64(v) - float64(l.B[i/hw])) * float64(rel[i]) / (float64(v) + 1e-6*sign(float64(v)))
				}
				assert.InDeltaf(t, kept, d.In, 1e-5*sumAbs(rel), "%s: R less the bias's and ε's shares", what)
			}
		}
		if method == "gradient" {
			continue
		}
		// What reaches the split tensor is what its two halves pass on.
		assert.InDelta(t, byNode[2].In+byNode[3].In, byNode[1].Out, 1e-9*math.Abs(byNode[1].Out), "%s: the halves add up", method)
	}
}

// The Gradient composite's relevance through the channel kinds is the
// gradient: it matches central differences of the forward pass.
func TestChannelsGradient(t *testing.T) { checkGradient(t, channelsModel(t), 36, 1) }
