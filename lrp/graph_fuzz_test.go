package lrp

import (
	"fmt"
	"testing"
)

// fuzzGraph builds a model from fuzz bytes: an input of at most 3×8×8 and
// up to 12 nodes, each of a kind, mostly reading the node before it (else
// any earlier node or the input), with a small geometry, all chosen by the
// bytes; layers take their input sizes from the shapes so far, and a
// flatten and a dense head end the graph when its output is not yet a
// vector. Weights have the sizes the geometry asks for (a wrong size is a
// programmer's mistake, not the fuzzer's business), so what the fuzzer
// explores is the graph: its wiring, shapes, strides, paddings, groups,
// dilations and layer orders. Some graphs are still invalid (a shape that
// does not fit, a node nobody reads): NewModel must refuse those.
func fuzzGraph(b []byte) (InputSpec, []Node) {
	next := func() int {
		if len(b) == 0 {
			return 0
		}
		v := int(b[0])
		b = b[1:]
		return v
	}
	in := InputSpec{Shape: []int{1 + next()%3, 1 + next()%8, 1 + next()%8}, Low: 0, High: 1}
	if next()%4 == 0 {
		in.Shape = []int{1 + next()%16}
	}
	r := newRand(uint64(next()))
	var nodes []Node
	var shapes [][]int
	shape := func(j int) []int {
		if j == Input {
			return in.Shape
		}
		return shapes[j]
	}
	add := func(l Layer, ins ...int) {
		ss := make([][]int, len(ins))
		for k, j := range ins {
			ss[k] = shape(j)
		}
		s, err := l.OutShape(ss)
		if err != nil {
			s = []int{1} // the model is invalid; NewModel says why
		}
		nodes = append(nodes, Node{Name: fmt.Sprintf("n%d", len(nodes)), Layer: l, Inputs: ins})
		shapes = append(shapes, s)
	}
	for range 1 + next()%12 {
		i := len(nodes)
		src := i - 1
		if next()%4 == 0 {
			src = next()%(i+1) - 1
		}
		s := shape(src)
		c, n := s[0], numel(s)
		switch next() % 20 {
		case 0:
			g := 1 + next()%2
			outC := g * (1 + next()%3)
			if next()%8 != 0 { // else a channel count that may not fit
				c = max(g, c-c%g)
			}
			conv := Conv2D{InC: c, OutC: outC, KH: 1 + next()%3, KW: 1 + next()%3,
				SH: 1 + next()%2, SW: 1 + next()%2, DH: 1 + next()%2, DW: 1 + next()%2,
				PT: next() % 3, PL: next() % 3, PB: next() % 3, PR: next() % 3, Groups: g}
			add(randConv(r, conv, next()%2 == 0), src)
		case 1:
			add(randDense(r, n, 1+next()%6, next()%2 == 0), src)
		case 2:
			add(&ReLU{}, src)
		case 3:
			add(&ReLU6{}, src)
		case 4:
			add(&MaxPool2D{KH: 1 + next()%3, KW: 1 + next()%3, SH: 1 + next()%2, SW: 1 + next()%2, PT: next() % 2, PL: next() % 2, PB: next() % 2, PR: next() % 2, Ceil: next()%2 == 0}, src)
		case 5:
			add(&AvgPool2D{KH: 1 + next()%3, KW: 1 + next()%3, SH: 1 + next()%2, SW: 1 + next()%2, PT: next() % 2, PL: next() % 2, PB: next() % 2, PR: next() % 2, CountIncludePad: next()%2 == 0, Ceil: next()%2 == 0}, src)
		case 6:
			add(&GlobalAvgPool{}, src)
		case 7:
			add(&Flatten{}, src)
		case 8:
			add(&Add{}, src, next()%(i+1)-1)
		case 9, 10:
			add(randBN(uint64(next()), c), src)
		case 11, 12: // 1 to 4 inputs, earlier nodes or the input, often src twice
			ins := []int{src}
			for range next() % 4 {
				ins = append(ins, next()%(i+1)-1)
			}
			add(&Concat{}, ins...)
		case 13: // a gate of src's channels, or of another node's
			g := src
			if next()%4 == 0 {
				g = next()%(i+1) - 1
			}
			if len(shape(g)) == 3 {
				add(&GlobalAvgPool{}, g)
				g = len(nodes) - 1
			}
			add(&Sigmoid{}, g)
			add(&Mul{}, src, len(nodes)-1)
		case 14, 15:
			acts := []Layer{&Sigmoid{}, &HardSigmoid{Alpha: 0.2, Beta: 0.5}, &SiLU{}, &HardSwish{}, &GELU{}, &LeakyReLU{Alpha: 0.1}, &ELU{Alpha: 1}, &Tanh{}}
			add(acts[next()%len(acts)], src)
		case 16: // channels start to stop by step, sometimes past the last
			start := next() % c
			stop := start + 1 + next()%(c-start)
			if next()%8 == 7 {
				stop = c + 1
			}
			add(&Slice{Start: start, Stop: stop, Step: 1 + next()%3}, src)
		case 17: // groups that divide the channels, or not
			add(&Shuffle{Groups: 1 + next()%c}, src)
		case 18:
			add(&LayerNorm{Gamma: uniforms(r, c, 0.5, 1.5), Beta: normals(r, c, 0.1), Eps: 1e-5}, src)
		case 19:
			l := &Scale{W: normals(r, c, 1)}
			if next()%2 == 0 {
				l.B = normals(r, c, 0.1)
			}
			add(l, src)
		}
	}
	if s := shape(len(nodes) - 1); len(s) != 1 {
		add(&Flatten{}, len(nodes)-1)
	}
	add(randDense(r, numel(shape(len(nodes)-1)), 2+next()%4, true), len(nodes)-1)
	return in, nodes
}

