package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lrpwasm/lrp/lrp"
)

// onnxMaxAttr bounds kernel sizes, strides, dilations and pads, so that no
// shape computed from them can overflow.
const onnxMaxAttr = 1 << 16

// allow rejects attributes of n other than names, and repeated ones.
func (c *onnxConverter) allow(n *onnxNode, names ...string) error {
	for k, a := range n.attrs {
		if !slices.Contains(names, a.name) {
			return c.unsupported(n, "attribute %q is not supported", a.name)
		}
		for _, b := range n.attrs[:k] {
			if b.name == a.name {
				return c.bad(n, "attribute %q is repeated", a.name)
			}
		}
	}
	return nil
}

// attr returns the attribute name of n, nil if absent, checking its type.
func (c *onnxConverter) attr(n *onnxNode, name string, typ int64) (*onnxAttr, error) {
	for _, a := range n.attrs {
		if a.name != name {
			continue
		}
		if a.typ != attrUnknown && a.typ != typ {
			return nil, c.bad(n, "attribute %q has type %d, want %d", name, a.typ, typ)
		}
		return a, nil
	}
	return nil, nil
}

func (c *onnxConverter) attrInt(n *onnxNode, name string, def int64) (int64, error) {
	a, err := c.attr(n, name, attrInt)
	if a == nil || err != nil {
		return def, err
	}
	return a.i, nil
}

// attrFloat returns a float attribute, which must be finite when present.
func (c *onnxConverter) attrFloat(n *onnxNode, name string, def float32) (float32, error) {
	a, err := c.attr(n, name, attrFloat)
	if a == nil || err != nil {
		return def, err
	}
	if math.IsNaN(float64(a.f)) || math.IsInf(float64(a.f), 0) {
		return 0, c.bad(n, "attribute %q is %v", name, a.f)
	}
	return a.f, nil
}

func (c *onnxConverter) attrString(n *onnxNode, name, def string) (string, error) {
	a, err := c.attr(n, name, attrString)
	if a == nil || err != nil {
		return def, err
	}
	return string(a.s), nil
}

func (c *onnxConverter) attrInts(n *onnxNode, name string) ([]int64, bool, error) {
	a, err := c.attr(n, name, attrInts)
	if a == nil || err != nil {
		return nil, false, err
	}
	return a.ints, true, nil
}

// A window is the geometry of a Conv or pooling node.
type window struct {
	k, s, d [2]int // kernel, strides, dilations (height, width)
	pads    [4]int // top, left, bottom, right
}

// window reads kernel_shape, strides, dilations, pads and auto_pad of n.
// kernel, if not nil, is the kernel size given by the weights.
func (c *onnxConverter) window(n *onnxNode, kernel []int64) (window, error) {
	var w window
	ap, err := c.attrString(n, "auto_pad", "NOTSET")
	if err != nil {
		return w, err
	}
	if ap != "NOTSET" && ap != "VALID" && ap != "" {
		return w, c.unsupported(n, "auto_pad=%s; only explicit pads are supported", ap)
	}
	pair := func(name string, def []int64, dst *[2]int) error {
		v, ok, err := c.attrInts(n, name)
		if err != nil {
			return err
		}
		if !ok {
			v = def
		}
		if v == nil {
			return c.bad(n, "attribute %s is missing", name)
		}
		if len(v) != 2 {
			return c.unsupported(n, "%s %v; only 2-D windows are supported", name, v)
		}
		for k, x := range v {
			if x < 1 || x > onnxMaxAttr {
				return c.bad(n, "%s %v out of range [1, %d]", name, v, onnxMaxAttr)
			}
			dst[k] = int(x)
		}
		return nil
	}
	if err := pair("kernel_shape", kernel, &w.k); err != nil {
		return w, err
	}
	if kernel != nil && (int64(w.k[0]) != kernel[0] || int64(w.k[1]) != kernel[1]) {
		return w, c.bad(n, "kernel_shape %v does not match the weights' %v", w.k, kernel)
	}
	if err := pair("strides", []int64{1, 1}, &w.s); err != nil {
		return w, err
	}
	if err := pair("dilations", []int64{1, 1}, &w.d); err != nil {
		return w, err
	}
	p, ok, err := c.attrInts(n, "pads")
	if err != nil || !ok {
		return w, err
	}
	if len(p) != 4 {
		return w, c.bad(n, "pads %v: want 4 values", p)
	}
	for k, x := range p {
		if x < 0 || x > onnxMaxAttr {
			return w, c.unsupported(n, "pads %v out of range [0, %d]", p, onnxMaxAttr)
		}
		w.pads[k] = int(x)
	}
	return w, nil
}

