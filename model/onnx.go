package model

import (
	"fmt"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lrpwasm/lrp/lrp"
)

// DecodeONNX reads an ONNX model as PyTorch's exporter writes image
// classifiers and turns it into an lrp.Model.
//
// The graph must have one float input of shape [batch, C, H, W] or
// [batch, N] (the batch dimension symbolic or 1) and one output. Supported
// operators: Conv, Gemm, MatMul (+ Add of a constant bias), Relu, Clip(0, 6)
// and Min/Max with constants (ReLU and ReLU6), the activations Sigmoid,
// HardSigmoid, HardSwish, Gelu, Swish (α = 1), LeakyRelu, Elu and Tanh, and the patterns
// that older opsets write for SiLU (Mul(x, Sigmoid(x))), HardSwish
// (Mul(x, HardSigmoid(x))) and GELU (Div, Erf, Add, Mul, Mul), MaxPool and
// AveragePool (floor or ceil mode), GlobalAveragePool and ReduceMean over
// height and width, BatchNormalization (kept as an lrp.BatchNorm node),
// Concat of computed tensors on the channel axis, Mul of a computed
// per-channel gate into a tensor (squeeze-and-excitation), Slice and Split
// on the channel axis (lrp.Slice), the channel shuffle's Reshape,
// Transpose, Reshape (lrp.Shuffle), Transposes to channels-last and back
// (no node: elementwise operations, LayerNormalization and its older
// opsets' pattern (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div), and
// MatMul on the last axis, a 1×1 convolution, read channels-last tensors),
// Mul of a constant of one value per channel (folded into the layer
// before it, or an lrp.Scale), Flatten and the Reshape/Shape/Gather/
// Unsqueeze/Concat patterns that flatten to [batch, -1] (the integer Add,
// Sub, Mul, Div, Cast and Slice of shapes are folded to constants), Add of
// two computed tensors (a residual join), Pad with zeros before a
// convolution or pooling (folded into its padding), Identity, Dropout and
// Constant. Sub, Add, Mul and Div of constants applied
// directly to the graph input become the InputSpec normalization: the
// lrp model's input is the normalized tensor, and Mean and Std say how raw
// pixels in [0, 1] map to it. A final Softmax or LogSoftmax is stripped, so
// the model outputs logits, and the card records "softmax": "stripped".
//
// Weights may be float32 or float16 (float64 is narrowed to float32), in
// raw_data or the typed fields. Tensors stored in external files are
// rejected. Bad input returns a *FormatError, valid input that uses
// something else an UnsupportedError naming the node and operator.
func DecodeONNX(data []byte) (*File, error) {
	om, err := parseONNXModel(data)
	if err != nil {
		return nil, err
	}
	c := &onnxConverter{g: om.graph}
	m, err := c.convert()
	if err != nil {
		return nil, err
	}
	card := map[string]string{"graph": om.graph.name, "input": c.input, "output": c.output}
	if om.producer != "" {
		card["producer"] = om.producer
		if om.version != "" {
			card["producer"] += " " + om.version
		}
	}
	if om.opset > 0 {
		card["opset"] = strconv.FormatInt(om.opset, 10)
	}
	if om.irVersion > 0 {
		card["ir_version"] = strconv.FormatInt(om.irVersion, 10)
	}
	if c.softmax != "" {
		card["softmax"] = "stripped"
	}
	return &File{Model: m, Format: "onnx", DType: c.dtype(), Card: card}, nil
}

type onnxValKind int

const (
	valTensor onnxValKind = iota // computed: an lrp node's output or the model input
	valConst                     // an initializer or Constant
	valShape                     // an integer vector (or scalar) that may hold the batch size
)

// batchDim stands for the symbolic batch size in a valShape.
const batchDim = math.MinInt64

