package lrp

import (
	"fmt"
	"slices"
	"strconv"
)

// Kind names a layer type.
type Kind int

// Layer kinds. KindConv and KindDense are the affine layers that carry
// weights and take the LRP rules proper.
const (
	KindDense Kind = iota
	KindConv
	KindReLU
	KindReLU6
	KindMaxPool
	KindAvgPool
	KindGlobalAvgPool
	KindFlatten
	KindAdd
	KindBatchNorm
	KindConcat
	KindMul
	KindSigmoid
	KindHardSigmoid
	KindSiLU
	KindHardSwish
	KindGELU
	KindLeakyReLU
	KindELU
	KindTanh
	KindSlice
	KindShuffle
	KindLayerNorm
	KindScale
	numKinds
)

var kindNames = [numKinds]string{"dense", "conv2d", "relu", "relu6", "maxpool2d", "avgpool2d", "global_avgpool2d", "flatten", "add", "batchnorm2d",
	"concat", "mul", "sigmoid", "hardsigmoid", "silu", "hardswish", "gelu", "leakyrelu", "elu", "tanh",
	"slice", "shuffle", "layernorm", "scale"}

// allKinds returns every kind, in order.
func allKinds() []Kind {
	k := make([]Kind, numKinds)
	for i := range k {
		k[i] = Kind(i)
	}
	return k
}

// String returns the kind's name as used in model files and composites.
func (k Kind) String() string {
	if k < 0 || k >= numKinds {
		return fmt.Sprintf("Kind(%d)", int(k))
	}
	return kindNames[k]
}

// MarshalText encodes the kind as its name.
func (k Kind) MarshalText() ([]byte, error) { return []byte(k.String()), nil }

// ParseKind returns the Kind named s.
func ParseKind(s string) (Kind, error) {
	for i, n := range kindNames {
		if n == s {
			return Kind(i), nil
		}
	}
	if s == "linear" {
		return KindDense, nil
	}
	return 0, fmt.Errorf("lrp: unknown layer kind %q", s)
}

// A Layer is one operation of a Model. The concrete types are *Dense,
// *Conv2D, *ReLU, *ReLU6, *MaxPool2D, *AvgPool2D, *GlobalAvgPool, *Flatten,
// *Add, *BatchNorm, *Concat, *Mul, the elementwise activations of
// activations.go (*Sigmoid, *HardSigmoid, *SiLU, *HardSwish, *GELU,
// *LeakyReLU, *ELU, *Tanh), and the channel layers of channels.go
// (*Slice, *Shuffle, *LayerNorm, *Scale).
type Layer interface {
	Kind() Kind
	// OutShape returns the output shape for the given input shapes, or an
	// error if the inputs do not fit the layer.
	OutShape(in [][]int) ([]int, error)
}

// Dense is y = W·x + b with W of shape [Out][In] (row-major).
type Dense struct {
	In, Out int
	W       []float32 // [Out][In]
	B       []float32 // [Out], or nil for no bias
}

// Conv2D is a 2-D convolution (cross-correlation, as in PyTorch and ONNX)
// with zero padding: y[o][i][j] = b[o] + Σ_{c,u,v} W[o][c][u][v]·x[g·C/G+c][i·SH+u·DH−PT][j·SW+v·DW−PL].
type Conv2D struct {
	InC, OutC      int
	KH, KW         int
	SH, SW         int       // strides, ≥ 1
	DH, DW         int       // dilations, ≥ 1
	PT, PL, PB, PR int       // zero padding: top, left, bottom, right
	Groups         int       // ≥ 1; InC and OutC are multiples of it
	W              []float32 // [OutC][InC/Groups][KH][KW]
	B              []float32 // [OutC], or nil
}

// ReLU is y = max(x, 0).
type ReLU struct{}

// ReLU6 is y = min(max(x, 0), 6).
type ReLU6 struct{}

// MaxPool2D takes the maximum over each window; padded positions never win.
// Ceil selects ceil mode (ONNX ceil_mode=1, PyTorch's ceil_mode=True): the
// output size rounds up, and the last window of an axis may reach past
// the input (see poolLen); positions past it never win either.
type MaxPool2D struct {
	KH, KW         int
	SH, SW         int
	PT, PL, PB, PR int
	Ceil           bool
}

