package lrp_test

import (
	"errors"
	"fmt"
	"math"
	"path/filepath"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/parity"
)

// The torchvision families of the repository's test data: the ONNX
// exports of testdata/models (written by its make.py) and of
// testdata/zennit/arch, each with two inputs and PyTorch's logits. Every
// family that today's engine loads must give torch's logits and conserve
// relevance layer by layer as its rules say; every other one must be
// refused for the operator its entry names.

// A family is one model of the test data and what the engine does with it.
type family struct {
	// file is the model under testdata/, without ".onnx"; its inputs and
	// logits are in file + ".cases.json".
	file string
	// refused is "" for a family the engine loads. For one it refuses, it
	// is the operator of the first node refused, as model.UnsupportedError
	// names it: "(Op): what". Whoever adds that operator empties the
	// entry (or names the next operator refused).
	refused string
}

var families = []family{
	{"zennit/arch/squeezenet", ""},
	{"zennit/arch/densenet", ""},
	{"models/googlenet", ""},
	{"models/densenet", ""},
	{"models/efficientnet_b0", ""},
	{"models/mobilenet_v3_small", ""},
	{"models/mobilenet_v3_small.opset17", ""},
	{"models/shufflenet_v2_x0_5", ""},
	{"models/convnext_tiny", ""},
	{"models/convnext_tiny.opset17", ""},
	{"models/regnet_x_400mf", ""},
	{"models/resnet18", ""},
	{"models/mobilenet_v2", ""},
}

// loadFamily loads f's model as lrp parity does (DecodeONNX, then
// FoldBatchNorm) and reads its case file.
func loadFamily(t *testing.T, f family) (*lrp.Model, *parity.Case, error) {
	t.Helper()
	zennit, err := refdata.Dir()
	require.NoError(t, err)
	path := filepath.Join(filepath.Dir(zennit), filepath.FromSlash(f.file))
	c, err := parity.ReadCase(path + ".cases.json")
	require.NoError(t, err)
	require.NotEmpty(t, c.Inputs)
	require.Len(t, c.Logits, len(c.Inputs))
	m, _, err := parity.LoadModel(filepath.Dir(path), filepath.Base(path), parity.PreferONNX)
	return m, c, err
}

// loaded returns the families the engine loads today.
func loaded() []family {
	var out []family
	for _, f := range families {
		if f.refused == "" {
			out = append(out, f)
		}
	}
	return out
}

func TestFamiliesLoadAndMatchTorch(t *testing.T) {
	for _, f := range families {
		t.Run(f.file, func(t *testing.T) {
			m, c, err := loadFamily(t, f)
			if f.refused != "" {
				require.Error(t, err, "the family loads now: empty its refused entry")
				var u model.UnsupportedError
				require.True(t, errors.As(err, &u), "refused with an error that is no UnsupportedError: %v", err)
				require.Contains(t, err.Error(), f.refused, "refused for another operator now: update the entry")
				return
			}
			require.NoError(t, err)
			e := lrp.NewExplainer(m)
			for i, x := range c.Inputs {
				got, err := e.Forward(x)
				require.NoError(t, err)
				want := c.Logits[i]
				require.Len(t, got, len(want))
				// Within 1e-4 of the largest |logit| of torch's.
				worst := parity.RelErr(got, want)
				t.Logf("input %d: max |ours − torch| / max |torch| = %.2g", i, worst)
				assert.LessOrEqual(t, worst, 1e-4, "input %d: logits %v, torch %v", i, got, want)
				assert.Equal(t, c.Predicted[i], lrp.Argmax(got), "input %d: predicted class", i)
			}
		})
	}
}

// Conservation, layer by layer: every rule passes down a sum of relevance
// that its formula fixes from the relevance R at the layer's output, the
// layer's input x and output z, and its parameters — what it keeps, and
// what its bias and stabilizer absorb. expectation re-derives that sum
// independently (plain float64 loops over the layer's weights), and the
// test compares it with
//
//   - the diagnostics: In of every node, and Out against the relevance
//     the node holds;
//   - the relevance buffers themselves: what arrives at each tensor is the
//     sum of the shares its readers pass.
//
// The tolerance is 1e-5 of the mass of the terms that the share adds up,
// Σ|term| (for an affine rule Σ_j |g_j|·Σ_i |w_ji·x_i| with g = R / stab(D)):
// that is the scale of float32 rounding in any order of summation, and no
// smaller than Σ|R| where nothing cancels.