// fitPads rejects padding as wide as the window's extent (lrp.
// CheckPadding, which the engine applies to every model): valid ONNX
// that the importer does not support.
func (c *onnxConverter) fitPads(n *onnxNode, p [4]int, w window) error {
	if err := lrp.CheckPadding(w.k[0], w.k[1], w.d[0], w.d[1], p); err != nil {
		return c.unsupported(n, "%s", strings.TrimPrefix(err.Error(), "lrp: "))
	}
	return nil
}

func (c *onnxConverter) conv(n *onnxNode) error {
	x, err := c.padded(n, 0)
	if err != nil {
		return err
	}
	w, err := c.constant(n, 1, false)
	if err != nil {
		return err
	}
	b, err := c.constant(n, 2, true)
	if err != nil {
		return err
	}
	if len(w.dims) != 4 || len(x.shape) != 3 {
		return c.unsupported(n, "weight dims %v, input shape %v; only 2-D convolution is supported", w.dims, x.shape)
	}
	if b != nil && (len(b.dims) != 1 || b.dims[0] != w.dims[0]) {
		return c.bad(n, "bias dims %v do not match weight dims %v", b.dims, w.dims)
	}
	g, err := c.attrInt(n, "group", 1)
	if err != nil {
		return err
	}
	if g < 1 || g > w.dims[0] {
		return c.bad(n, "group %d for %d output channels", g, w.dims[0])
	}
	win, err := c.window(n, w.dims[2:])
	if err != nil {
		return err
	}
	pads := [4]int{win.pads[0] + x.pad[0], win.pads[1] + x.pad[1], win.pads[2] + x.pad[2], win.pads[3] + x.pad[3]}
	if err := c.fitPads(n, pads, win); err != nil {
		return err
	}
	l := &lrp.Conv2D{
		InC: int(w.dims[1]) * int(g), OutC: int(w.dims[0]),
		KH: win.k[0], KW: win.k[1], SH: win.s[0], SW: win.s[1], DH: win.d[0], DW: win.d[1],
		PT: pads[0], PL: pads[1], PB: pads[2], PR: pads[3],
		Groups: int(g),
		W:      c.weights(w),
	}
	if b != nil {
		l.B = c.weights(b)
	}
	return c.emit(n, l, x)
}

// flatInput returns input 0 of n, which must be a flat [N] tensor.
func (c *onnxConverter) flatInput(n *onnxNode) (*onnxVal, error) {
	a, err := c.tensor(n, 0)
	if err == nil && len(a.shape) != 1 {
		err = c.unsupported(n, "input shape %v; want a flat [batch, N] input", a.shape)
	}
	return a, err
}

// gemm converts Gemm, y = alpha·A·B + beta·C with B transposed if transB
// (transA is 0, see onnxOps), and MatMul, y = A·B: a Gemm without
// attributes or C.
func (c *onnxConverter) gemm(n *onnxNode) error {
	if v, _ := c.arg(n, 0); n.op == "MatMul" && v != nil && v.kind == valTensor && v.layout == channelsLast {
		return c.matMulChannels(n)
	}
	a, err := c.flatInput(n)
	if err != nil {
		return err
	}
	w, err := c.constant(n, 1, false)
	if err != nil {
		return err
	}
	var b *onnxTensor
	if n.op == "Gemm" {
		if b, err = c.constant(n, 2, true); err != nil {
			return err
		}
	}
	transB, err := c.attrInt(n, "transB", 0)
	if err != nil {
		return err
	}
	alpha, err := c.attrFloat(n, "alpha", 1)
	if err != nil {
		return err
	}
	beta, err := c.attrFloat(n, "beta", 1)
	if err != nil {
		return err
	}
	return c.dense(n, a, w, transB != 0, alpha, b, beta)
}

