package model

import (
	"math"
	"slices"

	"github.com/lrpwasm/lrp/lrp"
)

// LayerNorm (opset 17's LayerNormalization, and the pattern older opsets
// write for it), Linear layers on the last axis of a channels-last tensor
// (MatMul, a 1×1 convolution), and per-channel scales (Mul by a constant
// of one value per channel): ConvNeXt's block, a Transpose to
// channels-last, LayerNorm, Linear, GELU, Linear, the Transpose back and
// a layer scale.

// An lnStage is how much of LayerNorm over the channel axis,
// (x − mean)/√(var + ε), a value holds: PyTorch before opset 17 writes it
// as ReduceMean, Sub, Pow(·, 2), ReduceMean, Add(·, ε), Sqrt, Div. Each
// step takes one stage to the next; the Div emits an lrp.LayerNorm of x
// (γ = 1, β = 0, which a Mul and an Add of constants then set).
type lnStage int

const (
	lnMean     lnStage = iota + 1 // mean of x over the channels
	lnCentered                    // x − mean
	lnSquare                      // (x − mean)²
	lnVar                         // var, the mean of (x − mean)²
	lnVarEps                      // var + ε
	lnStd                         // √(var + ε)
)

func (s lnStage) String() string {
	return [...]string{"", "mean(x)", "x − mean", "(x − mean)²", "var", "var + ε", "√(var + ε)"}[s]
}

// An lnPart is a value that holds stage of the LayerNorm of x, a computed
// tensor with no pending operation, with ε once the Add gave it. No layer
// may read it (padded).
type lnPart struct {
	stage lnStage
	x     *onnxVal
	eps   float32
}

// lnValue returns a value holding stage of the LayerNorm of x.
func lnValue(stage lnStage, x *onnxVal, eps float32) *onnxVal {
	return &onnxVal{kind: valTensor, node: x.node, shape: x.shape, layout: x.layout, ln: &lnPart{stage, x, eps}}
}

// same reports whether a and b are the values of one tensor, with no
// pending operation.
func same(a, b *onnxVal) bool {
	return a.plain() && b.plain() && a.node == b.node && a.layout == b.layout && slices.Equal(a.shape, b.shape)
}

// reduceMean converts ReduceMean: over height and width a global average
// pooling ([C][1][1] with keepdims, else flattened to [C]); over the
// channel axis, with keepdims, a step of LayerNorm.
func (c *onnxConverter) reduceMean(n *onnxNode) error {
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	axes, ok, err := c.attrInts(n, "axes")
	if err != nil {
		return err
	}
	if !ok { // opset 18 moved axes to an input
		if axes, ok, err = c.ints(n, 1); err != nil {
			return err
		}
	}
	keep, err := c.attrInt(n, "keepdims", 1)
	if err != nil {
		return err
	}
	if v.kind == valTensor && ok && len(axes) == 1 {
		r := int64(len(v.onnxDims()) + 1)
		if a := axes[0]; a == int64(v.channelAxis()) || a == int64(v.channelAxis())-r {
			if keep == 0 {
				return c.unsupported(n, "keepdims=0 over the channel axis; only LayerNorm's mean, with keepdims, is supported")
			}
			switch {
			case v.ln != nil && v.ln.stage == lnSquare:
				c.set(n, 0, lnValue(lnVar, v.ln.x, 0))
				return nil
			case v.ln == nil:
				x, err := c.pointwise(n, 0)
				if err != nil {
					return err
				}
				c.set(n, 0, lnValue(lnMean, x, 0))
				return nil
			}
		}
	}
	x, err := c.tensor(n, 0)
	if err != nil {
		return err
	}
	var seen [4]bool // the axes of [batch, C, H, W]
	for _, a := range axes {
		if a < 0 {
			a += 4
		}
		if a >= 0 && a < 4 {
			seen[a] = true
		}
	}
	if !ok || len(x.shape) != 3 || len(axes) != 2 || !seen[2] || !seen[3] {
		return c.unsupported(n, "axes %v of input shape %v; only the mean over height and width of [batch, C, H, W], and LayerNorm's over the channels, are supported", axes, x.shape)
	}
	if err := c.emit(n, &lrp.GlobalAvgPool{}, x); err != nil || keep != 0 {
		return err
	}
	pooled := &onnxVal{kind: valTensor, node: len(c.nodes) - 1, shape: []int{x.shape[0], 1, 1}, sole: true}
	return c.emitNamed(n, onnxName(n)+"/flatten", &lrp.Flatten{}, pooled)
}