// A share is the relevance sum a rule passes to each input of a node, and
// the scale of its tolerance.
type share struct {
	in    []float64 // per input of the node
	scale float64   // Σ|terms| of the sums
}

// sumIn returns Σ in.
func (s share) sumIn() float64 {
	var t float64
	for _, v := range s.in {
		t += v
	}
	return t
}

func TestFamiliesConservation(t *testing.T) {
	const tol = 1e-5
	for _, f := range loaded() {
		t.Run(f.file, func(t *testing.T) {
			m, c, err := loadFamily(t, f)
			require.NoError(t, err)
			e := lrp.NewExplainer(m)
			cache := map[[2]int][][]float64{} // (input, node): the products of an affine node
			for _, name := range lrp.Composites() {
				comp, err := lrp.Builtin(name, nil)
				require.NoError(t, err)
				rules, err := comp.Assign(m)
				require.NoError(t, err)
				var worst float64
				for i, x := range c.Inputs {
					r, err := e.Explain(x, lrp.Options{Composite: comp, Target: lrp.Class(c.Predicted[i])})
					require.NoError(t, err)
					d := r.Diagnostics
					require.Len(t, d.Layers, len(m.Nodes))
					require.False(t, d.NaN)
					arrived := make([]float64, len(m.Nodes)+1) // per tensor (input first): the sum of the shares passed to it
					scales := make([]float64, len(m.Nodes)+1)
					arrived[len(m.Nodes)], scales[len(m.Nodes)] = sums(r.Start) // the output holds the start vector
					for _, ld := range d.Layers {
						n := ld.Node
						require.Equal(t, rules[n].Name(), ld.Rule, "node %d", n)
						rel := e.NodeRelevance(n)
						s, err := expectation(m, e, x, n, rules[n], rel, func(a affine, x []float32) [][]float64 {
							k := [2]int{i, n}
							if cache[k] == nil {
								cache[k] = a.terms(x)
							}
							return cache[k]
						})
						require.NoError(t, err, "node %d %s (%v, %s)", n, ld.Name, ld.Kind, ld.Rule)
						out, mass := sums(rel)
						where := fmt.Sprintf("%s input %d node %d %s (%v, %s %v)", name, i, n, ld.Name, ld.Kind, ld.Rule, rules[n].Params())
						require.InDelta(t, out, ld.Out, tol*mass+1e-30, "%s: Out", where)
						require.InDelta(t, s.sumIn(), ld.In, tol*s.scale+1e-30, "%s: In (Out %g)", where, ld.Out)
						if s.scale > 0 {
							worst = math.Max(worst, math.Abs(s.sumIn()-ld.In)/s.scale)
						}
						for k, j := range m.Nodes[n].Inputs {
							arrived[j+1] += s.in[k]
							scales[j+1] += s.scale
						}
					}
					// What each tensor holds is what its readers passed.
					for j := lrp.Input; j < len(m.Nodes); j++ {
						var have []float32
						if j == lrp.Input {
							have = r.Relevance
						} else {
							have = e.NodeRelevance(j)
						}
						got, _ := sums(have)
						require.InDelta(t, arrived[j+1], got, tol*scales[j+1]+1e-30, "%s input %d: relevance at tensor %d", name, i, j)
					}
				}
				t.Logf("%s: worst |In − expected| / scale %.2g", name, worst)
			}
		})
	}
}

// sums returns Σ v and Σ |v| in float64.
func sums(v []float32) (sum, abs float64) {
	for _, x := range v {
		sum += float64(x)
		abs += math.Abs(float64(x))
	}
	return sum, abs
}

