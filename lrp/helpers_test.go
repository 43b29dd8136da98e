package lrp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// Shared test helpers: seeded random tensors, small models and comparison
// with the largest difference printed.

func newRand(seed uint64) *rand.Rand { return rand.New(rand.NewPCG(seed, 0x1e57)) }

// normals returns n values from N(0, scale²).
func normals(r *rand.Rand, n int, scale float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(r.NormFloat64() * scale)
	}
	return v
}

// uniforms returns n values uniform in [lo, hi).
func uniforms(r *rand.Rand, n int, lo, hi float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(lo + (hi-lo)*r.Float64())
	}
	return v
}

func to64(v []float32) []float64 {
	out := make([]float64, len(v))
	for i, x := range v {
		out[i] = float64(x)
	}
	return out
}

func to32(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func sumf(v []float32) float64 {
	var s float64
	for _, x := range v {
		s += float64(x)
	}
	return s
}

// maxRelDiff returns max_i |got_i − want_i| / max_i |want_i| (the absolute
// difference when want is zero), and the index of the largest difference.
func maxRelDiff(got []float32, want []float64) (rel float64, at int) {
	var d, scale float64
	for i := range want {
		scale = math.Max(scale, math.Abs(want[i]))
		if e := math.Abs(float64(got[i]) - want[i]); e > d || math.IsNaN(e) {
			d, at = e, i
			if math.IsNaN(e) {
				d = math.Inf(1)
			}
		}
	}
	if scale == 0 {
		return d, at
	}
	return d / scale, at
}

// requireClose fails unless got matches want to tol relative to max|want|,
// and logs the largest difference either way.
func requireClose(t *testing.T, what string, got []float32, want []float64, tol float64) {
	t.Helper()
	require.Lenf(t, got, len(want), "%s: got %d values, want %d", what, len(got), len(want))
	rel, at := maxRelDiff(got, want)
	t.Logf("%s: max rel diff %.3g (at %d: got %g, want %g)", what, rel, at, got[at], want[at])
	// LessOrEqual fails on NaN as well (it cannot compare it).
	assert.LessOrEqualf(t, rel, tol, "%s: max rel diff %.3g > %g at %d: got %g, want %g", what, rel, tol, at, got[at], want[at])
}

// requireErr fails unless err is non-nil, starts with "lrp: " exactly once,
// and contains every substring of want.
func requireErr(t *testing.T, err error, want ...string) {
	t.Helper()
	require.Errorf(t, err, "got no error, want one containing %q", want)
	msg := err.Error()
	assert.Truef(t, strings.HasPrefix(msg, "lrp: ") && strings.Count(msg, "lrp: ") == 1,
		"error %q: want exactly one leading \"lrp: \"", msg)
	for _, w := range want {
		assert.ErrorContainsf(t, err, w, "error %q: want it to contain %q", msg, w)
	}
}

// seq builds a sequential model: node i reads node i−1 (the first reads the
// input).
func seq(t testing.TB, in InputSpec, layers ...Layer) *Model {
	t.Helper()
	nodes := make([]Node, len(layers))
	for i, l := range layers {
		nodes[i] = Node{Name: l.Kind().String(), Layer: l, Inputs: []int{i - 1}}
	}
	m, err := NewModel("test", in, nodes, nil)
	require.NoError(t, err, "NewModel")
	return m
}

func randDense(r *rand.Rand, in, out int, bias bool) *Dense {
	d := &Dense{In: in, Out: out, W: normals(r, in*out, 1/math.Sqrt(float64(in)))}
	if bias {
		d.B = normals(r, out, 0.3)
	}
	return d
}

// randConv returns a Conv2D with random weights and bias; c holds the geometry.
func randConv(r *rand.Rand, c Conv2D, bias bool) *Conv2D {
	l := c
	fan := c.InC / c.Groups * c.KH * c.KW
	l.W = normals(r, c.OutC*fan, 1/math.Sqrt(float64(fan)))
	l.B = nil
	if bias {
		l.B = normals(r, c.OutC, 0.3)
	}
	return &l
}

// geometry returns a Conv2D with the given channels and kernel, stride 1,
// dilation 1, no padding and one group; callers change what they need.
func geometry(inC, outC, kh, kw int) Conv2D {
	return Conv2D{InC: inC, OutC: outC, KH: kh, KW: kw, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1}
}

// naiveConv is the oracle for Conv2D: a plain loop over
// y[o][i][j] = b[o] + Σ_{c,u,v} w[o][c][u][v]·x[g·Cg+c][i·SH+u·DH−PT][j·SW+v·DW−PL]
// in float64, with w of the layer's shape and b possibly nil.
func naiveConv(l *Conv2D, w, b, x []float64, h, wd int) (y []float64, oh, ow int) {
	oh = (h+l.PT+l.PB-(l.KH-1)*l.DH-1)/l.SH + 1
	ow = (wd+l.PL+l.PR-(l.KW-1)*l.DW-1)/l.SW + 1
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	y = make([]float64, l.OutC*oh*ow)
	for o := 0; o < l.OutC; o++ {
		g := o / og
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				s := 0.0
				if b != nil {
					s = b[o]
				}
				for c := 0; c < cg; c++ {
					for u := 0; u < l.KH; u++ {
						for v := 0; v < l.KW; v++ {
							yy := i*l.SH + u*l.DH - l.PT
							xx := j*l.SW + v*l.DW - l.PL
							if yy < 0 || yy >= h || xx < 0 || xx >= wd {
								continue
							}
							s += w[((o*cg+c)*l.KH+u)*l.KW+v] * x[((g*cg+c)*h+yy)*wd+xx]
						}
					}
				}
				y[(o*oh+i)*ow+j] = s
			}
		}
	}
	return y, oh, ow
}