// dense emits y = alpha·W·x + beta·b for a weight w of dims [In, Out], or
// [Out, In] if transposed, and an optional bias b that broadcasts to [Out].
func (c *onnxConverter) dense(n *onnxNode, x *onnxVal, w *onnxTensor, transposed bool, alpha float32, b *onnxTensor, beta float32) error {
	if len(w.dims) != 2 {
		return c.unsupported(n, "weight dims %v; want a matrix", w.dims)
	}
	in, out := int(w.dims[0]), int(w.dims[1])
	if transposed {
		in, out = out, in
	}
	if in != x.shape[0] || out < 1 {
		return c.bad(n, "weight dims %v do not fit input [%d]", w.dims, x.shape[0])
	}
	l := &lrp.Dense{In: in, Out: out, W: make([]float32, in*out)}
	c.elems[w.dtype] += len(w.f)
	for o := 0; o < out; o++ {
		for i := 0; i < in; i++ {
			v := w.f[i*out+o]
			if transposed {
				v = w.f[o*in+i]
			}
			l.W[o*in+i] = alpha * v
		}
	}
	if b != nil {
		bias, ok := perAxis(b, []int{out}, 1)
		if !ok {
			return c.unsupported(n, "bias dims %v do not broadcast to [%d]", b.dims, out)
		}
		for k := range bias {
			bias[k] *= beta
		}
		l.B = bias
	}
	return c.emit(n, l, x)
}

// arith converts Add, Sub, Mul and Div. Of two shape vectors or integer
// constants it computes a shape (shapeArith). Of two computed tensors Add
// is a residual join, Mul a gate, SiLU, HardSwish or part of GELU
// (mulTensors), Sub and Div steps of LayerNorm (lnTensors). With a
// constant the node must either act on the graph input (the input
// normalization), be a step of GELU (geluStep) or LayerNorm (lnStep), or
// take one value per channel: Add is then the bias of the Dense, Conv,
// LayerNorm or Scale before it, and Mul a per-channel scale
// (scaleChannels).
func (c *onnxConverter) arith(n *onnxNode) error {
	if len(n.inputs) != 2 {
		return c.bad(n, "has %d inputs, want 2", len(n.inputs))
	}
	a, err := c.need(n, 0)
	if err != nil {
		return err
	}
	b, err := c.need(n, 1)
	if err != nil {
		return err
	}
	if a.kind != valTensor && b.kind != valTensor && (a.kind == valShape || b.kind == valShape || a.t.i != nil && b.t.i != nil) {
		return c.shapeArith(n)
	}
	if a.kind == valTensor && b.kind == valTensor {
		switch n.op {
		case "Mul":
			return c.mulTensors(n, [2]*onnxVal{a, b})
		case "Sub", "Div":
			return c.lnTensors(n, a, b)
		}
		x, err := c.pointwise(n, 0)
		if err != nil {
			return err
		}
		y, err := c.pointwise(n, 1)
		if err != nil {
			return err
		}
		if !slices.Equal(x.shape, y.shape) || x.layout != y.layout {
			return c.unsupported(n, "Add of shapes %s and %s; broadcasting is not supported", shapeString(dims64(x.onnxDims())), shapeString(dims64(y.onnxDims())))
		}
		return c.emit(n, &lrp.Add{}, x, y)
	}
	k := 0 // the computed input
	if a.kind != valTensor {
		if n.op == "Sub" || n.op == "Div" {
			return c.unsupported(n, "constant %s computed tensor", map[string]string{"Sub": "minus", "Div": "divided by"}[n.op])
		}
		k = 1
	}
	v := c.vals[n.inputs[k]]
	if v.kind != valTensor {
		return c.unsupported(n, "%s of two constants", n.op)
	}
	t, err := c.constant(n, 1-k, false)
	if err != nil {
		return err
	}
	if done, err := c.geluStep(n, k, v); done || err != nil {
		return err
	}
	if done, err := c.lnStep(n, k, v); done || err != nil {
		return err
	}
	if v.gelu != nil {
		return c.unsupported(n, "reads %s, which is supported only as part of GELU, x·(1 + erf(x/√2))/2", v.gelu.stage)
	}
	if v.ln != nil {
		return c.unsupported(n, "reads %s, which is supported only as part of LayerNorm, (x − mean)/√(var + ε)", v.ln.stage)
	}
	ch, ok := perChannel(t, v)

	if v.node == lrp.Input && v.plain() && v.layout == nchw {
		if !ok {
			return c.unsupported(n, "constant of dims %v on the input: want one value per channel", t.dims)
		}
		w := &onnxVal{kind: valTensor, node: lrp.Input, shape: v.shape, sole: true,
			scale: make([]float64, len(ch)), shift: make([]float64, len(ch))}
		for i := range ch {
			w.scale[i], w.shift[i] = 1, 0
			if v.scale != nil {
				w.scale[i], w.shift[i] = v.scale[i], v.shift[i]
			}
			x := float64(ch[i])
			switch n.op {
			case "Add":
				w.shift[i] += x
			case "Sub":
				w.shift[i] -= x
			case "Mul":
				w.scale[i] *= x
				w.shift[i] *= x
			case "Div":
				if x == 0 {
					return c.bad(n, "division by zero")
				}
				w.scale[i] /= x
				w.shift[i] /= x
			}
		}
		c.set(n, 0, w)
		return nil
	}

	if n.op == "Add" && c.fusable(n, k, v) {
		var bias *[]float32
		switch l := c.nodes[v.node].Layer.(type) {
		case *lrp.Dense:
			bias = &l.B
		case *lrp.Conv2D:
			bias = &l.B
		case *lrp.LayerNorm:
			bias = &l.Beta
		case *lrp.Scale:
			bias = &l.B
		}
		if bias != nil {
			if !ok {
				return c.unsupported(n, "constant of dims %v is not a per-channel bias for shape %s", t.dims, shapeString(dims64(v.onnxDims())))
			}
			if *bias == nil {
				*bias = make([]float32, len(ch))
			}
			for i := range ch {
				(*bias)[i] += ch[i]
			}
			w := *v
			c.set(n, 0, &w)
			return nil
		}
	}
	if n.op == "Mul" && ok {
		return c.scaleChannels(n, k, v, ch)
	}
	return c.unsupported(n, "%s of a constant is supported only on the graph input (normalization), as the bias right after MatMul, Gemm, Conv or LayerNorm, or (Mul) with one value per channel", n.op)
}