// lnTensors converts Sub and Div of two computed tensors, which are
// supported only as LayerNorm's x − mean and (x − mean)/√(var + ε).
func (c *onnxConverter) lnTensors(n *onnxNode, a, b *onnxVal) error {
	switch {
	case n.op == "Sub" && a.ln == nil && b.ln != nil && b.ln.stage == lnMean && same(a, b.ln.x):
		c.set(n, 0, lnValue(lnCentered, b.ln.x, 0))
		return nil
	case n.op == "Div" && a.ln != nil && b.ln != nil && a.ln.stage == lnCentered && b.ln.stage == lnStd && same(a.ln.x, b.ln.x):
		x, C := a.ln.x, a.ln.x.shape[0]
		l := &lrp.LayerNorm{Gamma: make([]float32, C), Beta: make([]float32, C), Eps: b.ln.eps}
		for i := range l.Gamma {
			l.Gamma[i] = 1
		}
		return c.emit(n, l, x)
	}
	return c.unsupported(n, "%s of two computed tensors; only LayerNorm's (x − mean)/√(var + ε) is supported", n.op)
}

// lnStep takes LayerNorm one step for n, v op t, where v is input k of n
// and t the scalar constant input: var + ε. It reports whether n was such
// a step.
func (c *onnxConverter) lnStep(n *onnxNode, k int, v *onnxVal) (bool, error) {
	t, ok := c.scalar(n, 1-k)
	if !ok || v.ln == nil || v.ln.stage != lnVar || n.op != "Add" {
		return false, nil
	}
	if !(t > 0) || math.IsInf(float64(t), 0) {
		return true, c.unsupported(n, "LayerNorm's ε is %v; want a positive number", t)
	}
	c.set(n, 0, lnValue(lnVarEps, v.ln.x, t))
	return true, nil
}

// pow converts Pow, which is supported only as LayerNorm's (x − mean)².
func (c *onnxConverter) pow(n *onnxNode) error {
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	e, ok := c.scalar(n, 1)
	if !ok {
		if i, isInt, err := c.ints(n, 1); err == nil && isInt && len(i) == 1 {
			e, ok = float32(i[0]), true
		}
	}
	if v.kind != valTensor || v.ln == nil || v.ln.stage != lnCentered || !ok || e != 2 {
		return c.unsupported(n, "Pow is supported only as part of LayerNorm, (x − mean)²")
	}
	c.set(n, 0, lnValue(lnSquare, v.ln.x, 0))
	return nil
}

// sqrt converts Sqrt, which is supported only as LayerNorm's √(var + ε).
func (c *onnxConverter) sqrt(n *onnxNode) error {
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	if v.kind != valTensor || v.ln == nil || v.ln.stage != lnVarEps {
		return c.unsupported(n, "Sqrt is supported only as part of LayerNorm, √(var + ε)")
	}
	c.set(n, 0, lnValue(lnStd, v.ln.x, v.ln.eps))
	return nil
}