// An onnxVal is what the converter knows about one ONNX tensor.
type onnxVal struct {
	kind onnxValKind

	t *onnxTensor // valConst

	node  int   // valTensor: index of the lrp node, or lrp.Input
	shape []int // valTensor: shape without the batch dimension
	// sole says that node's output is read only through this tensor, so
	// the node may be changed in place (a bias added, ReLU made ReLU6).
	sole bool
	// Pending operations that the next layer takes over.
	pad          [4]int    // zero padding top, left, bottom, right, for a Conv or pool
	scale, shift []float64 // on the model input: x·scale + shift per channel, nil for none
	min6         bool      // Min(x, 6) waiting for Max(·, 0)
	softmax      bool      // the output of a stripped Softmax
	gelu         *geluPart // a piece of x·(1 + erf(x/√2))/2 waiting for the rest
	ln           *lnPart   // a piece of LayerNorm's pattern waiting for the rest
	// layout is how the ONNX tensor holds the node's values (see
	// layout); groups is the channel shuffle's, for grouped and swapped.
	layout layout
	groups int

	dims   []int64 // valShape: the values, batchDim for the batch size
	scalar bool    // valShape: rank 0
}

type onnxConverter struct {
	g      *onnxGraph
	vals   map[string]*onnxVal
	uses   map[string]int // readers of each tensor among the live nodes, +1 for the graph output
	nodes  []lrp.Node
	input  string // the graph input and output names
	output string

	normSet      bool // the model input's normalization is fixed
	scale, shift []float64
	softmax      string
	elems        map[int64]int // values of float weights by data type
}

func (c *onnxConverter) convert() (*lrp.Model, error) {
	g := c.g
	c.vals = make(map[string]*onnxVal)
	c.uses = make(map[string]int)
	c.elems = make(map[int64]int)
	for _, t := range g.inits {
		if _, dup := c.vals[t.name]; dup || t.name == "" {
			return nil, formatErr(t.off, "initializer name %q is empty or repeated", t.name)
		}
		c.vals[t.name] = &onnxVal{kind: valConst, t: t}
	}

	// The one graph input that is not an initializer (older exporters list
	// the weights as inputs too).
	var in *onnxValueInfo
	for _, v := range g.inputs {
		if _, isInit := c.vals[v.name]; isInit {
			continue
		}
		if in != nil {
			return nil, UnsupportedError(fmt.Sprintf("graph has more than one input (%q, %q)", in.name, v.name))
		}
		in = v
	}
	if in == nil {
		return nil, formatErr(g.off, "graph has no input")
	}
	shape, err := onnxInputShape(in)
	if err != nil {
		return nil, err
	}
	c.input = in.name
	c.vals[in.name] = &onnxVal{kind: valTensor, node: lrp.Input, shape: shape, sole: true}
	if len(g.outputs) != 1 {
		return nil, UnsupportedError(fmt.Sprintf("graph has %d outputs, want 1", len(g.outputs)))
	}
	c.output = g.outputs[0].name

	order, err := c.sortNodes()
	if err != nil {
		return nil, err
	}
	for _, n := range order {
		if err := c.node(n); err != nil {
			return nil, err
		}
	}

	out, ok := c.vals[c.output]
	if !ok {
		return nil, formatErr(g.outputs[0].off, "graph output %q is not computed by any node", c.output)
	}
	if out.kind != valTensor || out.node == lrp.Input || out.pad != [4]int{} || out.min6 || out.gelu != nil || out.ln != nil || out.layout != nchw {
		return nil, UnsupportedError(fmt.Sprintf("graph output %q is not the output of a layer", c.output))
	}
	if out.node != len(c.nodes)-1 {
		return nil, UnsupportedError(fmt.Sprintf("graph output %q is not the last layer", c.output))
	}
	spec := lrp.InputSpec{Shape: shape, Low: 0, High: 1}
	if c.scale != nil {
		spec.Mean, spec.Std = make([]float32, len(c.scale)), make([]float32, len(c.scale))
		for k, a := range c.scale {
			if !(a > 0) {
				return nil, UnsupportedError(fmt.Sprintf("input normalization scales channel %d by %v; want a positive factor", k, a))
			}
			spec.Std[k] = float32(1 / a)
			spec.Mean[k] = float32(-c.shift[k] / a)
		}
	}
	name := g.name
	if name == "" {
		name = "onnx"
	}
	m, err := lrp.NewModel(name, spec, c.nodes, nil)
	if err != nil {
		return nil, formatErr(g.off, "%v", err)
	}
	return m, nil
}