// AvgPool2D averages each window. Padded positions count in the divisor
// only with CountIncludePad, as ONNX AveragePool defines it; in ceil mode
// (Ceil, as for MaxPool2D) the positions of a last window past the
// padding never count, as in PyTorch.
type AvgPool2D struct {
	KH, KW          int
	SH, SW          int
	PT, PL, PB, PR  int
	CountIncludePad bool
	Ceil            bool
}

// GlobalAvgPool averages each channel to one value: [C][H][W] → [C][1][1].
type GlobalAvgPool struct{}

// Flatten reshapes [C][H][W] to [C·H·W]; the data is unchanged.
type Flatten struct{}

// Add is the residual join y = a + b of two tensors of one shape.
type Add struct{}

// BatchNorm is the eval-mode y = (x − Mean)/sqrt(Var + Eps)·Gamma + Beta per
// channel. Model.FoldBatchNorm merges it into a preceding Conv2D or Dense;
// one that follows no such layer (DenseNet's, before a convolution) stays,
// a diagonal affine layer y = s·x + t per channel.
type BatchNorm struct {
	Mean, Var, Gamma, Beta []float32
	Eps                    float32
}

// Concat joins its inputs along the first axis, the channels of [C][H][W]
// tensors (the features of flat ones): y = [x₀; x₁; …], each input one
// block of the output, in order. The inputs agree on every other axis. It
// takes 1 to MaxInputs inputs (DenseNet concatenates every earlier feature
// map of a block, at most a few dozen).
type Concat struct{}

// Mul is the product of a signal x (input 0) and a gate g (input 1) with
// one value per channel, broadcast over the rest: y[c][i][j] = x[c][i][j]·g[c]
// for x of shape [C][H][W] and g of shape [C][1][1] (or y[c] = x[c]·g[c]
// for flat [C] tensors), as a squeeze-and-excitation block multiplies its
// gate into the signal.
type Mul struct{}

func (*Dense) Kind() Kind         { return KindDense }
func (*Conv2D) Kind() Kind        { return KindConv }
func (*ReLU) Kind() Kind          { return KindReLU }
func (*ReLU6) Kind() Kind         { return KindReLU6 }
func (*MaxPool2D) Kind() Kind     { return KindMaxPool }
func (*AvgPool2D) Kind() Kind     { return KindAvgPool }
func (*GlobalAvgPool) Kind() Kind { return KindGlobalAvgPool }
func (*Flatten) Kind() Kind       { return KindFlatten }
func (*Add) Kind() Kind           { return KindAdd }
func (*BatchNorm) Kind() Kind     { return KindBatchNorm }
func (*Concat) Kind() Kind        { return KindConcat }
func (*Mul) Kind() Kind           { return KindMul }

func one(in [][]int) ([]int, error) {
	if len(in) != 1 {
		return nil, fmt.Errorf("lrp: layer takes 1 input, got %d", len(in))
	}
	return in[0], nil
}

func chw(in [][]int) (c, h, w int, err error) {
	s, err := one(in)
	if err != nil {
		return 0, 0, 0, err
	}
	if len(s) != 3 {
		return 0, 0, 0, fmt.Errorf("lrp: layer needs a [C][H][W] input, got shape %v", s)
	}
	return s[0], s[1], s[2], nil
}

// outLen is the output length of a window of dilated extent e, (k−1)·d + 1
// for k taps with dilation d, sliding with stride s over n positions padded
// by p0 and p1 (floor mode): (n + p0 + p1 − e)/s + 1. Every layer and kernel
// computes its output size with it; windowOut checks its arguments first.
func outLen(n, e, s, p0, p1 int) int {
	return (n+p0+p1-e)/s + 1
}

// poolLen is the output length of a pooling window of k taps: outLen in
// floor mode; in ceil mode ⌈(n + p0 + p1 − k)/s⌉ + 1, less one if the last
// window would start past the input and its leading padding, as PyTorch
// computes it (pooling_output_shape), so that every window holds at least
// one input position (p0 < k, CheckPadding). Its arguments are checked
// as windowOut checks them.
func poolLen(n, k, s, p0, p1 int, ceil bool) int {
	if !ceil {
		return outLen(n, k, s, p0, p1)
	}
	o := (n+p0+p1-k+s-1)/s + 1
	if (o-1)*s >= n+p0 {
		o--
	}
	return o
}

