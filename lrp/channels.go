package lrp

import (
	"fmt"
	"math"
	"slices"
)

// The layers that act on the channels at every position of a [C][H][W]
// tensor (or on the features of a flat [C] one), which ShuffleNetV2 and
// ConvNeXt need: Slice and Shuffle move channels (a channel split and a
// channel shuffle), LayerNorm normalizes the channels of each position,
// and Scale multiplies each channel by a constant. Each channel is a
// block of len(x)/C values, one per position.

// Slice keeps every Step-th channel from Start up to Stop (exclusive), as
// ONNX Slice and Split on the channel axis write torch's chunk and
// indexing: y[c] = x[Start + c·Step] for c < ⌈(Stop − Start)/Step⌉.
type Slice struct{ Start, Stop, Step int }

// Shuffle is ShuffleNet's channel shuffle of Groups groups: the C
// channels, read as a [Groups][C/Groups] matrix, are transposed,
//
//	y[b·Groups + a] = x[a·(C/Groups) + b],  a < Groups, b < C/Groups,
//
// which is what PyTorch's x.view(N, g, C/g, H, W).transpose(1, 2)
// .reshape(N, C, H, W) computes: a permutation of the channels.
type Shuffle struct{ Groups int }

// LayerNorm normalizes the channels at every position p, as PyTorch's
// LayerNorm over the last axis of a channels-last tensor (ConvNeXt's,
// between two Transposes) computes it: with μ_p and σ²_p the mean and the
// biased variance of the C values x[·][p],
//
//	y[c][p] = (x[c][p] − μ_p) / √(σ²_p + Eps) · Gamma[c] + Beta[c].
//
// A flat [C] input is one position. Eps is positive.
type LayerNorm struct {
	Gamma, Beta []float32
	Eps         float32
}

// Scale is the diagonal affine layer y[c][p] = W[c]·x[c][p] + B[c]: a
// per-channel scale (ConvNeXt's layer scale, a Mul by a constant
// [C, 1, 1]) that the importer could not fold into the layer before it.
// B is nil for none.
type Scale struct {
	W, B []float32
}

func (*Slice) Kind() Kind     { return KindSlice }
func (*Shuffle) Kind() Kind   { return KindShuffle }
func (*LayerNorm) Kind() Kind { return KindLayerNorm }
func (*Scale) Kind() Kind     { return KindScale }

// shaped returns the one input shape of in, which must have a first axis.
func shaped(in [][]int, what string) ([]int, error) {
	s, err := one(in)
	if err == nil && len(s) == 0 {
		err = fmt.Errorf("lrp: %s needs a shaped input", what)
	}
	return s, err
}

func (l *Slice) OutShape(in [][]int) ([]int, error) {
	s, err := shaped(in, "slice")
	if err != nil {
		return nil, err
	}
	if l.Step < 1 || l.Start < 0 || l.Start >= l.Stop || l.Stop > s[0] {
		return nil, fmt.Errorf("lrp: slice %d:%d:%d of %d channels: want 0 ≤ start < stop ≤ channels and step ≥ 1", l.Start, l.Stop, l.Step, s[0])
	}
	out := slices.Clone(s)
	out[0] = (l.Stop-l.Start-1)/l.Step + 1
	return out, nil
}

func (l *Shuffle) OutShape(in [][]int) ([]int, error) {
	s, err := shaped(in, "shuffle")
	if err != nil {
		return nil, err
	}
	if l.Groups < 1 || s[0]%l.Groups != 0 {
		return nil, fmt.Errorf("lrp: shuffle of %d channels in %d groups: the groups must divide the channels", s[0], l.Groups)
	}
	return s, nil
}

func (l *LayerNorm) OutShape(in [][]int) ([]int, error) {
	s, err := shaped(in, "layernorm")
	if err != nil {
		return nil, err
	}
	if len(l.Gamma) != s[0] || len(l.Beta) != s[0] {
		return nil, fmt.Errorf("lrp: layernorm with %d/%d parameters for %d channels", len(l.Gamma), len(l.Beta), s[0])
	}
	if !(l.Eps > 0) || isBad(l.Eps) {
		return nil, fmt.Errorf("lrp: layernorm eps %v: want a positive number", l.Eps)
	}
	return s, nil
}

func (l *Scale) OutShape(in [][]int) ([]int, error) {
	s, err := shaped(in, "scale")
	if err != nil {
		return nil, err
	}
	if len(l.W) != s[0] || (l.B != nil && len(l.B) != s[0]) {
		return nil, fmt.Errorf("lrp: scale with %d weights and %d biases for %d channels", len(l.W), len(l.B), s[0])
	}
	return s, nil
}

// A router is a layer that moves values without computing: each output
// value is one input value (Concat, Slice, Shuffle). route sends the
// relevance (or gradient) r at its output back to where each value came
// from, dst[k] receiving input k's, zero where no output came from. It
// is both the gradient of the layer and its LRP rule: exact, nothing
// absorbed. in are the input shapes.
type router interface {
	Layer
	route(dst [][]float32, in [][]int, r []float32)
}

// route gives each input its own block of r: each input's values were
// one block of the output.
func (*Concat) route(dst [][]float32, _ [][]int, r []float32) {
	o := 0
	for _, d := range dst {
		o += copy(d, r[o:])
	}
}