// expectation returns what rule passes to the inputs of node n, from the
// relevance rel at its output and the activations of the explainer's last
// forward pass on x; terms returns the products of an affine node on its
// input (affine.terms).
func expectation(m *lrp.Model, e *lrp.Explainer, x []float32, n int, rule lrp.Rule, rel []float32, terms func(affine, []float32) [][]float64) (share, error) {
	nd := m.Nodes[n]
	in := func(k int) []float32 {
		if j := nd.Inputs[k]; j != lrp.Input {
			return e.Activation(j)
		}
		return x
	}
	z := e.Activation(n)
	if a, ok := affineOf(m, n); ok {
		return affineShare(m, a, rule, in(0), z, rel, terms(a, in(0)))
	}
	out, mass := sums(rel)
	one := share{[]float64{out}, mass}
	if s, ok := channelsShare(nd.Layer, rule, in(0), z, rel, one); ok {
		return s, nil
	}
	switch r := rule.(type) {
	case lrp.Pass:
		return one, nil // everything, unchanged
	case lrp.Norm:
		// The window's (or the sum's) share of each input, stabilized:
		// Σ_j R_j·y_j / stab(y_j) in all, the stabilizer absorbing the rest.
		switch nd.Layer.(type) {
		case *lrp.Add:
			a, b := in(0), in(1)
			var s share
			s.in = make([]float64, 2)
			for j, v := range rel {
				g := float64(v) / stab(z[j], r.Stab)
				s.in[0] += g * float64(a[j])
				s.in[1] += g * float64(b[j])
				s.scale += math.Abs(g) * (math.Abs(float64(a[j])) + math.Abs(float64(b[j])))
			}
			return s, nil
		case *lrp.AvgPool2D, *lrp.GlobalAvgPool:
			_, absPool := pooled(m, n, in(0))
			var s share
			s.in = make([]float64, 1)
			for j, v := range rel {
				g := float64(v) / stab(z[j], r.Stab)
				s.in[0] += g * float64(z[j])
				s.scale += math.Abs(g) * math.Max(absPool[j], math.Abs(float64(z[j])))
			}
			return s, nil
		}
	case lrp.Gradient:
		// (∂y/∂x)ᵀ·R summed: no conservation, but a fixed sum.
		switch l := nd.Layer.(type) {
		case *lrp.MaxPool2D, *lrp.Flatten, *lrp.GlobalAvgPool:
			return one, nil
		case *lrp.Add:
			return share{[]float64{out, out}, 2 * mass}, nil
		case *lrp.ReLU, *lrp.ReLU6:
			_, six := l.(*lrp.ReLU6)
			var s share
			s.in = make([]float64, 1)
			for j, v := range in(0) {
				if v > 0 && (!six || v < 6) {
					s.in[0] += float64(rel[j])
				}
			}
			s.scale = mass
			return s, nil
		case *lrp.AvgPool2D:
			// R_o/k_o to each of the window's inputs that are not padding.
			count, _ := pooled(m, n, in(0))
			var s share
			s.in = make([]float64, 1)
			for j, v := range rel {
				s.in[0] += float64(v) * count[j]
			}
			s.scale = mass
			return s, nil
		case *lrp.BatchNorm:
			hw := len(rel) / len(l.Mean)
			var s share
			s.in = make([]float64, 1)
			for j, v := range rel {
				c := j / hw
				k := float64(l.Gamma[c]) / math.Sqrt(float64(l.Var[c])+float64(l.Eps))
				s.in[0] += k * float64(v)
				s.scale += math.Abs(k * float64(v))
			}
			return s, nil
		}
	}
	return share{}, fmt.Errorf("no conservation property for a %v layer under rule %s: add it to expectation", nd.Layer.Kind(), rule.Name())
}

// stab is Zennit's stabilizer in float64, for a float32 denominator d.
func stab(d, eps float32) float64 { return stab64(float64(d), eps) }

func stab64(d float64, eps float32) float64 {
	if d < 0 {
		return d - float64(eps)
	}
	return d + float64(eps)
}

// pooled returns, for each output of average pooling node n with input
// x, the number of positions of its window that lie inside the input
// divided by the pooling's divisor (1 unless padded positions count), and
// the mean of |x| over the window.
func pooled(m *lrp.Model, n int, x []float32) (count, absMean []float64) {
	in, out := m.Shape(m.Nodes[n].Inputs[0]), m.Shape(n)
	c, h, w, oh, ow := in[0], in[1], in[2], out[1], out[2]
	kh, kw, sh, sw, pt, pl, includePad := h, w, 1, 1, 0, 0, false
	if l, ok := m.Nodes[n].Layer.(*lrp.AvgPool2D); ok {
		kh, kw, sh, sw, pt, pl, includePad = l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.CountIncludePad
	}
	count, absMean = make([]float64, c*oh*ow), make([]float64, c*oh*ow)
	for ch := range c {
		for oy := range oh {
			for ox := range ow {
				var valid, abs float64
				for u := range kh {
					for v := range kw {
						iy, ix := oy*sh+u-pt, ox*sw+v-pl
						if iy >= 0 && iy < h && ix >= 0 && ix < w {
							valid++
							abs += math.Abs(float64(x[(ch*h+iy)*w+ix]))
						}
					}
				}
				k := valid
				if includePad {
					k = float64(kh * kw)
				}
				o := (ch*oh+oy)*ow + ox
				count[o], absMean[o] = valid/k, abs/k
			}
		}
	}
	return count, absMean
}