// onnxInputShape returns the lrp input shape of the graph input: its shape
// without the batch dimension.
func onnxInputShape(in *onnxValueInfo) ([]int, error) {
	if in.elem != onnxFloat {
		return nil, UnsupportedError(fmt.Sprintf("graph input %q has element type %d, want float (1)", in.name, in.elem))
	}
	if !in.hasShape || (len(in.dims) != 4 && len(in.dims) != 2) {
		return nil, UnsupportedError(fmt.Sprintf("graph input %q has shape %s, want [batch, C, H, W] or [batch, N]", in.name, dimString(in)))
	}
	if b := in.dims[0]; b.known && b.value != 1 && b.value != 0 {
		return nil, UnsupportedError(fmt.Sprintf("graph input %q has batch size %d, want 1 or symbolic", in.name, b.value))
	}
	shape := make([]int, len(in.dims)-1)
	n := 1
	for k, d := range in.dims[1:] {
		if !d.known || d.value < 1 || d.value > lrp.MaxInputLen || n*int(d.value) > lrp.MaxInputLen {
			return nil, UnsupportedError(fmt.Sprintf("graph input %q has shape %s; want fixed sizes, at most %d values", in.name, dimString(in), lrp.MaxInputLen))
		}
		shape[k] = int(d.value)
		n *= shape[k]
	}
	return shape, nil
}

func dimString(v *onnxValueInfo) string {
	s := "["
	for k, d := range v.dims {
		if k > 0 {
			s += ", "
		}
		switch {
		case d.known:
			s += strconv.FormatInt(d.value, 10)
		case d.param != "":
			s += d.param
		default:
			s += "?"
		}
	}
	return s + "]"
}

// sortNodes orders the nodes so that each comes after the nodes it reads,
// rejects cycles, and drops the nodes that the graph output does not depend
// on. It counts the readers of each tensor among the remaining nodes.
func (c *onnxConverter) sortNodes() ([]*onnxNode, error) {
	nodes := c.g.nodes
	producer := make(map[string]int, len(nodes))
	for i, n := range nodes {
		for _, o := range n.outputs {
			if o == "" {
				continue
			}
			if _, dup := producer[o]; dup {
				return nil, formatErr(n.off, "tensor %q is the output of two nodes", o)
			}
			if _, dup := c.vals[o]; dup {
				return nil, formatErr(n.off, "node output %q is also a graph input or initializer", o)
			}
			producer[o] = i
		}
	}
	// Kahn's algorithm, in file order where the graph leaves a choice.
	indeg := make([]int, len(nodes))
	readers := make([][]int, len(nodes))
	for i, n := range nodes {
		for _, s := range n.inputs {
			if p, ok := producer[s]; ok {
				indeg[i]++
				readers[p] = append(readers[p], i)
			}
		}
	}
	var queue []int
	for i := range nodes {
		if indeg[i] == 0 {
			queue = append(queue, i)
		}
	}
	order := make([]int, 0, len(nodes))
	for len(queue) > 0 {
		i := queue[0]
		queue = queue[1:]
		order = append(order, i)
		for _, r := range readers[i] {
			if indeg[r]--; indeg[r] == 0 {
				queue = append(queue, r)
			}
		}
	}
	if len(order) < len(nodes) {
		for i, d := range indeg {
			if d > 0 {
				return nil, formatErr(nodes[i].off, "graph has a cycle through node %q (%s)", onnxName(nodes[i]), nodes[i].op)
			}
		}
	}

	// Keep the nodes that the output depends on.
	live := make([]bool, len(nodes))
	stack := []string{c.output}
	c.uses[c.output]++
	for len(stack) > 0 {
		s := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		p, ok := producer[s]
		if !ok || live[p] {
			continue
		}
		live[p] = true
		for _, s := range nodes[p].inputs {
			if s != "" {
				c.uses[s]++
				stack = append(stack, s)
			}
		}
	}
	var out []*onnxNode
	for _, i := range order {
		if live[i] {
			out = append(out, nodes[i])
		}
	}
	return out, nil
}