// A channelMap is a layer whose output channel c is input channel
// from(c, C) of its C input channels: Slice and Shuffle.
type channelMap interface {
	Layer
	from(c, inC int) int
}

func (l *Slice) from(c, _ int) int { return l.Start + c*l.Step }

// from inverts c = b·Groups + a to the input channel a·(C/Groups) + b.
func (l *Shuffle) from(c, inC int) int { return c%l.Groups*(inC/l.Groups) + c/l.Groups }

// gather sets dst[c] = x[l.from(c)], channel by channel, for x of shape
// in.
func gather(l channelMap, dst, x []float32, in []int) {
	inner := len(x) / in[0]
	for c := range len(dst) / inner {
		k := l.from(c, in[0])
		copy(dst[c*inner:(c+1)*inner], x[k*inner:(k+1)*inner])
	}
}

// scatter is the transpose of gather: dst[l.from(c)] = r[c], zero in the
// channels no output came from.
func scatter(l channelMap, dst, r []float32, inC int) {
	inner := len(dst) / inC
	if len(r) < len(dst) {
		clear(dst)
	}
	for c := range len(r) / inner {
		k := l.from(c, inC)
		copy(dst[k*inner:(k+1)*inner], r[c*inner:(c+1)*inner])
	}
}

func (l *Slice) route(dst [][]float32, in [][]int, r []float32)   { scatter(l, dst[0], r, in[0][0]) }
func (l *Shuffle) route(dst [][]float32, in [][]int, r []float32) { scatter(l, dst[0], r, in[0][0]) }

// diagonal is a layer y[c][p] = s_c·x[c][p] + t_c: BatchNorm (unfolded)
// and Scale.
type diagonal interface {
	Layer
	channels() int
	scaleShift(c int) (s, t float32)
}

func (l *BatchNorm) channels() int { return len(l.Mean) }
func (l *Scale) channels() int     { return len(l.W) }

// scaleShift returns W[c] and B[c] (0 without a bias).
func (l *Scale) scaleShift(c int) (s, t float32) {
	if l.B != nil {
		t = l.B[c]
	}
	return l.W[c], t
}

// affineChannels sets dst = s_c·x + t_c per channel.
func affineChannels(l diagonal, dst, x []float32) {
	hw := len(x) / l.channels()
	for c := range l.channels() {
		s, t := l.scaleShift(c)
		for i := c * hw; i < (c+1)*hw; i++ {
			dst[i] = x[i]*s + t
		}
	}
}

// stats sets mu[p] to μ_p and inv[p] to 1/√(σ²_p + Eps) over the C
// channels of x at each position p, in float64, summed channel by channel
// so that x is read in order.
func (l *LayerNorm) stats(x []float32, mu, inv []float64) {
	C := len(l.Gamma)
	hw := len(x) / C
	clear(mu)
	clear(inv)
	for c := range C {
		for p, v := range x[c*hw : (c+1)*hw] {
			mu[p] += float64(v)
		}
	}
	for p := range mu {
		mu[p] /= float64(C)
	}
	for c := range C {
		for p, v := range x[c*hw : (c+1)*hw] {
			d := float64(v) - mu[p]
			inv[p] += d * d
		}
	}
	for p, v := range inv {
		inv[p] = 1 / math.Sqrt(v/float64(C)+float64(l.Eps))
	}
}

// forward: y = (x − μ)·inv·Gamma + Beta, with float64 scratch from a.
func (l *LayerNorm) forward(dst, x []float32, a *arena) {
	hw := len(x) / len(l.Gamma)
	acc := a.f64(2 * hw)
	mu, inv := acc[:hw], acc[hw:]
	l.stats(x, mu, inv)
	for c, g := range l.Gamma {
		b := float64(l.Beta[c])
		for p, v := range x[c*hw : (c+1)*hw] {
			dst[c*hw+p] = float32((float64(v)-mu[p])*inv[p]*float64(g) + b)
		}
	}
}

// grad sets dst to the gradient of the layer at x times r: with x̂ =
// (x − μ)·inv and g = Gamma ⊙ r at each position,
//
//	dst = inv·(g − mean_c g − x̂·mean_c(g ⊙ x̂)),
//
// in float64 with scratch from a.
func (l *LayerNorm) grad(dst, x, r []float32, a *arena) {
	C := len(l.Gamma)
	hw := len(x) / C
	acc := a.f64(4 * hw)
	mu, inv, mg, mgx := acc[:hw], acc[hw:2*hw], acc[2*hw:3*hw], acc[3*hw:]
	l.stats(x, mu, inv)
	clear(mg)
	clear(mgx)
	for c, gc := range l.Gamma {
		for p := range hw {
			t := c*hw + p
			g := float64(gc) * float64(r[t])
			mg[p] += g
			mgx[p] += g * (float64(x[t]) - mu[p]) * inv[p]
		}
	}
	for c, gc := range l.Gamma {
		for p := range hw {
			t := c*hw + p
			xh := (float64(x[t]) - mu[p]) * inv[p]
			g := float64(gc) * float64(r[t])
			dst[t] = float32(inv[p] * (g - mg[p]/float64(C) - xh*mgx[p]/float64(C)))
		}
	}
}