// An affine is a Dense or Conv2D node as plain loops: its weights and
// biases, and the input positions each output reads.
type affine struct {
	w, b []float32
	out  int
	// taps calls f(i, k) for every input index i and weight index k that
	// output o reads (padding skipped).
	taps func(o int, f func(i, k int))
}

// affineOf returns node n as an affine, if it is one.
func affineOf(m *lrp.Model, n int) (affine, bool) {
	switch l := m.Nodes[n].Layer.(type) {
	case *lrp.Dense:
		return affine{l.W, l.B, l.Out, func(o int, f func(i, k int)) {
			for i := range l.In {
				f(i, o*l.In+i)
			}
		}}, true
	case *lrp.Conv2D:
		in, out := m.Shape(m.Nodes[n].Inputs[0]), m.Shape(n)
		h, w, oh, ow := in[1], in[2], out[1], out[2]
		cg, og := l.InC/l.Groups, l.OutC/l.Groups
		return affine{l.W, l.B, l.OutC * oh * ow, func(o int, f func(i, k int)) {
			// y[oc][oy][ox] reads x[g·cg+c][oy·SH+u·DH−PT][ox·SW+v·DW−PL] with W[oc][c][u][v].
			oc, oy, ox := o/(oh*ow), o/ow%oh, o%ow
			g := oc / og
			for c := range cg {
				for u := range l.KH {
					iy := oy*l.SH + u*l.DH - l.PT
					if iy < 0 || iy >= h {
						continue
					}
					for v := range l.KW {
						ix := ox*l.SW + v*l.DW - l.PL
						if ix < 0 || ix >= w {
							continue
						}
						f(((g*cg+c)*h+iy)*w+ix, ((oc*cg+c)*l.KH+u)*l.KW+v)
					}
				}
			}
		}}, true
	}
	return affine{}, false
}

// bias returns b_j of output o.
func (a affine) bias(o int) float64 {
	if a.b == nil {
		return 0
	}
	return float64(a.b[o*len(a.b)/a.out])
}

// products returns, per output, Σ_i ρ(w)·ξ(x_i) for each pair (ρ, ξ) of
// fs, in one pass over the taps.
func (a affine) products(x []float64, fs ...func(w, x float64) float64) [][]float64 {
	out := make([][]float64, len(fs))
	for k := range out {
		out[k] = make([]float64, a.out)
	}
	for o := range a.out {
		a.taps(o, func(i, k int) {
			w := float64(a.w[k])
			for f, fn := range fs {
				out[f][o] += fn(w, x[i])
			}
		})
	}
	return out
}

func pos(v float64) float64 { return math.Max(v, 0) }
func neg(v float64) float64 { return math.Min(v, 0) }

// terms returns the products of the layer on input x32 that the rules'
// sums are made of, per output: W⁺x⁺, W⁻x⁺, W⁺x⁻, W⁻x⁻, W·x, |W|·|x|,
// W·1, W²·1, 1·1 (the count of taps) and |W|·1, where 1 is ones inside the
// input (padding stays 0).
func (a affine) terms(x []float32) [][]float64 {
	t := make([][]float64, 10)
	for k := range t {
		t[k] = make([]float64, a.out)
	}
	P, N, Pn, Nn, Wx, A, W1, W2, F, absW1 := t[0], t[1], t[2], t[3], t[4], t[5], t[6], t[7], t[8], t[9]
	for o := range a.out {
		a.taps(o, func(i, k int) {
			w, v := float64(a.w[k]), float64(x[i])
			P[o] += pos(w) * pos(v)
			N[o] += neg(w) * pos(v)
			Pn[o] += pos(w) * neg(v)
			Nn[o] += neg(w) * neg(v)
			Wx[o] += w * v
			A[o] += math.Abs(w * v)
			W1[o] += w
			W2[o] += w * w
			F[o]++
			absW1[o] += math.Abs(w)
		})
	}
	return t
}