func (c *onnxConverter) clip(n *onnxNode) error {
	x, err := c.pointwise(n, 0)
	if err != nil {
		return err
	}
	lo, hi := float32(math.Inf(-1)), float32(math.Inf(1))
	// Opset 11 moved min and max from attributes to inputs.
	if lo, err = c.attrFloat(n, "min", lo); err != nil {
		return err
	}
	if hi, err = c.attrFloat(n, "max", hi); err != nil {
		return err
	}
	for k, dst := range []*float32{&lo, &hi} {
		if k+1 >= len(n.inputs) || n.inputs[k+1] == "" {
			continue
		}
		v, ok := c.scalar(n, k+1)
		if !ok {
			return c.unsupported(n, "input %d must be a scalar constant", k+1)
		}
		*dst = v
	}
	switch {
	case lo == 0 && hi == 6:
		return c.emit(n, &lrp.ReLU6{}, x)
	case lo == 0 && hi >= math.MaxFloat32:
		return c.emit(n, &lrp.ReLU{}, x)
	}
	return c.unsupported(n, "Clip(%v, %v); only Clip(0, 6) and Clip(0) are supported", lo, hi)
}

// minMax converts Max(x, 0) to ReLU, and Min(·, 6) with Max(·, 0) in either
// order to ReLU6.
func (c *onnxConverter) minMax(n *onnxNode) error {
	if len(n.inputs) != 2 {
		return c.unsupported(n, "%d inputs; only %s(x, constant) is supported", len(n.inputs), n.op)
	}
	k := 0 // the computed input
	cv, ok := c.scalar(n, 1)
	if !ok {
		k = 1
		cv, ok = c.scalar(n, 0)
	}
	want := map[string]float32{"Max": 0, "Min": 6}[n.op]
	if !ok || cv != want {
		return c.unsupported(n, "only Max(x, 0) and Min(x, 6) (ReLU, ReLU6) are supported")
	}
	v, err := c.arg(n, k)
	if err != nil {
		return err
	}
	if v == nil || v.kind != valTensor {
		return c.unsupported(n, "only %s of a computed tensor and a constant is supported", n.op)
	}
	if n.op == "Max" {
		if !v.min6 {
			x, err := c.pointwise(n, k)
			if err != nil {
				return err
			}
			return c.emit(n, &lrp.ReLU{}, x)
		}
		return c.emit(n, &lrp.ReLU6{}, &onnxVal{kind: valTensor, node: v.node, shape: v.shape, layout: v.layout})
	}
	if c.fusable(n, k, v) {
		if _, ok := c.nodes[v.node].Layer.(*lrp.ReLU); ok {
			c.nodes[v.node].Layer = &lrp.ReLU6{}
			w := *v
			c.set(n, 0, &w)
			return nil
		}
	}
	x, err := c.pointwise(n, k)
	if err != nil {
		return err
	}
	w := *x
	w.min6, w.sole = true, false
	c.set(n, 0, &w)
	return nil
}

