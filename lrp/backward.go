package lrp

import "math"

// backward propagates the start vector from the output to the input with one
// rule per node, leaving the input relevance in e.relIn and the
// conservation chain in e.diag.
func (e *Explainer) backward(x []float32, rules []Rule, start []float32) {
	m := e.m
	for i := range e.rel {
		clear(e.rel[i])
	}
	clear(e.relIn)
	copy(e.rel[len(m.Nodes)-1], start)
	e.diag = e.diag[:0]
	var ins, dst [2][]float32
	var shapes [2][]int
	for i := len(m.Nodes) - 1; i >= 0; i-- {
		nd := m.Nodes[i]
		e.a.reset()
		n := len(nd.Inputs)
		for k, j := range nd.Inputs {
			ins[k], shapes[k] = e.input(j, x), m.Shape(j)
			dst[k] = e.a.f32(numel(shapes[k]))
		}
		e.layerBackward(i, rules[i], ins[:n], shapes[:n], dst[:n])
		d := LayerDiag{Node: i, Name: nd.Name, Kind: nd.Layer.Kind(), Rule: rules[i].Name(), Out: sum64(e.rel[i])}
		for k, j := range nd.Inputs {
			to := e.relIn
			if j != Input {
				to = e.rel[j]
			}
			d.In += addSum(to, dst[k])
		}
		// A NaN or Inf among the values makes their float64 sum NaN or Inf
		// (float32 values cannot overflow it).
		d.NaN = math.IsNaN(d.In) || math.IsInf(d.In, 0)
		d.Absorbed = d.Out - d.In
		e.diag = append(e.diag, d)
	}
}

// addSum adds v to dst and returns the float64 sum of v.
func addSum(dst, v []float32) float64 {
	add(dst, v)
	return sum64(v)
}

// layerBackward sets dst[k], the relevance (or gradient) passed to input k of
// node i, from the relevance at its output.
func (e *Explainer) layerBackward(i int, rule Rule, x [][]float32, shapes [][]int, dst [][]float32) {
	r, y := e.rel[i], e.acts[i]
	_, grad := rule.(Gradient)
	switch l := e.m.Nodes[i].Layer.(type) {
	case affine:
		if grad {
			w, _ := l.params()
			l.transpose(dst[0], r, w, false, shapes[0], &e.a)
			return
		}
		e.st = step{l: l, in: shapes[0], x: x[0], z: y, r: r, dst: dst[0], a: &e.a, w: &e.w[i], lo: e.lo, hi: e.hi}
		rule.(affineRule).relevance(&e.st)
	case *ReLU:
		for t, v := range x[0] {
			dst[0][t] = r[t]
			if grad && !(v > 0) {
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