func onnxName(n *onnxNode) string {
	if n.name != "" {
		return n.name
	}
	if len(n.outputs) > 0 {
		return n.outputs[0]
	}
	return ""
}

// unsupported returns an UnsupportedError naming node n.
func (c *onnxConverter) unsupported(n *onnxNode, format string, args ...any) error {
	return UnsupportedError(fmt.Sprintf("node %q (%s): %s", onnxName(n), n.op, fmt.Sprintf(format, args...)))
}

// bad returns a FormatError at node n.
func (c *onnxConverter) bad(n *onnxNode, format string, args ...any) error {
	return formatErr(n.off, "node %q (%s): %s", onnxName(n), n.op, fmt.Sprintf(format, args...))
}

// arg returns the value of input k of n, or nil if the input is absent.
func (c *onnxConverter) arg(n *onnxNode, k int) (*onnxVal, error) {
	if k >= len(n.inputs) || n.inputs[k] == "" {
		return nil, nil
	}
	v, ok := c.vals[n.inputs[k]]
	if !ok {
		return nil, c.bad(n, "reads tensor %q, which nothing defines", n.inputs[k])
	}
	return v, nil
}

// need returns input k of n, which must be present.
func (c *onnxConverter) need(n *onnxNode, k int) (*onnxVal, error) {
	v, err := c.arg(n, k)
	if err == nil && v == nil {
		err = c.bad(n, "input %d is missing", k)
	}
	return v, err
}

// tensor returns input k of n as a computed tensor that a layer reads,
// with no pending padding.
func (c *onnxConverter) tensor(n *onnxNode, k int) (*onnxVal, error) {
	v, err := c.padded(n, k)
	if err == nil && v.pad != [4]int{} {
		err = c.unsupported(n, "reads a Pad output; Pad is supported only before Conv and pooling")
	}
	return v, err
}

// pointwise returns input k of n as a computed tensor that a layer
// acting on every value, or on the channels of every position, reads:
// as tensor does, but in channels-last layout too (the layer's output
// keeps its input's layout, emit).
func (c *onnxConverter) pointwise(n *onnxNode, k int) (*onnxVal, error) {
	v, err := c.read(n, k, true)
	if err == nil && v.pad != [4]int{} {
		err = c.unsupported(n, "reads a Pad output; Pad is supported only before Conv and pooling")
	}
	return v, err
}

// padded returns input k of n as a computed tensor that a layer reads,
// possibly with padding for the layer to take over. A layer reading the
// model input fixes the input normalization.
func (c *onnxConverter) padded(n *onnxNode, k int) (*onnxVal, error) { return c.read(n, k, false) }