// pool converts MaxPool and AveragePool, in floor or ceil mode. In ceil
// mode the output size is PyTorch's (lrp.MaxPool2D): the ONNX formula
// ⌈(in + pads − kernel)/stride⌉ + 1, less a last window that would start
// past the input and its leading padding.
func (c *onnxConverter) pool(n *onnxNode) error {
	isMax := n.op == "MaxPool"
	x, err := c.padded(n, 0)
	if err != nil {
		return err
	}
	ceil, err := c.attrInt(n, "ceil_mode", 0)
	if err != nil {
		return err
	}
	if len(x.shape) != 3 {
		return c.unsupported(n, "input shape %v; only 2-D pooling is supported", x.shape)
	}
	win, err := c.window(n, nil)
	if err != nil {
		return err
	}
	if win.d != [2]int{1, 1} {
		return c.unsupported(n, "dilations %v; only 1 is supported", win.d)
	}
	if isMax {
		if x.pad != [4]int{} {
			return c.unsupported(n, "Pad before MaxPool (Pad fills with 0, MaxPool padding never wins)")
		}
		p := win.pads
		if err := c.fitPads(n, p, win); err != nil {
			return err
		}
		return c.emit(n, &lrp.MaxPool2D{KH: win.k[0], KW: win.k[1], SH: win.s[0], SW: win.s[1], PT: p[0], PL: p[1], PB: p[2], PR: p[3], Ceil: ceil != 0}, x)
	}
	cip, err := c.attrInt(n, "count_include_pad", 0)
	if err != nil {
		return err
	}
	p := win.pads
	if x.pad != [4]int{} {
		// The zeros of a Pad node are values that the average counts.
		if p != [4]int{} && cip == 0 {
			return c.unsupported(n, "Pad before AveragePool with its own pads and count_include_pad=0")
		}
		for k := range p {
			p[k] += x.pad[k]
		}
		cip = 1
	}
	if err := c.fitPads(n, p, win); err != nil {
		return err
	}
	return c.emit(n, &lrp.AvgPool2D{KH: win.k[0], KW: win.k[1], SH: win.s[0], SW: win.s[1], PT: p[0], PL: p[1], PB: p[2], PR: p[3],
		CountIncludePad: cip != 0, Ceil: ceil != 0}, x)
}

// concat converts Concat: of computed tensors on the channel axis, a
// layer (lrp.Concat); of integer vectors, a step of the shape chain that
// flattens (shapeOp).
func (c *onnxConverter) concat(n *onnxNode) error {
	if len(n.inputs) > lrp.MaxInputs {
		return c.unsupported(n, "%d inputs; at most %d are supported", len(n.inputs), lrp.MaxInputs)
	}
	axis, err := c.attrInt(n, "axis", 0)
	if err != nil {
		return err
	}
	tensors := false
	for k := range n.inputs {
		v, err := c.need(n, k)
		if err != nil {
			return err
		}
		tensors = tensors || v.kind == valTensor
	}
	if !tensors {
		if axis != 0 && axis != -1 {
			return c.unsupported(n, "axis=%d; only 0 or -1 is supported", axis)
		}
		return c.shapeOp(n)
	}
	ins := make([]*onnxVal, len(n.inputs))
	for k := range ins {
		if ins[k], err = c.tensor(n, k); err != nil {
			return err
		}
	}
	if r := int64(len(ins[0].shape) + 1); axis < 0 {
		axis += r
	}
	if axis != 1 {
		return c.unsupported(n, "axis=%d; only the channel axis, 1, is supported", axis)
	}
	return c.emit(n, &lrp.Concat{}, ins...)
}