// FuzzGraph builds graphs from fuzz bytes (fuzzGraph). A graph NewModel
// accepts must fold, run forward and explain with every composite and
// baseline without a panic, and report any non-finite number it makes;
// one it refuses must be refused with an lrp: error.
func FuzzGraph(f *testing.F) {
	f.Add([]byte{0, 7, 7, 1, 1, 4, 0, 0, 1, 1, 3, 3, 1, 1, 1, 1, 1, 1, 1, 1, 1, 0, 0, 2, 1, 7, 2, 1, 20, 3, 1})
	f.Add([]byte{2, 5, 5, 1, 2, 6, 0, 9, 2, 3, 1, 2, 0, 2, 1, 8, 1, 0, 2, 6, 3, 7, 4, 1, 9, 2, 5})
	f.Add([]byte{1, 3, 3, 0, 9, 3, 0, 1, 10, 4, 1, 2, 1, 0, 5, 2, 2, 1})
	f.Add([]byte("a graph of any bytes at all, longer than it needs to be"))
	// The kinds of issue 19: a concat reading the input three times and a
	// gate; gates in sequence and average pooling in ceil mode; a concat,
	// BatchNorm, GELU and a gate.
	f.Add([]byte{3, 10, 2, 8, 2, 10, 13, 2, 11, 6, 1, 6, 13, 13, 9, 15, 8, 9, 12, 2, 3, 7, 1, 10, 15, 6, 13, 13, 14, 14, 12, 15, 8})
	f.Add([]byte{9, 7, 7, 2, 10, 2, 0, 3, 13, 8, 7, 15, 13, 1, 11, 5, 4, 2, 0, 0, 15, 2, 8, 2, 0, 8, 9, 10, 6, 14, 9, 1, 14, 4, 10, 3, 11})
	f.Add([]byte{12, 0, 5, 1, 13, 4, 0, 4, 11, 8, 15, 9, 5, 15, 14, 4, 1, 10, 9, 10, 13, 4, 6, 1, 9, 4, 14, 10, 3, 8, 3, 2, 5, 11})
	// The channel kinds: a convolution, LayerNorm, a shuffle of 3 groups,
	// a slice, a Scale and GELU; a split into two slices concatenated
	// back, shuffled and added.
	f.Add([]byte{2, 5, 5, 1, 7, 5, 1, 0, 0, 2, 1, 2, 2, 0, 0, 0, 0, 1, 1, 1, 1, 0, 1, 18, 1, 17, 2, 1, 16, 1, 1, 1, 0, 1, 19, 0, 1, 14, 4, 1})
	f.Add([]byte{1, 3, 3, 1, 9, 5, 1, 16, 0, 0, 1, 0, 0, 0, 16, 1, 0, 1, 0, 0, 1, 11, 1, 2, 1, 17, 1, 1, 8, 3, 1, 19, 1, 2})
	f.Fuzz(func(t *testing.T, b []byte) {
		in, nodes := fuzzGraph(b)
		m, err := NewModel("fuzz", in, nodes, nil)
		if err != nil {
			requireErr(t, err)
			return
		}
		x := uniforms(newRand(1), m.InputLen(), 0, 1)
		e := NewExplainer(m)
		before, err := e.Forward(x)
		if err != nil {
			t.Fatalf("forward of an accepted model: %v", err)
		}
		before = append([]float32(nil), before...)
		if _, err := m.FoldBatchNorm(); err != nil {
			t.Fatalf("FoldBatchNorm of an accepted model: %v", err)
		}
		e = NewExplainer(m)
		for _, method := range Methods() {
			res, err := e.Explain(x, Options{Method: method, Samples: 2, Steps: 2})
			if err != nil {
				requireErr(t, err) // a composite whose rule does not apply to a layer
				continue
			}
			bad := false
			for _, v := range append(append([]float32(nil), res.Logits...), res.Relevance...) {
				bad = bad || isBad(v)
			}
			if bad && !res.Diagnostics.NaN {
				t.Fatalf("%s: non-finite logits or relevance, diagnostics.nan false", method)
			}
		}
		after, err := e.Forward(x)
		if err != nil {
			t.Fatal(err)
		}
		for k := range before {
			if d := float64(after[k] - before[k]); d > 1e-3 || d < -1e-3 {
				t.Fatalf("folding BatchNorm changed logit %d: %v → %v", k, before[k], after[k])
			}
		}
	})
}