// read is padded, also in channels-last layout if last.
func (c *onnxConverter) read(n *onnxNode, k int, last bool) (*onnxVal, error) {
	v, err := c.need(n, k)
	switch {
	case err != nil:
		return nil, err
	case v.kind != valTensor:
		return nil, c.unsupported(n, "input %d (%q) is a constant, want a computed tensor", k, n.inputs[k])
	case v.min6:
		return nil, c.unsupported(n, "reads Min(x, 6), which is supported only as part of ReLU6")
	case v.softmax:
		return nil, c.unsupported(n, "reads a Softmax output; only a final Softmax is supported")
	case v.gelu != nil:
		return nil, c.unsupported(n, "reads %s, which is supported only as part of GELU, x·(1 + erf(x/√2))/2", v.gelu.stage)
	case v.ln != nil:
		return nil, c.unsupported(n, "reads %s, which is supported only as part of LayerNorm, (x − mean)/√(var + ε)", v.ln.stage)
	case v.layout == grouped || v.layout == swapped:
		return nil, c.unsupported(n, "reads a step of the channel shuffle (Reshape to [N, g, C/g, H, W], Transpose), which is supported only as a whole with the Reshape back to [N, C, H, W]")
	case v.layout == channelsLast && !last:
		return nil, c.unsupported(n, "reads a channels-last tensor (a Transpose to [N, H, W, C]); on one only LayerNormalization, MatMul on the last axis, elementwise operations, a per-channel Mul or Add and the Transpose back are supported")
	}
	if v.node == lrp.Input {
		if !c.normSet {
			c.normSet, c.scale, c.shift = true, v.scale, v.shift
		} else if !slices.Equal(c.scale, v.scale) || !slices.Equal(c.shift, v.shift) {
			return nil, c.unsupported(n, "the model input is read with two different normalizations")
		}
	}
	return v, nil
}

// constant returns input k of n, which must be a constant of a float type
// (or absent, if optional).
func (c *onnxConverter) constant(n *onnxNode, k int, optional bool) (*onnxTensor, error) {
	get := c.need
	if optional {
		get = c.arg
	}
	v, err := get(n, k)
	switch {
	case err != nil || v == nil:
		return nil, err
	case v.kind != valConst:
		return nil, c.unsupported(n, "input %d (%q) must be a constant (an initializer)", k, n.inputs[k])
	case v.t.f == nil && v.t.n > 0:
		return nil, c.unsupported(n, "input %d (%q) has data type %d, want float, float16 or double", k, n.inputs[k], v.t.dtype)
	}
	return v.t, nil
}

// ints returns input k of n as constant integers, nil if it is absent.
func (c *onnxConverter) ints(n *onnxNode, k int) ([]int64, bool, error) {
	v, err := c.arg(n, k)
	switch {
	case err != nil:
		return nil, false, err
	case v == nil:
		return nil, false, nil
	case v.kind == valShape:
		if slices.Contains(v.dims, batchDim) {
			return nil, false, c.unsupported(n, "input %d depends on the batch size", k)
		}
		return v.dims, true, nil
	case v.kind != valConst || (v.t.i == nil && v.t.n > 0):
		return nil, false, c.unsupported(n, "input %d (%q) must be a constant integer tensor", k, n.inputs[k])
	}
	return v.t.i, true, nil
}

// scalar returns input k of n as one constant float, if it is one.
func (c *onnxConverter) scalar(n *onnxNode, k int) (float32, bool) {
	v, _ := c.arg(n, k)
	if v == nil || v.kind != valConst || v.t.n != 1 || v.t.f == nil {
		return 0, false
	}
	return v.t.f[0], true
}

// set records v as output k of n.
func (c *onnxConverter) set(n *onnxNode, k int, v *onnxVal) {
	if k < len(n.outputs) && n.outputs[k] != "" {
		c.vals[n.outputs[k]] = v
	}
}

// alias makes output 0 of n the same tensor as input 0, whose value is v.
func (c *onnxConverter) alias(n *onnxNode, v *onnxVal) {
	w := *v
	w.sole = v.sole && c.uses[n.inputs[0]] == 1
	c.set(n, 0, &w)
}

// fusable reports whether input k of n, with value v, is the only reader of
// an lrp node that n may therefore change in place.
func (c *onnxConverter) fusable(n *onnxNode, k int, v *onnxVal) bool {
	return v.kind == valTensor && v.node != lrp.Input && v.sole && c.uses[n.inputs[k]] == 1 && v.plain()
}

// plain reports whether v, a computed tensor, has no pending operation:
// it is the node's output, in its own layout or channels-last.
func (v *onnxVal) plain() bool {
	return v.pad == [4]int{} && !v.min6 && !v.softmax && v.gelu == nil && v.ln == nil && (v.layout == nchw || v.layout == channelsLast)
}