// affineShare returns what rule passes down through affine node a for
// output z (from the forward pass), relevance rel at its output and the
// products p of a.terms on its input: the relevance of every output j,
// R_j·num_j/stab(D_j), where D_j is the rule's denominator and num_j the
// part of it that the inputs contribute; the bias part and the stabilizer
// stay (the formulas of testdata/zennit/README.md).
func affineShare(m *lrp.Model, a affine, rule lrp.Rule, x32, z, rel []float32, p [][]float64) (share, error) {
	P, N, Pn, Nn, Wx, A, W1, W2, F, absW1 := p[0], p[1], p[2], p[3], p[4], p[5], p[6], p[7], p[8], p[9]
	s := share{in: make([]float64, 1)}
	// add passes R_j·num/stab(den) with terms of mass |R_j|·mass/|stab(den)|.
	add := func(j int, num, den float64, eps float32, mass float64) {
		g := float64(rel[j]) / stab64(den, eps)
		s.in[0] += g * num
		s.scale += math.Abs(g) * mass
	}
	switch r := rule.(type) {
	case lrp.Epsilon:
		// D = z from the forward pass; the bias share b_j/stab(z_j) and ε's stay.
		for j := range rel {
			add(j, Wx[j], float64(z[j]), r.Eps, A[j])
		}
	case lrp.Gamma:
		// Positive outputs: D⁺ = (W + γW⁺)·x⁺ + (W + γW⁻)·x⁻ + b + γb⁺; negative
		// ones: D⁻ = (W + γW⁻)·x⁺ + (W + γW⁺)·x⁻ + b + γb⁻; z_j = 0 passes nothing.
		g := float64(r.Gamma)
		for j := range rel {
			b := a.bias(j)
			switch {
			case z[j] > 0:
				num := (1+g)*P[j] + N[j] + Pn[j] + (1+g)*Nn[j]
				add(j, num, num+b+g*pos(b), r.Stab, (1+g)*A[j])
			case z[j] < 0:
				num := P[j] + (1+g)*N[j] + (1+g)*Pn[j] + Nn[j]
				add(j, num, num+b+g*neg(b), r.Stab, (1+g)*A[j])
			}
		}
	case lrp.ZPlus:
		// D = W⁺x⁺ + W⁻x⁻ + b⁺: b⁺ absorbs.
		for j := range rel {
			num := P[j] + Nn[j]
			add(j, num, num+pos(a.bias(j)), r.Stab, A[j])
		}
	case lrp.AlphaBeta:
		// α·(W⁺x⁺ + W⁻x⁻)/stab(… + b⁺) − β·(W⁻x⁺ + W⁺x⁻)/stab(… + b⁻).
		for j := range rel {
			b := a.bias(j)
			num := P[j] + Nn[j]
			add(j, float64(r.Alpha)*num, num+pos(b), r.Stab, float64(r.Alpha)*A[j])
			num = N[j] + Pn[j]
			add(j, -float64(r.Beta)*num, num+neg(b), r.Stab, float64(r.Beta)*A[j])
		}
	case lrp.ZBox:
		// D = z − (W⁺L + b⁺) − (W⁻H + b⁻); the bias cancels, the stabilizer absorbs.
		low, high := r.Low, r.High
		if low == nil {
			low, high = m.Bounds()
		}
		lo, hi := make([]float64, len(x32)), make([]float64, len(x32))
		for i := range lo {
			lo[i], hi[i] = float64(low[i*len(low)/len(lo)]), float64(high[i*len(high)/len(hi)])
		}
		q := a.products(lo, func(w, l float64) float64 { return pos(w) * l }, func(w, l float64) float64 { return math.Abs(w * l) })
		u := a.products(hi, func(w, h float64) float64 { return neg(w) * h }, func(w, h float64) float64 { return math.Abs(w * h) })
		for j := range rel {
			b := a.bias(j)
			num := Wx[j] - q[0][j] - u[0][j]
			add(j, num, float64(z[j])-q[0][j]-pos(b)-u[0][j]-neg(b), r.Stab, A[j]+q[1][j]+u[1][j])
		}
	case lrp.WSquare:
		// D = W²·1 + b²: b² absorbs.
		for j := range rel {
			b := a.bias(j)
			add(j, W2[j], W2[j]+b*b, r.Stab, W2[j])
		}
	case lrp.Flat:
		// D = 1·1, the number of inputs output j reads.
		for j := range rel {
			add(j, F[j], F[j], r.Stab, F[j])
		}
	case lrp.Gradient:
		// Wᵀ·R summed: Σ_j R_j·(W·1)_j.
		for j, v := range rel {
			s.in[0] += float64(v) * W1[j]
			s.scale += math.Abs(float64(v)) * absW1[j]
		}
	default:
		return share{}, fmt.Errorf("no conservation property for rule %s on an affine layer: add it to affineShare", rule.Name())
	}
	return s, nil
}

