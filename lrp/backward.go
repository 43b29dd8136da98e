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
	var ins, dst [2][]float32
	var shapes [2][]int
	var direct [2]bool
	for i := last; i >= 0; i-- {
		nd := m.Nodes[i]
		if e.writes[i+1] == 0 { // no relevance reaches this node
			clear(e.rel[i])
			e.sums[i+1] = 0
		}
		e.a.reset()
		n := len(nd.Inputs)
		for k, j := range nd.Inputs {
			ins[k], shapes[k] = e.input(j, x), m.Shape(j)
			direct[k] = e.writes[j+1] == 0 && (k == 0 || nd.Inputs[0] != j)
			if direct[k] {
				dst[k] = e.relOf(j)
			} else {
				dst[k] = e.a.f32(numel(shapes[k]))
			}
		}
		e.layerBackward(i, rules[i], ins[:n], shapes[:n], dst[:n])
		out := e.sums[i+1]
		if e.writes[i+1] > 1 {
			out = sum64(e.rel[i])
		}
		d := LayerDiag{Node: i, Name: nd.Name, Kind: nd.Layer.Kind(), Rule: rules[i].Name(), Out: out}
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
			e.writes[j+1]++
			e.sums[j+1] = s
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
		for k, j := range nd.Inputs {
			if written[j+1] || (k > 0 && nd.Inputs[0] == j) {
				s.f32(numel(m.Shape(j)))
			}
		}
		s.layerBackward(i, rules[i])
		for _, j := range nd.Inputs {
			written[j+1] = true
		}
	}
}

// layerBackward replays Explainer.layerBackward for a sizer.
func (s *sizer) layerBackward(i int, rule Rule) {
	nd := s.m.Nodes[i]
	in := s.m.Shape(nd.Inputs[0])
	_, grad := rule.(Gradient)
	switch l := nd.Layer.(type) {
	case affine:
		if grad {
			if c, ok := l.(*Conv2D); ok {
				c.sizeTranspose(s, in, []wref{{i: i}})
			}
			return
		}
		s.exact = !winogradSafe(rule)
		rule.(affineRule).size(&sstep{s: s, i: i, l: l, in: in, nx: numel(in), nz: numel(s.m.Shape(i)), nonneg: s.nonneg[nd.Inputs[0]+1]})
		s.exact = false
	case *AvgPool2D, *GlobalAvgPool:
		s.f64(numel(in))
		if !grad {
			s.f32(numel(s.m.Shape(i)))
		}
	}
}

// copies reports whether the layer passes the relevance at its output to
// its input as an exact copy under rule (see layerBackward), or spreads
// its values over zeros, so that its sum is known: the diagnostics skip
// summing it again.
func copies(l Layer, rule Rule) bool {
	_, grad := rule.(Gradient)
	switch l := l.(type) {
	case *ReLU:
		return !grad
	case *Flatten:
		return true
	case *MaxPool2D:
		// Windows that do not overlap send each output's relevance to
		// one input of its own: the same values, and zeros.
		return l.SH >= l.KH && l.SW >= l.KW
	}
	return false
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
// node i, from the relevance at its output.
func (e *Explainer) layerBackward(i int, rule Rule, x [][]float32, shapes [][]int, dst [][]float32) {
	r, y := e.rel[i], e.acts[i]
	_, grad := rule.(Gradient)
	switch l := e.m.Nodes[i].Layer.(type) {
	case affine:
		// Every gradient that the layer's transposed passes receive is
		// zero where r is: r itself, or r divided by a denominator.
		e.a.within, e.a.supp = r, e.supp[i]
		if grad {
			w, _ := l.params()
			l.transpose(dst[0], term(r, w), false, shapes[0], &e.a)
		} else {
			e.st = step{l: l, in: shapes[0], x: x[0], z: y, r: r, dst: dst[0], a: &e.a, w: &e.w[i], lo: e.lo, hi: e.hi}
			e.a.exact = !winogradSafe(rule)
			rule.(affineRule).relevance(&e.st)
			e.a.exact = false
		}
		e.a.within, e.a.supp = nil, nil
	case *ReLU:
		if !grad {
			copy(dst[0], r)
			return
		}
		for t, v := range x[0] {
			dst[0][t] = r[t]
			if !(v > 0) {
				dst[0][t] = 0
			}
		}
	case *ReLU6:
		for t, v := range x[0] {
			dst[0][t] = r[t]
			if grad && !(v > 0 && v < 6) {
				dst[0][t] = 0
			}
		}
	case *MaxPool2D:
		clear(dst[0])
		for o, k := range e.arg[i] {
			dst[0][k] += r[o]
		}
	case *AvgPool2D:
		e.poolBackward(avgPoolOf(l), grad, rule, x[0], shapes[0], y, r, dst[0])
	case *GlobalAvgPool:
		e.poolBackward(globalPool(shapes[0]), grad, rule, x[0], shapes[0], y, r, dst[0])
	case *Flatten:
		copy(dst[0], r)
	case *Add:
		if grad {
			copy(dst[0], r)
			copy(dst[1], r)
			return
		}
		eps := rule.(Norm).Stab
		for t, v := range y {
			g := r[t] / stab(v, eps)
			dst[0][t], dst[1][t] = x[0][t]*g, x[1][t]*g
		}
	case *BatchNorm:
		hw := len(r) / len(l.Mean)
		for c := range l.Mean {
			s, _ := l.scaleShift(c)
			if !grad {
				s = 1
			}
			for t := c * hw; t < (c+1)*hw; t++ {
				dst[0][t] = r[t] * s
			}
		}
	}
}

// poolBackward is the gradient of average pooling (R_o/k_o to each input of
// window o) or, with Norm, R_i = x_i·Σ_o R_o / (k_o·stab(y_o)).
func (e *Explainer) poolBackward(p pool, grad bool, rule Rule, x []float32, in []int, y, r, dst []float32) {
	acc := e.a.f64(len(dst))
	if grad {
		p.spread(dst, r, in, acc)
		return
	}
	eps := rule.(Norm).Stab
	g := e.a.f32(len(y))
	for o, v := range y {
		g[o] = r[o] / stab(v, eps)
	}
	p.spread(dst, g, in, acc)
	for t, v := range x {
		dst[t] *= v
	}
}