// emit appends an lrp node for n reading ins and sets it as output 0 of n.
// The output has the layout of input 0: channels-last only for the
// layers that read their input with pointwise.
func (c *onnxConverter) emit(n *onnxNode, l lrp.Layer, ins ...*onnxVal) error {
	return c.emitTo(n, 0, onnxName(n), l, ins...)
}

// emitNamed is emit with the lrp node named name.
func (c *onnxConverter) emitNamed(n *onnxNode, name string, l lrp.Layer, ins ...*onnxVal) error {
	return c.emitTo(n, 0, name, l, ins...)
}

// emitTo is emitNamed for output k of n.
func (c *onnxConverter) emitTo(n *onnxNode, k int, name string, l lrp.Layer, ins ...*onnxVal) error {
	idx := make([]int, len(ins))
	shapes := make([][]int, len(ins))
	for k, v := range ins {
		idx[k], shapes[k] = v.node, v.shape
	}
	s, err := l.OutShape(shapes)
	if err != nil {
		return c.bad(n, "%s", strings.TrimPrefix(err.Error(), "lrp: "))
	}
	size := 1
	for _, d := range s {
		if d < 1 || d > lrp.MaxInputLen*64 || size*d > lrp.MaxInputLen*64 {
			return c.unsupported(n, "output shape %v is too large", s)
		}
		size *= d
	}
	c.nodes = append(c.nodes, lrp.Node{Name: name, Layer: l, Inputs: idx})
	out := &onnxVal{kind: valTensor, node: len(c.nodes) - 1, shape: s, sole: true}
	if len(ins) > 0 && ins[0].layout == channelsLast {
		out.layout = channelsLast
	}
	c.set(n, k, out)
	return nil
}

// weights copies the values of t, which a layer may change in place, and
// counts them for the file's DType: "F32", "F16" or "F64" (narrowed to
// float32), whichever holds most weights.
func (c *onnxConverter) weights(t *onnxTensor) []float32 {
	c.elems[t.dtype] += len(t.f)
	return slices.Clone(t.f)
}

func (c *onnxConverter) dtype() string {
	best, name := 0, ""
	for dt, n := range c.elems {
		if n > best || n == best && dt == onnxFloat {
			best = n
			name = map[int64]string{onnxFloat: "F32", onnxFloat16: "F16", onnxDouble: "F64"}[dt]
		}
	}
	return name
}

// An onnxOp is what the converter accepts of one ONNX operator: the
// attributes it reads (any other is refused), the int attributes of which
// it supports only some values, the name of its outputs after the first if
// it has any (no node may read them), and the conversion, which runs after
// these checks.
type onnxOp struct {
	attrs   []string
	only    []onnxOnly
	extra   string
	convert func(*onnxConverter, *onnxNode) error
}

// An onnxOnly is an int attribute, its default, and the values of it that
// the converter supports.
type onnxOnly struct {
	name   string
	def    int64
	values []int64
}

// onnxWindow are the attributes of a Conv or pooling window (see window).
var onnxWindow = []string{"auto_pad", "dilations", "kernel_shape", "pads", "strides"}

