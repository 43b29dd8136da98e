package lrp

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// naiveConvT is the transposed convolution as a plain loop: dst = Wᵀ·g, the
// gradient of W*x with respect to x, in float64.
func naiveConvT(l *Conv2D, w, g []float64, in []int) []float64 {
	h, wd := in[1], in[2]
	oh := (h+l.PT+l.PB-(l.KH-1)*l.DH-1)/l.SH + 1
	ow := (wd+l.PL+l.PR-(l.KW-1)*l.DW-1)/l.SW + 1
	cg, og := l.InC/l.Groups, l.OutC/l.Groups
	dst := make([]float64, numel(in))
	for o := 0; o < l.OutC; o++ {
		grp := o / og
		for i := 0; i < oh; i++ {
			for j := 0; j < ow; j++ {
				gv := g[(o*oh+i)*ow+j]
				for c := 0; c < cg; c++ {
					for u := 0; u < l.KH; u++ {
						for v := 0; v < l.KW; v++ {
							yy, xx := i*l.SH+u*l.DH-l.PT, j*l.SW+v*l.DW-l.PL
							if yy >= 0 && yy < h && xx >= 0 && xx < wd {
								dst[((grp*cg+c)*h+yy)*wd+xx] += w[((o*cg+c)*l.KH+u)*l.KW+v] * gv
							}
						}
					}
				}
			}
		}
	}
	return dst
}

// Conv2D forward and its transpose against the plain loops, over strides,
// dilations, asymmetric paddings and groups, and a layer deep and wide
// enough to cross any blocking of the matrix product.
func TestConv2DAgainstLoops(t *testing.T) {
	type geom struct {
		inC, outC, kh, kw, sh, sw, dh, dw, pt, pl, pb, pr, groups int
		h, w                                                      int
	}
	for _, g := range []geom{
		{1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 1, 4, 4},
		{3, 4, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 7, 6},
		{2, 3, 3, 2, 2, 3, 1, 1, 0, 0, 0, 0, 1, 9, 10},
		{2, 2, 3, 3, 1, 1, 2, 3, 2, 3, 2, 3, 1, 8, 9},
		{4, 6, 2, 3, 2, 1, 1, 2, 1, 0, 1, 1, 2, 7, 8},
		{6, 6, 3, 3, 2, 2, 1, 1, 0, 1, 1, 0, 6, 9, 9},   // depthwise, padding on one side per axis
		{4, 8, 5, 1, 1, 1, 1, 1, 4, 0, 0, 0, 4, 5, 3},   // padding larger than the kernel's reach on one side
		{30, 70, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 9, 9}, // 270 products per output, 70 channels
	} {
		name := fmt.Sprintf("%+v", g)
		c := geometry(g.inC, g.outC, g.kh, g.kw)
		c.SH, c.SW, c.DH, c.DW, c.PT, c.PL, c.PB, c.PR, c.Groups = g.sh, g.sw, g.dh, g.dw, g.pt, g.pl, g.pb, g.pr, g.groups
		r := newRand(uint64(30 + g.inC + g.outC))
		l := randConv(r, c, true)
		in := []int{g.inC, g.h, g.w}
		m := seq(t, InputSpec{Shape: in, Low: 0, High: 1}, l, &Flatten{})
		x := normals(r, numel(in), 1)
		want, oh, ow := naiveConv(l, to64(l.W), to64(l.B), to64(x), g.h, g.w)
		require.Equalf(t, []int{g.outC, oh, ow}, m.Shape(0), "%s: shape", name)
		e := NewExplainer(m)
		got, err := e.Forward(x)
		require.NoError(t, err)
		requireClose(t, name+" forward", got, want, 1e-6)
		gr := normals(r, len(got), 1)
		e.backward(x, []Rule{Gradient{}, Gradient{}}, gr)
		requireClose(t, name+" transpose", e.relIn, naiveConvT(l, to64(l.W), to64(gr), in), 1e-6)
	}
}

func TestDenseAgainstLoops(t *testing.T) {
	for _, n := range [][2]int{{1, 1}, {3, 700}, {600, 5}, {300, 70}} {
		r := newRand(uint64(40 + n[0]))
		l := randDense(r, n[0], n[1], true)
		m := seq(t, InputSpec{Shape: []int{n[0]}, Low: 0, High: 1}, l)
		x := normals(r, n[0], 1)
		want, wantT := make([]float64, n[1]), make([]float64, n[0])
		g := normals(r, n[1], 1)
		for o := range n[1] {
			want[o] = float64(l.B[o])
			for i := range n[0] {
				want[o] += float64(l.W[o*n[0]+i]) * float64(x[i])
				wantT[i] += float64(l.W[o*n[0]+i]) * float64(g[o])
			}
		}
		e := NewExplainer(m)
		got, err := e.Forward(x)
		require.NoError(t, err)
		requireClose(t, fmt.Sprintf("dense %d→%d forward", n[0], n[1]), got, want, 1e-6)
		e.backward(x, []Rule{Gradient{}}, g)
		requireClose(t, fmt.Sprintf("dense %d→%d transpose", n[0], n[1]), e.relIn, wantT, 1e-6)
	}
}