// windowOut is outLen, or an error if the window does not fit the input.
func windowOut(n, e, s, p0, p1 int) (int, error) {
	if s < 1 || p0 < 0 || p1 < 0 || e < 1 || n+p0+p1-e < 0 {
		return 0, fmt.Errorf("lrp: window %d stride %d padding %d,%d does not fit input %d", e, s, p0, p1, n)
	}
	return outLen(n, e, s, p0, p1), nil
}

func numel(shape []int) int {
	n := 1
	for _, d := range shape {
		n *= d
	}
	return n
}

func (l *Dense) OutShape(in [][]int) ([]int, error) {
	s, err := one(in)
	if err != nil {
		return nil, err
	}
	if numel(s) != l.In || len(s) != 1 {
		return nil, fmt.Errorf("lrp: dense layer needs a flat input of %d, got shape %v", l.In, s)
	}
	if l.In < 1 || l.Out < 1 || len(l.W) != l.In*l.Out || (l.B != nil && len(l.B) != l.Out) {
		return nil, fmt.Errorf("lrp: dense %d→%d has %d weights and %d biases", l.In, l.Out, len(l.W), len(l.B))
	}
	return []int{l.Out}, nil
}

// CheckPadding returns an error if a padding pads (top, left, bottom,
// right) of a window of kh×kw taps with dilations dh×dw is as wide as the
// window's extent, (k−1)·d + 1, or wider: such padding only adds outputs
// that see no input, no exported model has it, and a hostile file could
// use it to ask for huge activations (a 1×1 convolution padded by 1024 of
// an 8×8 input has outputs of 2056×2056). Every decoder applies it through
// NewModel; the ONNX importer also before, to name the node.
func CheckPadding(kh, kw, dh, dw int, pads [4]int) error {
	eh, ew := (kh-1)*dh+1, (kw-1)*dw+1
	if pads[0] >= eh || pads[2] >= eh || pads[1] >= ew || pads[3] >= ew {
		return fmt.Errorf("lrp: padding %v is not smaller than the %dx%d window", pads, eh, ew)
	}
	return nil
}

func (l *Conv2D) OutShape(in [][]int) ([]int, error) {
	c, h, w, err := chw(in)
	if err != nil {
		return nil, err
	}
	if l.Groups < 1 || l.InC%l.Groups != 0 || l.OutC%l.Groups != 0 || c != l.InC {
		return nil, fmt.Errorf("lrp: conv2d with %d input channels and %d groups cannot take %d channels", l.InC, l.Groups, c)
	}
	if l.DH < 1 || l.DW < 1 || l.KH < 1 || l.KW < 1 {
		return nil, fmt.Errorf("lrp: conv2d kernel %dx%d dilation %dx%d invalid", l.KH, l.KW, l.DH, l.DW)
	}
	if len(l.W) != l.OutC*l.InC/l.Groups*l.KH*l.KW || (l.B != nil && len(l.B) != l.OutC) {
		return nil, fmt.Errorf("lrp: conv2d has %d weights and %d biases for shape [%d][%d][%d][%d]", len(l.W), len(l.B), l.OutC, l.InC/l.Groups, l.KH, l.KW)
	}
	if err := CheckPadding(l.KH, l.KW, l.DH, l.DW, [4]int{l.PT, l.PL, l.PB, l.PR}); err != nil {
		return nil, err
	}
	oh, err := windowOut(h, (l.KH-1)*l.DH+1, l.SH, l.PT, l.PB)
	if err != nil {
		return nil, err
	}
	ow, err := windowOut(w, (l.KW-1)*l.DW+1, l.SW, l.PL, l.PR)
	if err != nil {
		return nil, err
	}
	return []int{l.OutC, oh, ow}, nil
}

func (*ReLU) OutShape(in [][]int) ([]int, error)  { return one(in) }
func (*ReLU6) OutShape(in [][]int) ([]int, error) { return one(in) }