// batchNorm keeps an inference-mode BatchNormalization as an lrp.BatchNorm
// node; folding it is the caller's step (lrp.Model.FoldBatchNorm).
func (c *onnxConverter) batchNorm(n *onnxNode) error {
	x, err := c.tensor(n, 0)
	if err != nil {
		return err
	}
	eps, err := c.attrFloat(n, "epsilon", 1e-5)
	if err != nil {
		return err
	}
	if eps < 0 {
		return c.bad(n, "epsilon %v is negative", eps)
	}
	var p [4][]float32 // scale, B, mean, var
	for k := range p {
		t, err := c.constant(n, k+1, false)
		if err != nil {
			return err
		}
		if len(t.dims) != 1 || t.dims[0] != int64(x.shape[0]) {
			return c.bad(n, "input %d has dims %v, want [%d]", k+1, t.dims, x.shape[0])
		}
		p[k] = c.weights(t)
	}
	for _, v := range p[3] {
		if v < 0 || v+eps <= 0 {
			return c.bad(n, "variance %v with epsilon %v is not positive", v, eps)
		}
	}
	return c.emit(n, &lrp.BatchNorm{Gamma: p[0], Beta: p[1], Mean: p[2], Var: p[3], Eps: eps}, x)
}

// flattenTo emits a Flatten of x for n, or passes x through if it is flat.
func (c *onnxConverter) flattenTo(n *onnxNode, x *onnxVal) error {
	if len(x.shape) == 1 {
		c.alias(n, x)
		return nil
	}
	return c.emit(n, &lrp.Flatten{}, x)
}

func (c *onnxConverter) flatten(n *onnxNode) error {
	x, err := c.tensor(n, 0)
	if err != nil {
		return err
	}
	axis, err := c.attrInt(n, "axis", 1)
	if err != nil {
		return err
	}
	if axis < 0 {
		axis += int64(len(x.shape) + 1)
	}
	if axis != 1 {
		return c.unsupported(n, "axis %d; only Flatten(axis=1) is supported", axis)
	}
	return c.flattenTo(n, x)
}

// shapeString writes d as [batch, 3, 224, 224] for a message: at most
// maxShapeShown values, then how many there are, so that a message stays
// short whatever the file holds.
func shapeString(d []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for k, v := range d {
		if k > 0 {
			b.WriteString(", ")
		}
		if k == maxShapeShown {
			fmt.Fprintf(&b, "… %d values", len(d))
			break
		}
		if v == batchDim {
			b.WriteString("batch")
		} else {
			b.WriteString(strconv.FormatInt(v, 10))
		}
	}
	b.WriteByte(']')
	return b.String()
}

// maxShapeShown is how many values of a shape a message shows.
const maxShapeShown = 8

// shapeVal returns input k of n as an integer vector or scalar: a valShape
// or a constant integer tensor of rank 0 or 1.
func (c *onnxConverter) shapeVal(n *onnxNode, k int) (*onnxVal, error) {
	v, err := c.need(n, k)
	switch {
	case err != nil:
		return nil, err
	case v.kind == valShape:
		return v, nil
	case v.kind == valConst && (v.t.i != nil || v.t.n == 0) && len(v.t.dims) <= 1:
		if slices.Contains(v.t.i, batchDim) {
			// The converter's own mark for the batch size: no file may
			// write it (it is also far below any real dimension).
			return nil, c.bad(n, "input %d (%q) holds %d", k, short(n.inputs[k]), int64(batchDim))
		}
		return &onnxVal{kind: valShape, dims: v.t.i, scalar: len(v.t.dims) == 0}, nil
	}
	return nil, c.unsupported(n, "input %d (%q) is not a shape or constant integer vector; only shape computations that flatten are supported", k, n.inputs[k])
}