// layerNorm converts opset 17's LayerNormalization over the channel
// axis, the last: of a channels-last tensor, or of a flat [batch, C] one.
func (c *onnxConverter) layerNorm(n *onnxNode) error {
	x, err := c.pointwise(n, 0)
	if err != nil {
		return err
	}
	axis, err := c.attrInt(n, "axis", -1)
	if err != nil {
		return err
	}
	r := int64(len(x.onnxDims()) + 1)
	if axis < 0 {
		axis += r
	}
	if axis != r-1 || axis != int64(x.channelAxis()) {
		return c.unsupported(n, "axis=%d of a tensor of shape %s; only LayerNorm over the channels, the last axis of a channels-last or flat tensor, is supported",
			axis, shapeString(dims64(x.onnxDims())))
	}
	eps, err := c.attrFloat(n, "epsilon", 1e-5)
	if err != nil {
		return err
	}
	if !(eps > 0) {
		return c.unsupported(n, "epsilon %v; want a positive number", eps)
	}
	l := &lrp.LayerNorm{Eps: eps}
	for k, dst := range []*[]float32{&l.Gamma, &l.Beta} {
		t, err := c.constant(n, k+1, k == 1)
		if err != nil {
			return err
		}
		if t == nil { // no bias
			*dst = make([]float32, x.shape[0])
			continue
		}
		ch, ok := perChannel(t, x)
		if !ok {
			return c.bad(n, "input %d has dims %v, want one value per channel, [%d]", k+1, t.dims, x.shape[0])
		}
		c.elems[t.dtype] += len(t.f)
		*dst = ch
	}
	return c.emit(n, l, x)
}

// matMulChannels converts MatMul of a channels-last tensor [N, H, W, C]
// and a constant [C, C′]: a Linear layer on the last axis, which acts on
// the channels of each position as a 1×1 convolution of [N, C, H, W]
// does, y[o][p] = Σ_c W[c][o]·x[c][p]. The output stays channels-last.
func (c *onnxConverter) matMulChannels(n *onnxNode) error {
	x, err := c.pointwise(n, 0)
	if err != nil {
		return err
	}
	w, err := c.constant(n, 1, false)
	if err != nil {
		return err
	}
	if len(w.dims) != 2 || w.dims[0] != int64(x.shape[0]) || w.dims[1] < 1 {
		return c.unsupported(n, "weight dims %v for a channels-last input of %d channels; want [%d, out]", w.dims, x.shape[0], x.shape[0])
	}
	in, out := int(w.dims[0]), int(w.dims[1])
	l := &lrp.Conv2D{InC: in, OutC: out, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1, W: make([]float32, in*out)}
	c.elems[w.dtype] += len(w.f)
	for o := range out {
		for i := range in {
			l.W[o*in+i] = w.f[i*out+o]
		}
	}
	return c.emit(n, l, x)
}

// scaleChannels converts Mul of v, input k of n, by s, one value per
// channel: folded into the layer before it where that is exact for its
// rules too (a LayerNorm's γ and β, a Scale's weight and bias, and a
// Dense's or Conv's rows and bias when every factor is positive: scaling
// an output by a positive number leaves the proportions of every rule
// unchanged, but for ε's share), else an lrp.Scale.
func (c *onnxConverter) scaleChannels(n *onnxNode, k int, v *onnxVal, s []float32) error {
	if c.fusable(n, k, v) {
		var w, b []float32 // rows of len(w)/len(s) values per channel
		switch l := c.nodes[v.node].Layer.(type) {
		case *lrp.LayerNorm:
			w, b = l.Gamma, l.Beta
		case *lrp.Scale:
			w, b = l.W, l.B
		case *lrp.Dense:
			if positive(s) {
				w, b = l.W, l.B
			}
		case *lrp.Conv2D:
			if positive(s) {
				w, b = l.W, l.B
			}
		}
		if w != nil {
			per := len(w) / len(s)
			for i := range w {
				w[i] *= s[i/per]
			}
			for i := range b {
				b[i] *= s[i]
			}
			u := *v
			c.set(n, 0, &u)
			return nil
		}
	}
	x, err := c.pointwise(n, k)
	if err != nil {
		return err
	}
	return c.emit(n, &lrp.Scale{W: s}, x)
}

// positive reports whether every value of s is positive and finite.
func positive(s []float32) bool {
	for _, v := range s {
		if !(v > 0) || math.IsInf(float64(v), 1) {
			return false
		}
	}
	return true
}
