package lrp

import "math"

// backward propagates the start vector from the output to the input with one
// rule per node, leaving the input relevance in e.relIn and the
// conservation chain in e.diag.
//
// The first node to pass relevance to a tensor writes it in place, later
// ones add theirs through a scratch buffer, so that no relevance buffer is
// cleared first; a tensor written once has the sum its writer computed,
// which is its Out without another pass.
func (e *Explainer) backward(x []float32, rules []Rule, start []float32) {
	m := e.m
	last := len(m.Nodes) - 1
	for i := range e.writes {
		e.writes[i] = 0
	}
	clear(e.supp)
	copy(e.rel[last], start)
	e.writes[last+1], e.sums[last+1] = 1, sum64(start)
	e.diag = e.diag[:0]
	sums := e.inSums
	for i := last; i >= 0; i-- {
		nd := m.Nodes[i]
		if e.writes[i+1] == 0 { // no relevance reaches this node
			clear(e.rel[i])
			e.sums[i+1] = 0
		}
		e.a.reset()
		n := len(nd.Inputs)
		ins, shapes, dst, direct := e.ins[:n], e.inShapes[:n], e.dsts[:n], e.direct[:n]
		for k, j := range nd.Inputs {
			ins[k], shapes[k] = e.input(j, x), m.Shape(j)
			// The first writer of a tensor writes it in place, any later
			// one through a scratch buffer: another node, or this one
			// reading the tensor again (Add(x, x), a Concat of x twice).
			direct[k] = e.writes[j+1] == 0
			e.writes[j+1]++
			if direct[k] {
				dst[k] = e.relOf(j)
			} else {
				dst[k] = e.a.f32(numel(shapes[k]))
			}
		}
		e.layerBackward(i, rules[i], ins, shapes, dst)
		out := e.sums[i+1]
		if e.writes[i+1] > 1 {
			out = sum64(e.rel[i])
		}
		d := LayerDiag{Node: i, Name: nd.Name, Kind: nd.Layer.Kind(), Rule: rules[i].Name(), Out: out, Inputs: sums[:n:n]}
		sums = sums[n:]
		for k, j := range nd.Inputs {
			s := out // a copy of the relevance at the output sums to the same
			if !copies(nd.Layer, rules[i]) {
				s = sum64(dst[k])
			}
			if !direct[k] {
				add(e.relOf(j), dst[k])
			}
			if j != Input {
				e.supp[j] = nil // a sum of two relevances
				if direct[k] {
					e.supp[j] = e.support(i)
				}
			}
			e.sums[j+1] = s
			d.Inputs[k] = s
			d.In += s
		}
		// A NaN or Inf among the values makes their float64 sum NaN or Inf
		// (float32 values cannot overflow it).
		d.NaN = math.IsNaN(d.In) || math.IsInf(d.In, 0)
		d.Absorbed = d.Out - d.In
		e.diag = append(e.diag, d)
	}
	if e.writes[0] == 0 {
		clear(e.relIn)
	}
}

// backward replays Explainer.backward for a sizer.
func (s *sizer) backward(rules []Rule) {
	m := s.m
	written := make([]bool, len(m.Nodes)+1) // e.writes > 0
	written[len(m.Nodes)] = true
	for i := len(m.Nodes) - 1; i >= 0; i-- {
		nd := m.Nodes[i]
		s.reset()
		for _, j := range nd.Inputs {
			if written[j+1] {
				s.f32(numel(m.Shape(j)))
			}
			written[j+1] = true
		}
		s.layerBackward(i, rules[i])
	}
}

// layerBackward replays Explainer.layerBackward for a sizer.
func (s *sizer) layerBackward(i int, rule Rule) {
	nd := s.m.Nodes[i]
	in := s.m.Shape(nd.Inputs[0])
	l, ok := nd.Layer.(affine)
	if !ok {
		rule.(layerRule).sizeBackward(s, nd.Layer, in, s.m.Shape(i))
		return
	}
	r := rule.(affineRule)
	r.size(&sstep{s: s, i: i, l: l, in: in, nx: numel(in), nz: numel(s.m.Shape(i)), nonneg: s.nonneg[nd.Inputs[0]+1], exact: !r.winogradSafe()})
}

// copies reports whether the layer passes the relevance at its output to
// its input as an exact copy under rule, or spreads its values over
// zeros, so that its sum is known: the diagnostics skip summing it again.
func copies(l Layer, rule Rule) bool {
	r, ok := rule.(layerRule)
	return ok && r.copies(l)
}

// support returns the sorted indices outside of which the relevance that
// node i passes to its input is zero, or nil if they are not known: those
// of the winners of a max pooling whose windows do not overlap (distinct
// and increasing, see maxPool), or, through a layer that copies or masks
// the relevance at its output, the support of that. The affine layers'
// transposed passes then visit these indices instead of searching for the
// nonzeros (Conv2D.transpose).
func (e *Explainer) support(i int) []int32 {
	switch l := e.m.Nodes[i].Layer.(type) {
	case *MaxPool2D:
		if l.SH >= l.KH && l.SW >= l.KW {
			return e.arg[i]
		}
	case *ReLU, *ReLU6, *Flatten:
		return e.supp[i]
	}
	return nil
}

// relOf is the relevance buffer of node j's output, or of the input.
func (e *Explainer) relOf(j int) []float32 {
	if j == Input {
		return e.relIn
	}
	return e.rel[j]
}

// layerBackward sets dst[k], the relevance (or gradient) passed to input k of
// node i, from the relevance at its output: an affine layer's rule runs
// its four steps (step), any other layer's rule runs on a layerStep.
//
// The affine layer's products take the settings of its pass (step.p):
// exact where the rule is not winogradSafe; within r, since every
// gradient that the transposed products receive, and every need vector
// of the forward products, is zero where r is (r itself, or r divided by
// a denominator), with r's support if it is known; and the call's split.
func (e *Explainer) layerBackward(i int, rule Rule, x [][]float32, shapes [][]int, dst [][]float32) {
	r, y := e.rel[i], e.acts[i]
	l, ok := e.m.Nodes[i].Layer.(affine)
	if !ok {
		b := &e.ls
		*b = layerStep{l: e.m.Nodes[i].Layer, x: x, in: shapes, y: y, r: r, dst: dst, arg: e.arg[i], a: &e.a}
		rule.(layerRule).backward(b)
		return
	}
	ar := rule.(affineRule)
	e.st = step{l: l, in: shapes[0], x: x[0], z: y, r: r, dst: dst[0], a: &e.a, w: &e.w[i], lo: e.lo, hi: e.hi,
		p: pass{exact: !ar.winogradSafe(), within: r, supp: e.supp[i], split: e.split}}
	ar.relevance(&e.st)
}

// A layerStep is what a rule needs to send relevance across a layer
// without weights.
type layerStep struct {
	l   Layer
	x   [][]float32 // the layer's inputs (x[1] for Add and Mul, all of a Concat's)
	in  [][]int     // their shapes
	y   []float32   // its output
	r   []float32   // the relevance at its output
	dst [][]float32 // the relevance at its inputs, set by the rule
	arg []int32     // for MaxPool2D, the input index of each output
	a   *arena
}

// poolOf is the pooling of an AvgPool2D or a GlobalAvgPool l with input
// shape in.
func poolOf(l Layer, in []int) pool {
	if l, ok := l.(*AvgPool2D); ok {
		return avgPoolOf(l)
	}
	return globalPool(in)
}