// onnxOps are the supported operators.
var onnxOps = map[string]onnxOp{
	"Conv":   {attrs: append([]string{"group"}, onnxWindow...), convert: (*onnxConverter).conv},
	"Gemm":   {attrs: []string{"alpha", "beta", "transA", "transB", "broadcast"}, only: []onnxOnly{{"transA", 0, []int64{0}}}, convert: (*onnxConverter).gemm},
	"MatMul": {convert: (*onnxConverter).gemm},
	"Add":    {convert: (*onnxConverter).arith},
	"Sub":    {convert: (*onnxConverter).arith},
	"Mul":    {convert: (*onnxConverter).arith},
	"Div":    {convert: (*onnxConverter).arith},
	"Relu":   {convert: elementwise(func([]float32) lrp.Layer { return &lrp.ReLU{} })},
	"Clip":   {attrs: []string{"min", "max"}, convert: (*onnxConverter).clip},
	"Min":    {convert: (*onnxConverter).minMax},
	"Max":    {convert: (*onnxConverter).minMax},
	"MaxPool": {attrs: append([]string{"ceil_mode", "storage_order"}, onnxWindow...),
		only: []onnxOnly{{"ceil_mode", 0, []int64{0, 1}}, {"storage_order", 0, []int64{0}}}, extra: "Indices", convert: (*onnxConverter).pool},
	"AveragePool": {attrs: append([]string{"ceil_mode", "count_include_pad"}, onnxWindow...),
		only: []onnxOnly{{"ceil_mode", 0, []int64{0, 1}}}, convert: (*onnxConverter).pool},
	"GlobalAveragePool": {convert: unary(func() lrp.Layer { return &lrp.GlobalAvgPool{} })},
	"ReduceMean": {attrs: []string{"axes", "keepdims", "noop_with_empty_axes"},
		only: []onnxOnly{{"keepdims", 1, []int64{0, 1}}, {"noop_with_empty_axes", 0, []int64{0}}}, convert: (*onnxConverter).reduceMean},
	"Sigmoid":     {convert: elementwise(func([]float32) lrp.Layer { return &lrp.Sigmoid{} })},
	"HardSigmoid": {attrs: []string{"alpha", "beta"}, convert: elementwise(func(a []float32) lrp.Layer { return &lrp.HardSigmoid{Alpha: a[0], Beta: a[1]} }, floatAttr{"alpha", 0.2}, floatAttr{"beta", 0.5})},
	"HardSwish":   {convert: elementwise(func([]float32) lrp.Layer { return &lrp.HardSwish{} })},
	"Swish":       {attrs: []string{"alpha"}, convert: (*onnxConverter).swishOp},
	"Gelu":        {attrs: []string{"approximate"}, convert: (*onnxConverter).gelu},
	"Erf":         {convert: (*onnxConverter).erf},
	"LeakyRelu":   {attrs: []string{"alpha"}, convert: elementwise(func(a []float32) lrp.Layer { return &lrp.LeakyReLU{Alpha: a[0]} }, floatAttr{"alpha", 0.01})},
	"Elu":         {attrs: []string{"alpha"}, convert: elementwise(func(a []float32) lrp.Layer { return &lrp.ELU{Alpha: a[0]} }, floatAttr{"alpha", 1})},
	"Tanh":        {convert: elementwise(func([]float32) lrp.Layer { return &lrp.Tanh{} })},
	"BatchNormalization": {attrs: []string{"epsilon", "momentum", "training_mode", "spatial", "is_test", "consumed_inputs"},
		only: []onnxOnly{{"training_mode", 0, []int64{0}}, {"spatial", 1, []int64{1}}}, extra: "running statistics", convert: (*onnxConverter).batchNorm},
	"Flatten":            {attrs: []string{"axis"}, convert: (*onnxConverter).flatten},
	"Reshape":            {attrs: []string{"allowzero"}, only: []onnxOnly{{"allowzero", 0, []int64{0}}}, convert: (*onnxConverter).reshape},
	"Shape":              {attrs: []string{"start", "end"}, convert: (*onnxConverter).shapeOp},
	"Gather":             {attrs: []string{"axis"}, only: []onnxOnly{{"axis", 0, []int64{0, -1}}}, convert: (*onnxConverter).shapeOp},
	"Unsqueeze":          {attrs: []string{"axes"}, convert: (*onnxConverter).shapeOp},
	"Concat":             {attrs: []string{"axis"}, convert: (*onnxConverter).concat},
	"Pad":                {attrs: []string{"mode", "pads", "value"}, convert: (*onnxConverter).pad},
	"Softmax":            {attrs: []string{"axis"}, only: []onnxOnly{{"axis", -1, []int64{1, -1}}}, convert: (*onnxConverter).softmaxOp},
	"LogSoftmax":         {attrs: []string{"axis"}, only: []onnxOnly{{"axis", -1, []int64{1, -1}}}, convert: (*onnxConverter).softmaxOp},
	"Transpose":          {attrs: []string{"perm"}, convert: (*onnxConverter).transpose},
	"Slice":              {attrs: []string{"starts", "ends", "axes"}, convert: (*onnxConverter).slice},
	"Split":              {attrs: []string{"axis", "split", "num_outputs"}, convert: (*onnxConverter).split},
	"Cast":               {attrs: []string{"to", "saturate"}, convert: (*onnxConverter).cast},
	"LayerNormalization": {attrs: []string{"axis", "epsilon", "stash_type"}, extra: "statistics", convert: (*onnxConverter).layerNorm},
	"Pow":                {convert: (*onnxConverter).pow},
	"Sqrt":               {convert: (*onnxConverter).sqrt},
	"Identity":           {convert: (*onnxConverter).identity},
	"Dropout":            {attrs: []string{"ratio", "seed", "is_test"}, extra: "mask", convert: (*onnxConverter).identity},
	"Constant":           {attrs: []string{"value", "value_float", "value_floats", "value_int", "value_ints"}, convert: (*onnxConverter).constantOp},
}