func TestNaiveConvByHand(t *testing.T) {
	// 1×3×3 input 1..9, one 2×2 kernel of ones, padding 1 on the top only:
	// every output is the sum of its in-bounds window.
	l := geometry(1, 1, 2, 2)
	l.PT = 1
	x := []float64{1, 2, 3, 4, 5, 6, 7, 8, 9}
	got, oh, ow := naiveConv(&l, []float64{1, 1, 1, 1}, []float64{0.5}, x, 3, 3)
	want := []float64{3.5, 5.5, 12.5, 16.5, 24.5, 28.5}
	require.Equalf(t, [2]int{3, 2}, [2]int{oh, ow}, "output %dx%d, want 3x2", oh, ow)
	assert.Equal(t, want, got, "y")
}

// checkGradient explains an input of m (uniform in [0.2, 0.8], from seed)
// with the gradient baseline for class k, and compares 12 of its values
// (chosen from seed+1) with central differences of the forward pass.
func checkGradient(t *testing.T, m *Model, seed uint64, k int) {
	t.Helper()
	x := uniforms(newRand(seed), m.InputLen(), 0.2, 0.8)
	res, err := NewExplainer(m).Explain(x, Options{Method: "gradient", Target: Class(k)})
	require.NoError(t, err)
	g := append([]float32(nil), res.Relevance...)
	r := newRand(seed + 1)
	for range 12 {
		i := r.IntN(len(x))
		const h = 1e-2
		xp, xm := append([]float32(nil), x...), append([]float32(nil), x...)
		xp[i] += h
		xm[i] -= h
		zp, err := m.Forward(xp)
		require.NoError(t, err)
		zm, err := m.Forward(xm)
		require.NoError(t, err)
		d := (float64(zp[k]) - float64(zm[k])) / (2 * h)
		assert.InDeltaf(t, d, float64(g[i]), 2e-3*math.Max(1, math.Abs(d)), "∂z%d/∂x[%d]", k, i)
	}
}
