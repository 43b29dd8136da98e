package model

import (
	"math"
	"slices"

	"github.com/lrpwasm/lrp/lrp"
)

// Layouts, channel slices and the shape computations around them: the
// Transposes to channels-last and back that ConvNeXt writes around its
// LayerNorm and Linear layers, ShuffleNetV2's channel split (Slice or
// Split on the channel axis) and channel shuffle (Reshape, Transpose,
// Reshape), and the integer arithmetic on Shape outputs that computes
// their sizes, folded to constants here.

// A layout says how an ONNX tensor of rank 4 holds the values of an lrp
// node of shape [C][H][W]: as they are (nchw), transposed to channels-last
// by a Transpose with perm [0, 2, 3, 1] ([N, H, W, C]), or in the two
// steps of a channel shuffle of g groups: reshaped to [N, g, C/g, H, W]
// (grouped) and its two group axes transposed, [N, C/g, g, H, W]
// (swapped). A Transpose or Reshape between them makes no node; the
// Reshape back from swapped makes an lrp.Shuffle.
type layout int

const (
	nchw layout = iota
	channelsLast
	grouped
	swapped
)

// onnxDims returns the shape of v, a computed tensor, as ONNX sees it,
// without the batch axis.
func (v *onnxVal) onnxDims() []int {
	s := v.shape
	switch v.layout {
	case channelsLast:
		return []int{s[1], s[2], s[0]}
	case grouped:
		return []int{v.groups, s[0] / v.groups, s[1], s[2]}
	case swapped:
		return []int{s[0] / v.groups, v.groups, s[1], s[2]}
	}
	return s
}

// channelAxis returns the channel axis of v in [batch, onnxDims...]: 1,
// or the last for a channels-last tensor.
func (v *onnxVal) channelAxis() int {
	if v.layout == channelsLast {
		return 3
	}
	return 1
}

// perChannel returns the constant t as one value per channel of v, a
// computed tensor that t broadcasts to, or false if t varies along
// another axis. For a flat [batch, N] tensor every element is a channel.
func perChannel(t *onnxTensor, v *onnxVal) ([]float32, bool) {
	return perAxis(t, v.onnxDims(), v.channelAxis())
}

// perAxis returns the constant t as one value per index of axis of a
// tensor of shape [batch, dims...] that t broadcasts to, or false if t
// varies along another axis.
func perAxis(t *onnxTensor, dims []int, axis int) ([]float32, bool) {
	if len(t.dims) > len(dims)+1 || t.n < 1 {
		return nil, false
	}
	lead := len(dims) + 1 - len(t.dims)
	varies := false
	for k, d := range t.dims {
		switch {
		case d == 1:
		case lead+k == axis && d == int64(dims[axis-1]):
			varies = true
		default:
			return nil, false
		}
	}
	out := make([]float32, dims[axis-1])
	for k := range out {
		if varies {
			out[k] = t.f[k]
		} else {
			out[k] = t.f[0]
		}
	}
	return out, true
}

// transpose converts a Transpose of a computed tensor: to channels-last
// and back, and the channel shuffle's swap of its group axes. Anything
// else is refused.
func (c *onnxConverter) transpose(n *onnxNode) error {
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	if v.kind != valTensor {
		return c.unsupported(n, "Transpose of a constant or shape")
	}
	r := len(v.onnxDims()) + 1
	perm, ok, err := c.attrInts(n, "perm")
	if err != nil {
		return err
	}
	if !ok { // the default reverses the axes
		for k := r - 1; k >= 0; k-- {
			perm = append(perm, int64(k))
		}
	}
	if len(perm) != r {
		return c.bad(n, "perm %s has %d values for a tensor of rank %d", shapeString(perm), len(perm), r)
	}
	seen := make([]bool, r)
	for _, p := range perm {
		if p < 0 || p >= int64(r) || seen[p] {
			return c.bad(n, "perm %s is not a permutation of %d axes", shapeString(perm), r)
		}
		seen[p] = true
	}
	is := func(want ...int64) bool { return slices.Equal(perm, want) }
	var to layout
	switch {
	case isIdentity(perm):
		c.alias(n, v)
		return nil
	case v.layout == nchw && len(v.shape) == 3 && is(0, 2, 3, 1):
		to = channelsLast
	case v.layout == channelsLast && is(0, 3, 1, 2):
		to = nchw
	case v.layout == grouped && is(0, 2, 1, 3, 4):
		to = swapped
	default:
		return c.unsupported(n, "perm %s of a tensor of shape %s; only the Transposes to channels-last, [0, 2, 3, 1], and back, [0, 3, 1, 2], and the channel shuffle's, [0, 2, 1, 3, 4], are supported",
			shapeString(perm), shapeString(dims64(v.onnxDims())))
	}
	if v.layout != grouped {
		if _, err := c.pointwise(n, 0); err != nil {
			return err
		}
	}
	c.relayout(n, v, to, v.groups)
	return nil
}