// Average pooling with zero padding on the 3×3 input 1..9, worked by hand:
// with CountIncludePad the divisor is always k·k, without it the number of
// in-bounds values of the window.
func TestAvgPoolPadding(t *testing.T) {
	x := []float32{1, 2, 3, 4, 5, 6, 7, 8, 9}
	for _, tc := range []struct {
		name    string
		pool    AvgPool2D
		include bool
		want    []float64
		grad    []float64 // gradient of the sum of all outputs
	}{
		// 2×2 windows, stride 2, padding 1 all round: windows {1}, {2,3}, {4,7}, {5,6,8,9}.
		{"stride 2 pad 1 include", AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1}, true,
			[]float64{0.25, 1.25, 2.75, 7}, []float64{0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25}},
		{"stride 2 pad 1 exclude", AvgPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1}, false,
			[]float64{1, 2.5, 5.5, 7}, []float64{1, 0.5, 0.5, 0.5, 0.25, 0.25, 0.5, 0.25, 0.25}},
		// 2×2 windows, stride 1, padding top 1 and right 1: rows {i−1, i}, columns {j, j+1}.
		{"stride 1 pad top right include", AvgPool2D{KH: 2, KW: 2, SH: 1, SW: 1, PT: 1, PR: 1}, true,
			[]float64{0.75, 1.25, 0.75, 3, 4, 2.25, 6, 7, 3.75}, []float64{0.5, 1, 1, 0.5, 1, 1, 0.25, 0.5, 0.5}},
		{"stride 1 pad top right exclude", AvgPool2D{KH: 2, KW: 2, SH: 1, SW: 1, PT: 1, PR: 1}, false,
			[]float64{1.5, 2.5, 3, 3, 4, 4.5, 6, 7, 7.5}, []float64{0.75, 1.5, 2.25, 0.5, 1, 1.5, 0.25, 0.5, 0.75}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			p := tc.pool
			p.CountIncludePad = tc.include
			out := len(tc.want)
			ones := make([]float32, out)
			for i := range ones {
				ones[i] = 1
			}
			m := seq(t, InputSpec{Shape: []int{1, 3, 3}, Low: 0, High: 10}, &p, &Flatten{}, &Dense{In: out, Out: 1, W: ones})
			e := NewExplainer(m)
			_, err := e.Forward(x)
			require.NoError(t, err)
			requireClose(t, "forward", e.acts[0], tc.want, 1e-7)
			requireClose(t, "gradient", explain(t, e, x, Options{Method: "gradient"}).Relevance, tc.grad, 1e-7)
			// Norm: R_i = x_i·Σ_o R_o/(k_o·stab(y_o)) conserves whatever the divisor.
			res := explain(t, e, x, Options{Method: "lrp0"})
			var pool LayerDiag
			for _, d := range res.Diagnostics.Layers {
				if d.Kind == KindAvgPool {
					pool = d
				}
			}
			assert.Truef(t, pool.Rule == "norm" && !(math.Abs(pool.In-pool.Out) > 1e-6*math.Abs(pool.Out)),
				"avgpool %s: in %v out %v, want norm to conserve", pool.Rule, pool.In, pool.Out)
		})
	}
}

// The gradient of ReLU and ReLU6 is 1 strictly inside the linear range, 0
// at and beyond its ends; BatchNorm's is its per-channel scale.
func TestActivationGradients(t *testing.T) {
	x := []float32{-1, 0, 3, 6, 7}
	ones := &Dense{In: 5, Out: 1, W: []float32{1, 1, 1, 1, 1}}
	for _, tc := range []struct {
		act  Layer
		want []float64
	}{
		{&ReLU{}, []float64{0, 0, 1, 1, 1}},
		{&ReLU6{}, []float64{0, 0, 1, 0, 0}},
	} {
		m := seq(t, InputSpec{Shape: []int{5}, Low: -10, High: 10}, tc.act, ones)
		got := explain(t, NewExplainer(m), x, Options{Method: "gradient"}).Relevance
		requireClose(t, tc.act.Kind().String(), got, tc.want, 0)
		// In LRP composites they pass relevance unchanged.
		d := explain(t, NewExplainer(m), x, Options{Method: "epsilon"}).Diagnostics.Layers[1]
		assert.Truef(t, d.Rule == "pass" && d.In == d.Out, "%v in LRP: %+v, want pass", tc.act.Kind(), d)
	}
	bn := &BatchNorm{Mean: []float32{1, -1}, Var: []float32{4, 0.25}, Gamma: []float32{2, 3}, Beta: []float32{0.5, 0}, Eps: 0}
	m := seq(t, InputSpec{Shape: []int{2, 1, 1}, Low: 0, High: 1}, bn, &Flatten{}, &Dense{In: 2, Out: 1, W: []float32{1, 1}})
	e := NewExplainer(m)
	logits, err := e.Forward([]float32{3, 1})
	require.NoError(t, err)
	// (3−1)/2·2 + 0.5 = 2.5 and (1+1)/0.5·3 = 12.
	assert.Equal(t, float32(14.5), logits[0], "batchnorm forward")
	requireClose(t, "batchnorm gradient", explain(t, e, []float32{3, 1}, Options{Method: "gradient"}).Relevance, []float64{1, 6}, 0)
}