// shapeOp follows the integer vectors of the Shape → Gather → Unsqueeze →
// Concat chain that PyTorch writes for x.view(x.size(0), -1).
func (c *onnxConverter) shapeOp(n *onnxNode) error {
	out := &onnxVal{kind: valShape}
	switch n.op {
	case "Shape":
		x, err := c.arg(n, 0)
		if err != nil {
			return err
		}
		if x == nil || x.kind != valTensor {
			return c.unsupported(n, "Shape of a constant")
		}
		d := []int64{batchDim}
		for k, s := range x.onnxDims() {
			if len(x.shape) == 3 && k > 0 && x.layout == nchw {
				s += x.pad[k-1] + x.pad[k+1]
			}
			d = append(d, int64(s))
		}
		r := int64(len(d))
		clamp := func(v int64) int64 {
			if v < 0 {
				v += r
			}
			return min(max(v, 0), r)
		}
		start, err := c.attrInt(n, "start", 0)
		if err != nil {
			return err
		}
		end, err := c.attrInt(n, "end", r)
		if err != nil {
			return err
		}
		start, end = clamp(start), clamp(end)
		if start > end {
			start = end
		}
		out.dims = d[start:end]
	case "Gather":
		data, err := c.shapeVal(n, 0)
		if err != nil {
			return err
		}
		idx, err := c.shapeVal(n, 1)
		if err != nil {
			return err
		}
		if data.scalar || slices.Contains(idx.dims, batchDim) {
			return c.unsupported(n, "Gather on a scalar or with computed indices")
		}
		for _, i := range idx.dims {
			if i < 0 {
				i += int64(len(data.dims))
			}
			if i < 0 || i >= int64(len(data.dims)) {
				return c.bad(n, "index %d out of range for %d values", i, len(data.dims))
			}
			out.dims = append(out.dims, data.dims[i])
		}
		out.scalar = idx.scalar
	case "Unsqueeze":
		data, err := c.shapeVal(n, 0)
		if err != nil {
			return err
		}
		axes, ok, err := c.attrInts(n, "axes")
		if err != nil {
			return err
		}
		if !ok { // opset 13 moved axes to an input
			if axes, ok, err = c.ints(n, 1); err != nil {
				return err
			}
		}
		if !data.scalar || !ok || len(axes) != 1 || (axes[0] != 0 && axes[0] != -1) {
			return c.unsupported(n, "only Unsqueeze of a scalar to a vector of one value is supported")
		}
		out.dims = data.dims
	case "Concat":
		for k := range n.inputs {
			v, err := c.shapeVal(n, k)
			if err != nil {
				return err
			}
			if v.scalar {
				return c.bad(n, "input %d is a scalar", k)
			}
			if len(out.dims)+len(v.dims) > onnxMaxRank {
				return c.unsupported(n, "shape vector longer than %d", onnxMaxRank)
			}
			out.dims = append(out.dims, v.dims...)
		}
	}
	out.dims = slices.Clip(out.dims)
	c.set(n, 0, out)
	return nil
}

// pad converts a constant zero Pad of the spatial axes into padding that
// the next Conv or pooling node takes over.
func (c *onnxConverter) pad(n *onnxNode) error {
	mode, err := c.attrString(n, "mode", "constant")
	if err != nil {
		return err
	}
	if mode != "constant" {
		return c.unsupported(n, "mode %q; only constant padding is supported", mode)
	}
	x, err := c.arg(n, 0)
	if err != nil {
		return err
	}
	if x == nil || x.kind != valTensor || x.min6 || x.softmax || x.gelu != nil || x.ln != nil || x.layout != nchw {
		return c.unsupported(n, "only Pad of a computed tensor before Conv or pooling is supported")
	}
	pads, ok, err := c.attrInts(n, "pads")
	if err != nil {
		return err
	}
	if !ok { // opset 11 moved pads and value to inputs
		if pads, ok, err = c.ints(n, 1); err != nil {
			return err
		}
	}
	if !ok {
		return c.bad(n, "pads are missing")
	}
	value, err := c.attrFloat(n, "value", 0)
	if err != nil {
		return err
	}
	if len(n.inputs) > 2 && n.inputs[2] != "" {
		v, ok := c.scalar(n, 2)
		if !ok {
			return c.unsupported(n, "the pad value must be a scalar constant")
		}
		value = v
	}
	if len(n.inputs) > 3 && n.inputs[3] != "" {
		return c.unsupported(n, "the axes input is not supported")
	}
	if value != 0 {
		return c.unsupported(n, "pad value %v; only 0 is supported", value)
	}
	r := len(x.shape) + 1
	if len(pads) != 2*r {
		return c.bad(n, "%d pads for a tensor of rank %d", len(pads), r)
	}
	if !slices.ContainsFunc(pads, func(p int64) bool { return p != 0 }) {
		c.alias(n, x)
		return nil
	}
	// pads are [N, C, H, W begin, N, C, H, W end].
	if r != 4 || pads[0] != 0 || pads[1] != 0 || pads[4] != 0 || pads[5] != 0 {
		return c.unsupported(n, "pads %v; only padding of height and width is supported", pads)
	}
	w := *x
	w.sole = false
	for k, p := range []int64{pads[2], pads[3], pads[6], pads[7]} {
		if p < 0 || p > onnxMaxAttr {
			return c.unsupported(n, "pads %v; only non-negative pads up to %d are supported", pads, onnxMaxAttr)
		}
		w.pad[k] += int(p)
	}
	c.set(n, 0, &w)
	return nil
}