// relayout makes output 0 of n the values of input 0, v, in layout to
// with groups: an alias, which a node may change in place (sole) only in
// the layouts a layer reads.
func (c *onnxConverter) relayout(n *onnxNode, v *onnxVal, to layout, groups int) {
	w := *v
	w.sole = v.sole && c.uses[n.inputs[0]] == 1 && (to == nchw || to == channelsLast)
	w.layout, w.groups = to, groups
	c.set(n, 0, &w)
}

// isIdentity reports whether perm leaves every axis in place.
func isIdentity(perm []int64) bool {
	for k, p := range perm {
		if p != int64(k) {
			return false
		}
	}
	return true
}

// dims64 converts a shape for shapeString.
func dims64(d []int) []int64 {
	out := make([]int64, len(d))
	for k, v := range d {
		out[k] = int64(v)
	}
	return out
}

// reshape converts a Reshape of a computed tensor: flattening to
// [batch, −1], a Reshape to the shape it has, and the two Reshapes of the
// channel shuffle, to [batch, g, C/g, H, W] and, after the Transpose of
// its group axes, back to [batch, C, H, W] (an lrp.Shuffle of g groups).
func (c *onnxConverter) reshape(n *onnxNode) error {
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	if v.kind != valTensor {
		return c.unsupported(n, "Reshape of a constant or shape")
	}
	s, err := c.shapeVal(n, 1)
	if err != nil {
		return err
	}
	dims, err := c.target(n, v, s.dims)
	if err != nil {
		return err
	}
	if v.layout == swapped && slices.Equal(dims, v.shape) {
		x := &onnxVal{kind: valTensor, node: v.node, shape: v.shape}
		if v.groups == 1 || v.groups == v.shape[0] { // the identity
			c.set(n, 0, x)
			return nil
		}
		return c.emit(n, &lrp.Shuffle{Groups: v.groups}, x)
	}
	x, err := c.tensor(n, 0)
	if err != nil {
		return err
	}
	switch {
	case len(dims) == 1 && dims[0] == lrpSize(x.shape):
		return c.flattenTo(n, x)
	case slices.Equal(dims, x.shape):
		c.alias(n, x)
		return nil
	case len(x.shape) == 3 && len(dims) == 4 && dims[0]*dims[1] == x.shape[0] && slices.Equal(dims[2:], x.shape[1:]):
		c.relayout(n, x, grouped, dims[0])
		return nil
	}
	return c.unsupported(n, "Reshape to %s; only flattening to [batch, -1] and the channel shuffle's Reshapes, [batch, g, C/g, H, W] and back, are supported", shapeString(s.dims))
}

// lrpSize returns the number of values of a shape.
func lrpSize(s []int) int {
	n := 1
	for _, d := range s {
		n *= d
	}
	return n
}

// target returns the shape, without the batch axis, that Reshape target d
// gives a tensor v: ONNX's rules with allowzero=0 (0 copies the input's
// dimension, one −1 takes what is left), the first axis the batch (the
// batch itself, 0, 1, or −1 with the rest fixed). Any size that does not
// divide the input's is refused before it is multiplied, so nothing
// overflows.
func (c *onnxConverter) target(n *onnxNode, v *onnxVal, d []int64) ([]int, error) {
	in := v.onnxDims()
	size := int64(lrpSize(in))
	if len(d) == 0 || len(d) > onnxMaxRank {
		return nil, c.unsupported(n, "Reshape to %s; want a shape of rank 1 to %d", shapeString(d), onnxMaxRank)
	}
	switch d[0] {
	case batchDim, 0, 1, -1:
	default:
		return nil, c.unsupported(n, "Reshape to %s changes the batch axis", shapeString(d))
	}
	out := make([]int, len(d)-1)
	infer, prod := -1, int64(1)
	for k, x := range d[1:] {
		switch {
		case x == -1 && infer < 0 && d[0] != -1:
			infer = k
			continue
		case x == -1:
			return nil, c.bad(n, "Reshape to %s has more than one -1", shapeString(d))
		case x == 0 && k < len(in):
			x = int64(in[k])
		case x < 1:
			return nil, c.bad(n, "Reshape to %s: dimension %d is %d", shapeString(d), k+1, x)
		}
		if x > size || prod*x > size {
			return nil, c.unsupported(n, "Reshape to %s of a tensor of %d values", shapeString(d), size)
		}
		prod *= x
		out[k] = int(x)
	}
	switch {
	case infer >= 0 && size%prod == 0:
		out[infer] = int(size / prod)
	case infer >= 0 || prod != size:
		return nil, c.unsupported(n, "Reshape to %s of a tensor of %d values", shapeString(d), size)
	}
	return out, nil
}