// The family table names every model file of testdata/models once.
func TestFamiliesCoverTestdataModels(t *testing.T) {
	zennit, err := refdata.Dir()
	require.NoError(t, err)
	files, err := filepath.Glob(filepath.Join(filepath.Dir(zennit), "models", "*.onnx"))
	require.NoError(t, err)
	require.NotEmpty(t, files)
	listed := map[string]bool{}
	for _, f := range families {
		listed[f.file] = true
	}
	for _, p := range files {
		name := "models/" + strings.TrimSuffix(filepath.Base(p), ".onnx")
		assert.True(t, listed[name], "%s is not in the family table", name)
	}
}

// channelsShare returns what rule passes through the channel kinds of
// ShuffleNetV2 and ConvNeXt, Slice, Shuffle, LayerNorm and Scale, for
// input x, output z and relevance rel at the output (one: all of it), and
// whether l is one of them under a rule it knows:
//
//   - Slice and Shuffle route each value's relevance back to where it
//     came from (Pass and Gradient alike): exact, everything passes;
//   - LayerNorm under Pass (AttnLRP's identity rule): everything passes;
//     under Gradient the sum of its gradient, with x̂ = (x − μ)/σ and
//     g = γ ⊙ R per position, Σ (g − mean g − x̂·mean(g ⊙ x̂))/σ;
//   - Scale under LRP-ε, a diagonal affine layer y = W·x + B: Σ x·W·R /
//     stab(y), the bias's and ε's shares absorbed; under Gradient Σ W·R.
func channelsShare(l lrp.Layer, rule lrp.Rule, x, z, rel []float32, one share) (share, bool) {
	switch l := l.(type) {
	case *lrp.Slice, *lrp.Shuffle:
		switch rule.(type) {
		case lrp.Pass, lrp.Gradient:
			return one, true
		}
	case *lrp.LayerNorm:
		switch rule.(type) {
		case lrp.Pass:
			return one, true
		case lrp.Gradient:
			C := len(l.Gamma)
			hw := len(x) / C
			s := share{in: make([]float64, 1)}
			for p := range hw {
				var mu, v, mg, mgx float64
				for c := range C {
					mu += float64(x[c*hw+p]) / float64(C)
				}
				for c := range C {
					d := float64(x[c*hw+p]) - mu
					v += d * d / float64(C)
				}
				sd := math.Sqrt(v + float64(l.Eps))
				for c := range C {
					g := float64(l.Gamma[c]) * float64(rel[c*hw+p])
					mg += g / float64(C)
					mgx += g * (float64(x[c*hw+p]) - mu) / sd / float64(C)
				}
				for c := range C {
					g := float64(l.Gamma[c]) * float64(rel[c*hw+p])
					xh := (float64(x[c*hw+p]) - mu) / sd
					s.in[0] += (g - mg - xh*mgx) / sd
					s.scale += (math.Abs(g) + math.Abs(mg) + math.Abs(xh*mgx)) / sd
				}
			}
			return s, true
		}
	case *lrp.Scale:
		hw := len(x) / len(l.W)
		s := share{in: make([]float64, 1)}
		switch r := rule.(type) {
		case lrp.Epsilon:
			for t, v := range rel {
				g := float64(v) / stab(z[t], r.Eps)
				s.in[0] += g * float64(x[t]) * float64(l.W[t/hw])
				s.scale += math.Abs(g * float64(x[t]) * float64(l.W[t/hw]))
			}
			return s, true
		case lrp.Gradient:
			for t, v := range rel {
				s.in[0] += float64(v) * float64(l.W[t/hw])
				s.scale += math.Abs(float64(v) * float64(l.W[t/hw]))
			}
			return s, true
		}
	}
	return share{}, false
}