// softmaxOp strips a Softmax or LogSoftmax over the classes: the model then
// outputs logits. Any other reader of its output is rejected.
func (c *onnxConverter) softmaxOp(n *onnxNode) error {
	x, err := c.tensor(n, 0)
	if err != nil {
		return err
	}
	if x.node == lrp.Input || len(x.shape) != 1 {
		return c.unsupported(n, "only a final %s over the classes is supported", n.op)
	}
	w := *x
	w.softmax, w.sole = true, false
	c.set(n, 0, &w)
	c.softmax = n.op
	return nil
}

// identity passes Identity and inference-mode Dropout through.
func (c *onnxConverter) identity(n *onnxNode) error {
	if n.op == "Dropout" && len(n.inputs) > 2 && n.inputs[2] != "" {
		tm, ok, err := c.ints(n, 2)
		if err != nil {
			return err
		}
		if !ok || len(tm) != 1 || tm[0] != 0 {
			return c.unsupported(n, "training_mode must be a constant false")
		}
	}
	x, err := c.need(n, 0)
	if err != nil {
		return err
	}
	c.alias(n, x)
	return nil
}

func (c *onnxConverter) constantOp(n *onnxNode) error {
	if len(n.attrs) != 1 {
		return c.bad(n, "has %d attributes, want 1", len(n.attrs))
	}
	a := n.attrs[0]
	t := &onnxTensor{off: a.off}
	var err error
	switch a.name {
	case "value":
		if a, err = c.attr(n, a.name, attrTensor); err == nil && a.t == nil {
			err = c.bad(n, "value has no tensor")
		}
		if err != nil {
			return err
		}
		t = a.t
		if t.f == nil && t.i == nil && t.n > 0 {
			return c.unsupported(n, "data type %d", t.dtype)
		}
	case "value_float":
		var f float32
		if f, err = c.attrFloat(n, a.name, 0); err != nil {
			return err
		}
		t.dtype, t.n, t.f = onnxFloat, 1, []float32{f}
	case "value_floats":
		if a, err = c.attr(n, a.name, attrFloats); err != nil {
			return err
		}
		for _, f := range a.floats {
			if math.IsNaN(float64(f)) || math.IsInf(float64(f), 0) {
				return c.bad(n, "value %v is not finite", f)
			}
		}
		t.dtype, t.n, t.dims, t.f = onnxFloat, len(a.floats), []int64{int64(len(a.floats))}, a.floats
	case "value_int":
		if a, err = c.attr(n, a.name, attrInt); err != nil {
			return err
		}
		t.dtype, t.n, t.i = onnxInt64, 1, []int64{a.i}
	case "value_ints":
		if a, err = c.attr(n, a.name, attrInts); err != nil {
			return err
		}
		t.dtype, t.n, t.dims, t.i = onnxInt64, len(a.ints), []int64{int64(len(a.ints))}, a.ints
	}
	c.set(n, 0, &onnxVal{kind: valConst, t: t})
	return nil
}