// slice converts Slice: of a computed tensor, on the channel axis (an
// lrp.Slice; the other axes must be kept whole); of a shape vector, its
// values. Starts and ends are clamped as ONNX says (a negative one counts
// from the end, INT64_MAX is the end); steps must be positive.
func (c *onnxConverter) slice(n *onnxNode) error {
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	// Opset 10 moved starts, ends and axes from attributes to inputs and
	// added steps.
	var p [4][]int64
	for k, name := range []string{"starts", "ends", "axes", ""} {
		a, ok, err := c.attrInts(n, name)
		if err != nil {
			return err
		}
		if !ok {
			if a, ok, err = c.ints(n, k+1); err != nil {
				return err
			}
		}
		if !ok && k < 2 {
			return c.bad(n, "%s are missing", name)
		}
		p[k] = a
	}
	starts, ends, axes, steps := p[0], p[1], p[2], p[3]
	if len(ends) != len(starts) || axes != nil && len(axes) != len(starts) || steps != nil && len(steps) != len(starts) {
		return c.bad(n, "starts, ends, axes and steps have %d, %d, %d and %d values", len(starts), len(ends), len(axes), len(steps))
	}
	var dims []int // the sliced tensor's, with the batch axis
	switch v.kind {
	case valShape:
		dims = []int{len(v.dims)}
	case valTensor:
		if v, err = c.tensor(n, 0); err != nil {
			return err
		}
		dims = append([]int{1}, v.shape...)
	default:
		return c.unsupported(n, "Slice of a constant")
	}
	if len(starts) > len(dims) {
		return c.bad(n, "%d starts for a tensor of rank %d", len(starts), len(dims))
	}
	type cut struct{ start, stop, step int }
	cuts := make([]cut, len(dims))
	for a, d := range dims {
		cuts[a] = cut{0, d, 1}
	}
	seen := make([]bool, len(dims))
	for k := range starts {
		a := int64(k)
		if axes != nil {
			a = axes[k]
		}
		if a < 0 {
			a += int64(len(dims))
		}
		if a < 0 || a >= int64(len(dims)) || seen[a] {
			return c.bad(n, "axes %s are not distinct axes of a tensor of rank %d", shapeString(axes), len(dims))
		}
		seen[a] = true
		step := int64(1)
		if steps != nil {
			step = steps[k]
		}
		switch {
		case step == 0:
			return c.bad(n, "step 0")
		case step < 0:
			return c.unsupported(n, "step %d; only positive steps are supported", step)
		}
		d := int64(dims[a])
		start, stop := clampIndex(starts[k], d), clampIndex(ends[k], d)
		if start >= stop {
			return c.unsupported(n, "Slice %d:%d of %d values on axis %d selects nothing", starts[k], ends[k], d, a)
		}
		cuts[a] = cut{int(start), int(stop), int(min(step, d))}
	}
	if v.kind == valShape {
		ct := cuts[0]
		out := &onnxVal{kind: valShape}
		for i := ct.start; i < ct.stop; i += ct.step {
			out.dims = append(out.dims, v.dims[i])
		}
		c.set(n, 0, out)
		return nil
	}
	for a, ct := range cuts {
		if a != 1 && ct != (cut{0, dims[a], 1}) {
			return c.unsupported(n, "Slice of axis %d; only slices of the channel axis, 1, are supported", a)
		}
	}
	if ct := cuts[1]; ct != (cut{0, dims[1], 1}) {
		return c.emit(n, &lrp.Slice{Start: ct.start, Stop: ct.stop, Step: ct.step}, v)
	}
	c.alias(n, v)
	return nil
}

// clampIndex is ONNX Slice's index for a positive step on an axis of d
// values: counted from the end if negative, then clamped to [0, d].
func clampIndex(i, d int64) int64 {
	if i < 0 {
		i += d // no overflow: d > 0
	}
	return min(max(i, 0), d)
}

