package lrp

import (
	"math"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// startModel is a small MLP with five classes.
func startModel(t *testing.T) *Model {
	r := newRand(10)
	return seq(t, InputSpec{Shape: []int{6}, Low: 0, High: 1}, randDense(r, 6, 8, true), &ReLU{}, randDense(r, 8, 5, true))
}

// logOddsOf is log(p_c / (1 − p_c)) = −log Σ_{c'≠c} exp(z_c' − z_c), in float64.
func logOddsOf(z []float32, c int) float64 {
	var s float64
	for i, v := range z {
		if i != c {
			s += math.Exp(float64(v) - float64(z[c]))
		}
	}
	return -math.Log(s)
}

func TestStartVectors(t *testing.T) {
	m := startModel(t)
	e := NewExplainer(m)
	x := uniforms(newRand(11), 6, 0, 1)
	for _, target := range []Target{{}, Class(0), Class(3)} {
		for _, st := range []Start{OneHot, Logit, Probability, LogOdds, Contrastive} {
			res, err := e.Explain(x, Options{Method: "epsilon", Start: st, Target: target})
			require.NoError(t, err)
			z, s, c := res.Logits, res.Start, res.Target
			pred := Argmax(z)
			wantC := pred
			if k, fixed := target.Class(); fixed {
				wantC = k
			}
			require.Equalf(t, pred, res.Predicted, "predicted %d target %d, want %d and %d", res.Predicted, c, pred, wantC)
			require.Equalf(t, wantC, c, "predicted %d target %d, want %d and %d", res.Predicted, c, pred, wantC)
			var den float64
			for _, v := range z {
				den += math.Exp(float64(v))
			}
			p := math.Exp(float64(z[c])) / den
			assert.InDeltaf(t, p, float64(res.Probabilities[c]), 1e-6, "p[%d] = %v, want %v", c, res.Probabilities[c], p)
			want := make([]float64, len(z))
			switch st {
			case OneHot:
				want[c] = 1
			case Logit:
				want[c] = float64(z[c])
			case Probability:
				want[c] = p
			case Contrastive:
				for i := range want {
					want[i] = -1.0 / float64(len(z)-1)
				}
				want[c] = 1
			}
			if st == LogOdds {
				// The stabilizer of each logit difference d moves the sum
				// by up to |L|·1e-6/min|d| (see TestLogOdds).
				L := logOddsOf(z, c)
				minD := math.Inf(1)
				for i, v := range z {
					if i != c {
						minD = math.Min(minD, math.Abs(float64(z[c])-float64(v)))
					}
				}
				tol := 1e-5*math.Max(1, math.Abs(L)) + math.Abs(L)*1e-6/minD
				assert.InDeltaf(t, L, sumf(s), tol, "target %d: log-odds start sums to %.9g, want log(p/(1−p)) = %.9g ± %.2g", c, sumf(s), L, tol)
			} else {
				requireClose(t, st.String(), s, want, 1e-6)
			}
			if st == Contrastive {
				assert.Zerof(t, sumf(s), "contrastive start sums to %g, want 0", sumf(s))
			}
			assert.Equalf(t, sumf(s), res.Diagnostics.StartSum, "%v: StartSum %v, sum of Start %v", st, res.Diagnostics.StartSum, sumf(s))
		}
	}
}

// Every rule of the epsilon composite is linear in the relevance it
// receives, so the relevance for a start vector s is Σ_k s_k times the
// relevance for e_k: the start vector is what is propagated.
func TestStartIsPropagated(t *testing.T) {
	m := startModel(t)
	e := NewExplainer(m)
	x := uniforms(newRand(12), 6, 0, 1)
	basis := make([][]float32, m.Classes())
	for k := range basis {
		res, err := e.Explain(x, Options{Method: "epsilon", Target: Class(k)})
		require.NoError(t, err)
		basis[k] = append([]float32(nil), res.Relevance...)
	}
	for _, st := range []Start{Logit, Probability, LogOdds, Contrastive} {
		res, err := e.Explain(x, Options{Method: "epsilon", Start: st, Target: Class(1)})
		require.NoError(t, err)
		want := make([]float64, len(x))
		for k, sk := range res.Start {
			for i, v := range basis[k] {
				want[i] += float64(sk) * float64(v)
			}
		}
		requireClose(t, st.String(), res.Relevance, want, 1e-5)
	}
}

func TestLogOdds(t *testing.T) {
	for _, tc := range []struct {
		z []float32
		c int
	}{
		{[]float32{2, -1}, 0},
		{[]float32{2, -1}, 1},
		{[]float32{1, 2, 3, 4}, 3},
		{[]float32{1, 2, 3, 4}, 0},
		{[]float32{100, 0, -100}, 0},   // p_c rounds to 1 in float64: no log(1/0)
		{[]float32{-100, 0, 100}, 0},   // p_c rounds to 0
		{[]float32{0.5, 0.5001, 3}, 0}, // a near tie: the share of class 1 loses d/stab(d)
	} {
		s := make([]float32, len(tc.z))
		logOdds(s, tc.z, tc.c)
		L := logOddsOf(tc.z, tc.c)
		// The documented sum: L·w_c'·d_c'/stab(d_c') over c' ≠ c, which is L
		// unless some d_c' is within a few ε of zero.
		var want, den float64
		for i, v := range tc.z {
			if i != tc.c {
				den += math.Exp(float64(v) - float64(tc.z[tc.c]))
			}
		}
		for i, v := range tc.z {
			if i != tc.c {
				d := float64(tc.z[tc.c]) - float64(v)
				w := math.Exp(-d) / den
				want += L * w * d / float64(stab(float32(d), 1e-6))
			}
		}
		t.Logf("z %v c %d: sum %.9g, L %.9g, documented %.9g, start %v", tc.z, tc.c, sumf(s), L, want, s)
		// LessOrEqual, not InDelta: a NaN sum must fail even when want is NaN.
		assert.LessOrEqualf(t, math.Abs(sumf(s)-want), 1e-5*math.Max(1, math.Abs(want)), "z %v c %d: start sums to %.9g, want %.9g", tc.z, tc.c, sumf(s), want)
		if len(tc.z) == 2 {
			// Two classes: L = d, so the start is (z_c, −z_c')·d/stab(d).
			d := float64(tc.z[tc.c]) - float64(tc.z[1-tc.c])
			k := d / float64(stab(float32(d), 1e-6))
			want := make([]float64, 2)
			want[tc.c], want[1-tc.c] = float64(tc.z[tc.c])*k, -float64(tc.z[1-tc.c])*k
			requireClose(t, "two classes", s, want, 1e-7)
		}
	}
}

func TestDiagnosticsChain(t *testing.T) {
	for _, mc := range compositeModels(t)[:3] { // the sequential ones
		x := uniforms(newRand(13), mc.m.InputLen(), 0, 1)
		e := NewExplainer(mc.m)
		for _, method := range []string{"epsilon_gamma_box", "lrp0", "alpha2beta1", "epsilon_plus_flat"} {
			res, err := e.Explain(x, Options{Method: method, Start: Logit})
			require.NoError(t, err)
			d := res.Diagnostics
			ls := d.Layers
			require.Lenf(t, ls, len(mc.m.Nodes), "%s/%s: %d layer records for %d nodes", mc.name, method, len(ls), len(mc.m.Nodes))
			assert.Truef(t, ls[0].Out == d.StartSum && ls[len(ls)-1].In == d.InputSum,
				"%s/%s: chain ends %v→%v, want start %v and input %v", mc.name, method, ls[0].Out, ls[len(ls)-1].In, d.StartSum, d.InputSum)
			for k, l := range ls {
				want := len(ls) - 1 - k
				assert.Truef(t, l.Node == want && l.Kind == mc.m.Nodes[want].Layer.Kind(),
					"%s/%s: record %d is node %d (%v), want %d", mc.name, method, k, l.Node, l.Kind, want)
				assert.Equalf(t, l.Out-l.In, l.Absorbed, "%s/%s node %d: absorbed %v ≠ out %v − in %v", mc.name, method, l.Node, l.Absorbed, l.Out, l.In)
				if k > 0 {
					assert.Equalf(t, ls[k-1].In, ls[k].Out, "%s/%s: node %d Out %v ≠ node %d In %v", mc.name, method, l.Node, l.Out, ls[k-1].Node, ls[k-1].In)
				}
				assert.Falsef(t, l.NaN, "%s/%s node %d: NaN", mc.name, method, l.Node)
			}
			assert.Equalf(t, sumf(res.Relevance), d.InputSum, "%s/%s: InputSum %v, sum of Relevance %v", mc.name, method, d.InputSum, sumf(res.Relevance))
			var p, a float64
			for _, v := range res.Relevance {
				p += math.Max(float64(v), 0)
				a += math.Abs(float64(v))
			}
			assert.Truef(t, d.PositiveShare >= 0 && d.PositiveShare <= 1 && !(math.Abs(d.PositiveShare-p/a) > 1e-12),
				"%s/%s: PositiveShare %v, want %v in [0, 1]", mc.name, method, d.PositiveShare, p/a)
			assert.Truef(t, !d.NaN && d.Consistent, "%s/%s: NaN %v Consistent %v, want false and true", mc.name, method, d.NaN, d.Consistent)
		}
	}
}

// A zero denominator with ε = 0 gives R/0: Diagnostics must say so.
func TestDiagnosticsNaN(t *testing.T) {
	m := seq(t, InputSpec{Shape: []int{2}, Low: 0, High: 1}, &Dense{In: 2, Out: 2, W: []float32{1, 1, 1, -1}})
	e := NewExplainer(m)
	res, err := e.Explain([]float32{0, 0}, Options{Method: "lrp0", Params: Params{"epsilon": 0}})
	require.NoError(t, err)
	assert.Truef(t, res.Diagnostics.NaN && res.Diagnostics.Layers[0].NaN,
		"0/0 in the relevance: Diagnostics.NaN %v, layer NaN %v, want true", res.Diagnostics.NaN, res.Diagnostics.Layers[0].NaN)
	// The default ε turns the same division into 0/ε = 0.
	res, err = e.Explain([]float32{0, 0}, Options{Method: "lrp0"})
	require.NoError(t, err)
	d := res.Diagnostics
	assert.Truef(t, !d.NaN && d.PositiveShare == 0 && d.InputSum == 0 && d.Consistent, "zero input: %+v, want no NaN, zero sums, consistent", d)
}

// Consistent flags "start relevance zero but input relevance not" (the
// Logit start at a zero logit). A contrastive start is a non-zero vector
// whose entries sum to 0; its explanation is consistent.
func TestDiagnosticsConsistent(t *testing.T) {
	m := startModel(t)
	e := NewExplainer(m)
	x := uniforms(newRand(14), 6, 0, 1)
	for _, st := range []Start{OneHot, Logit, Probability, LogOdds, Contrastive} {
		res, err := e.Explain(x, Options{Method: "epsilon", Start: st})
		require.NoError(t, err)
		assert.Truef(t, res.Diagnostics.Consistent, "%v start %v (sum %g), relevance sum %g: Consistent false, want true",
			st, res.Start, res.Diagnostics.StartSum, res.Diagnostics.InputSum)
	}
	// A zero logit with the Logit start: zero start, zero relevance.
	z := seq(t, InputSpec{Shape: []int{2}, Low: 0, High: 1}, &Dense{In: 2, Out: 2, W: []float32{1, 1, 0, 0}})
	res, err := NewExplainer(z).Explain([]float32{0.5, 0.5}, Options{Method: "epsilon", Start: Logit, Target: Class(1)})
	require.NoError(t, err)
	d := res.Diagnostics
	assert.Truef(t, d.StartSum == 0 && d.InputSum == 0 && d.Consistent, "zero logit: %+v, want zero sums and consistent", d)
}

func TestStartAndKindNames(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Start
	}{{"", OneHot}, {"onehot", OneHot}, {"one-hot", OneHot}, {"logit", Logit}, {"prob", Probability},
		{"probability", Probability}, {"log-odds", LogOdds}, {"logodds", LogOdds}, {"contrastive", Contrastive}} {
		got, err := ParseStart(tc.in)
		if assert.NoErrorf(t, err, "ParseStart(%q)", tc.in) {
			assert.Equalf(t, tc.want, got, "ParseStart(%q)", tc.in)
		}
	}
	for k := KindDense; k < numKinds; k++ {
		got, err := ParseKind(k.String())
		if assert.NoErrorf(t, err, "ParseKind(%q)", k.String()) {
			assert.Equalf(t, k, got, "ParseKind(%q)", k.String())
		}
	}
	k, err := ParseKind("linear")
	if assert.NoError(t, err, "ParseKind(linear)") {
		assert.Equal(t, KindDense, k, "ParseKind(linear)")
	}
	assert.Equal(t, "Start(9)", Start(9).String())
}