// unary converts an operator that is one lrp layer of one computed input
// in the channels-first layout (a pooling, which reads the spatial axes).
func unary(layer func() lrp.Layer) func(*onnxConverter, *onnxNode) error {
	return func(c *onnxConverter, n *onnxNode) error {
		x, err := c.tensor(n, 0)
		if err != nil {
			return err
		}
		return c.emit(n, layer(), x)
	}
}

// A floatAttr is a float attribute of an operator and its default.
type floatAttr struct {
	name string
	def  float32
}

// elementwise converts an activation, one lrp layer acting on every value
// alone, of one computed input in any layout (pointwise), made by layer
// from the values of attrs (their defaults where the node has none).
func elementwise(layer func(attr []float32) lrp.Layer, attrs ...floatAttr) func(*onnxConverter, *onnxNode) error {
	return func(c *onnxConverter, n *onnxNode) error {
		x, err := c.pointwise(n, 0)
		if err != nil {
			return err
		}
		v := make([]float32, len(attrs))
		for i, a := range attrs {
			if v[i], err = c.attrFloat(n, a.name, a.def); err != nil {
				return err
			}
		}
		return c.emit(n, layer(v), x)
	}
}

// node converts one ONNX node: it checks the node against its operator's
// entry in onnxOps, then converts it.
func (c *onnxConverter) node(n *onnxNode) error {
	if n.domain != "" && n.domain != "ai.onnx" {
		return c.unsupported(n, "operator domain %q", n.domain)
	}
	op, ok := onnxOps[n.op]
	if !ok {
		return c.unsupported(n, "operator %s is not supported", n.op)
	}
	if err := c.allow(n, op.attrs...); err != nil {
		return err
	}
	for k := 1; k < len(n.outputs) && op.extra != ""; k++ {
		if c.uses[n.outputs[k]] > 0 {
			return c.unsupported(n, "output %d (%s) is not supported", k, op.extra)
		}
	}
	for _, a := range op.only {
		v, err := c.attrInt(n, a.name, a.def)
		if err != nil {
			return err
		}
		if !slices.Contains(a.values, v) {
			return c.unsupported(n, "%s=%d; only %s is supported", a.name, v, orList(a.values))
		}
	}
	return op.convert(c, n)
}

// orList writes v as "0", "0 or -1", "0, 1 or 2".
func orList(v []int64) string {
	s := ""
	for k, x := range v {
		switch {
		case k == 0:
		case k == len(v)-1:
			s += " or "
		default:
			s += ", "
		}
		s += strconv.FormatInt(x, 10)
	}
	return s
}