// split converts Split of a computed tensor on the channel axis: each
// output an lrp.Slice of consecutive channels, of the sizes of split
// (input 1 since opset 13, an attribute before), else num_outputs equal
// parts (opset 18; the last one smaller if they do not divide), else as
// many equal parts as there are outputs.
func (c *onnxConverter) split(n *onnxNode) error {
	x, err := c.tensor(n, 0)
	if err != nil {
		return err
	}
	axis, err := c.attrInt(n, "axis", 0)
	if err != nil {
		return err
	}
	if axis < 0 {
		axis += int64(len(x.shape) + 1)
	}
	if axis != 1 {
		return c.unsupported(n, "axis=%d; only the channel axis, 1, is supported", axis)
	}
	sizes, ok, err := c.attrInts(n, "split")
	if err != nil {
		return err
	}
	if !ok {
		if sizes, ok, err = c.ints(n, 1); err != nil {
			return err
		}
	}
	C := int64(x.shape[0])
	if !ok {
		parts, err := c.attrInt(n, "num_outputs", int64(len(n.outputs)))
		if err != nil {
			return err
		}
		if parts < 1 || parts != int64(len(n.outputs)) {
			return c.bad(n, "num_outputs=%d for %d outputs", parts, len(n.outputs))
		}
		each := (C + parts - 1) / parts
		for k := range parts {
			sizes = append(sizes, max(0, min(each, C-k*each)))
		}
	}
	if len(sizes) != len(n.outputs) {
		return c.bad(n, "split has %d sizes for %d outputs", len(sizes), len(n.outputs))
	}
	var sum int64
	for _, s := range sizes {
		if s < 1 || s > C {
			return c.unsupported(n, "split %s of %d channels: every part must hold 1 to %d", shapeString(sizes), C, C)
		}
		sum += s
	}
	if sum != C {
		return c.bad(n, "split %s does not add up to the %d channels", shapeString(sizes), C)
	}
	if len(sizes) == 1 {
		c.alias(n, x)
		return nil
	}
	start := 0
	for k, s := range sizes {
		name := onnxName(n)
		if n.outputs[k] != "" {
			name = n.outputs[k]
		}
		l := &lrp.Slice{Start: start, Stop: start + int(s), Step: 1}
		start += int(s)
		if n.outputs[k] == "" || c.uses[n.outputs[k]] == 0 {
			continue // no node reads it
		}
		if err := c.emitTo(n, k, name, l, x); err != nil {
			return err
		}
	}
	return nil
}

// cast converts Cast of a shape computation to an integer type: the
// values stay.
func (c *onnxConverter) cast(n *onnxNode) error {
	to, err := c.attrInt(n, "to", 0)
	if err != nil {
		return err
	}
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	if v.kind == valTensor || (to != onnxInt64 && to != onnxInt32) {
		return c.unsupported(n, "Cast to type %d; only Cast of a shape computation to an integer type (6, 7) is supported", to)
	}
	s, err := c.shapeVal(n, 0)
	if err != nil {
		return err
	}
	for _, d := range s.dims {
		if to == onnxInt32 && d != batchDim && (d < math.MinInt32 || d > math.MaxInt32) {
			return c.unsupported(n, "Cast of %d to int32", d)
		}
	}
	c.set(n, 0, s)
	return nil
}

// shapeArith folds Add, Sub, Mul and Div of two shape vectors or integer
// constants (ONNX broadcasting: equal lengths, or one of one value or a
// scalar): ShuffleNetV2 computes the channels of its split and shuffle
// so, (C + 1)/2·1 and C/2. Integer division truncates, as onnxruntime's
// does. The batch size is unknown, so arithmetic on it is refused; so is
// a result that overflows int64.
func (c *onnxConverter) shapeArith(n *onnxNode) error {
	a, err := c.shapeVal(n, 0)
	if err != nil {
		return err
	}
	b, err := c.shapeVal(n, 1)
	if err != nil {
		return err
	}
	la, lb := len(a.dims), len(b.dims)
	if la != lb && la != 1 && lb != 1 {
		return c.bad(n, "%s of vectors of %d and %d values", n.op, la, lb)
	}
	out := &onnxVal{kind: valShape, scalar: a.scalar && b.scalar, dims: make([]int64, max(la, lb))}
	if la == 0 || lb == 0 {
		out.dims = nil
	}
	for k := range out.dims {
		x, y := a.dims[min(k, la-1)], b.dims[min(k, lb-1)]
		if x == batchDim || y == batchDim {
			return c.unsupported(n, "%s of the batch size", n.op)
		}
		r, ok := intOp(n.op, x, y)
		if !ok {
			if n.op == "Div" && y == 0 {
				return c.bad(n, "division by zero")
			}
			return c.unsupported(n, "%s of %d and %d overflows", n.op, x, y)
		}
		out.dims[k] = r
	}
	c.set(n, 0, out)
	return nil
}

// intOp returns x op y, or false if it overflows int64 (or is
// math.MinInt64, the converter's mark for the batch size) or divides by
// zero.
func intOp(op string, x, y int64) (int64, bool) {
	var r int64
	switch op {
	case "Add":
		r = x + y
		if (y > 0 && r < x) || (y < 0 && r > x) {
			return 0, false
		}
	case "Sub":
		r = x - y
		if (y > 0 && r > x) || (y < 0 && r < x) {
			return 0, false
		}
	case "Mul":
		r = x * y
		if x != 0 && (r/x != y || x == -1 && y == math.MinInt64) {
			return 0, false
		}
	case "Div":
		if y == 0 || x == math.MinInt64 && y == -1 {
			return 0, false
		}
		r = x / y
	}
	return r, r != batchDim
}