func poolOut(in [][]int, kh, kw, sh, sw, pt, pl, pb, pr int, ceil bool) ([]int, error) {
	c, h, w, err := chw(in)
	if err != nil {
		return nil, err
	}
	if kh < 1 || kw < 1 {
		return nil, fmt.Errorf("lrp: pool kernel %dx%d invalid", kh, kw)
	}
	if err := CheckPadding(kh, kw, 1, 1, [4]int{pt, pl, pb, pr}); err != nil {
		return nil, err
	}
	oh, err := windowOut(h, kh, sh, pt, pb)
	if err != nil {
		return nil, err
	}
	ow, err := windowOut(w, kw, sw, pl, pr)
	if err != nil {
		return nil, err
	}
	if ceil {
		oh, ow = poolLen(h, kh, sh, pt, pb, true), poolLen(w, kw, sw, pl, pr, true)
	}
	return []int{c, oh, ow}, nil
}

func (l *MaxPool2D) OutShape(in [][]int) ([]int, error) {
	return poolOut(in, l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.PB, l.PR, l.Ceil)
}

func (l *AvgPool2D) OutShape(in [][]int) ([]int, error) {
	return poolOut(in, l.KH, l.KW, l.SH, l.SW, l.PT, l.PL, l.PB, l.PR, l.Ceil)
}

func (*GlobalAvgPool) OutShape(in [][]int) ([]int, error) {
	c, _, _, err := chw(in)
	if err != nil {
		return nil, err
	}
	return []int{c, 1, 1}, nil
}

func (*Flatten) OutShape(in [][]int) ([]int, error) {
	s, err := one(in)
	if err != nil {
		return nil, err
	}
	return []int{numel(s)}, nil
}

func (*Concat) OutShape(in [][]int) ([]int, error) {
	if len(in) < 1 || len(in) > MaxInputs {
		return nil, fmt.Errorf("lrp: concat takes 1 to %d inputs, got %d", MaxInputs, len(in))
	}
	out := slices.Clone(in[0])
	if len(out) == 0 {
		return nil, fmt.Errorf("lrp: concat needs shaped inputs")
	}
	for k, s := range in[1:] {
		if len(s) != len(out) || !slices.Equal(s[1:], out[1:]) {
			return nil, fmt.Errorf("lrp: concat input %d has shape %v, input 0 %v: they must agree but on the first axis", k+1, s, in[0])
		}
		out[0] += s[0]
		if out[0] > MaxInputLen*64 {
			return nil, fmt.Errorf("lrp: concat of more than %d channels", MaxInputLen*64)
		}
	}
	return out, nil
}

func (*Mul) OutShape(in [][]int) ([]int, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("lrp: mul takes 2 inputs, got %d", len(in))
	}
	x, g := in[0], in[1]
	ok := len(x) > 0 && len(g) == len(x) && g[0] == x[0]
	for _, d := range g[min(1, len(g)):] {
		ok = ok && d == 1
	}
	if !ok {
		return nil, fmt.Errorf("lrp: mul of a signal %v and a gate %v: want a gate of one value per channel, [%s]", x, g, gateShape(x))
	}
	return x, nil
}

// gateShape writes the shape of a per-channel gate of a signal of shape x.
func gateShape(x []int) string {
	if len(x) == 0 {
		return ""
	}
	s := strconv.Itoa(x[0])
	for range x[1:] {
		s += " 1"
	}
	return s
}

func (*Add) OutShape(in [][]int) ([]int, error) {
	if len(in) != 2 {
		return nil, fmt.Errorf("lrp: add takes 2 inputs, got %d", len(in))
	}
	if !slices.Equal(in[0], in[1]) {
		return nil, fmt.Errorf("lrp: add of shapes %v and %v", in[0], in[1])
	}
	return in[0], nil
}

func (l *BatchNorm) OutShape(in [][]int) ([]int, error) {
	s, err := one(in)
	if err != nil {
		return nil, err
	}
	if len(s) == 0 {
		return nil, fmt.Errorf("lrp: batchnorm needs a shaped input")
	}
	c := s[0]
	if len(l.Mean) != c || len(l.Var) != c || len(l.Gamma) != c || len(l.Beta) != c {
		return nil, fmt.Errorf("lrp: batchnorm with %d/%d/%d/%d parameters for %d channels", len(l.Mean), len(l.Var), len(l.Gamma), len(l.Beta), c)
	}
	return s, nil
}
