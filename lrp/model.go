package lrp

import (
	"fmt"
	"math"
	"slices"
)

// Input is the model's input index: a Node whose Inputs hold Input reads the
// model input.
const Input = -1

// A Node is one layer of a Model with the indices of the nodes it reads
// (earlier nodes, or Input).
type Node struct {
	Name   string
	Layer  Layer
	Inputs []int
}

// InputSpec describes what the model expects: the tensor shape, the range of
// raw pixel values, and the per-channel normalization applied to them before
// the first layer (x = (pixel − Mean[c]) / Std[c]; nil Mean and Std mean none).
type InputSpec struct {
	Shape     []int
	Low, High float32 // raw pixel range, e.g. 0 and 1
	Mean, Std []float32
}

// Model is a layer graph in topological order; the last node is the output
// (logits). Build one with NewModel, which checks it.
type Model struct {
	Name   string
	Input  InputSpec
	Nodes  []Node
	Labels []string

	shapes [][]int // output shape of each node
	uses   []int   // how many nodes read each node's output
}

// MaxInputLen bounds the number of values a model input may have (a
// 3×1024×1024 image), so that hostile files cannot ask for absurd buffers.
const MaxInputLen = 3 << 20

// MaxNodes bounds the nodes of a model: ten times the deepest network in
// common use, and what a decoder can read in about a second. Every
// algorithm over the graph takes time linear in the nodes.
const MaxNodes = 1 << 17

// MaxInputs bounds the inputs of one node (a Concat's): DenseNet-264,
// the widest concatenation in common use, joins 65 tensors. A file cannot
// make one node cost more than this many tensors' worth of bookkeeping.
const MaxInputs = 1024

// NewModel checks that the nodes form a valid graph for the input spec: every
// node reads only earlier nodes or the input, every layer accepts its input
// shapes and parameter sizes, and the output is a flat vector. It returns
// an error naming the first bad node.
func NewModel(name string, in InputSpec, nodes []Node, labels []string) (*Model, error) {
	m := &Model{Name: name, Input: in, Nodes: nodes, Labels: labels}
	if err := m.check(); err != nil {
		return nil, err
	}
	return m, nil
}

func (m *Model) check() error {
	in := m.Input
	if len(in.Shape) == 0 || len(in.Shape) > 3 {
		return fmt.Errorf("lrp: input shape %v: want [C][H][W] or [N]", in.Shape)
	}
	n := 1
	for _, d := range in.Shape {
		if d < 1 || d > MaxInputLen || n*d > MaxInputLen {
			return fmt.Errorf("lrp: input shape %v: more than %d values or a dimension < 1", in.Shape, MaxInputLen)
		}
		n *= d
	}
	if !(in.Low < in.High) || isBad(in.Low) || isBad(in.High) {
		return fmt.Errorf("lrp: pixel range [%v, %v] is empty", in.Low, in.High)
	}
	if (in.Mean == nil) != (in.Std == nil) || len(in.Mean) != len(in.Std) {
		return fmt.Errorf("lrp: normalization needs both mean and std per channel")
	}
	if in.Mean != nil && len(in.Mean) != in.Shape[0] {
		return fmt.Errorf("lrp: normalization has %d channels, input has %d", len(in.Mean), in.Shape[0])
	}
	for c := range in.Std {
		if !(in.Std[c] > 0) || isBad(in.Std[c]) || isBad(in.Mean[c]) {
			return fmt.Errorf("lrp: normalization channel %d: mean %v std %v", c, in.Mean[c], in.Std[c])
		}
	}
	if len(m.Nodes) == 0 {
		return fmt.Errorf("lrp: model has no layers")
	}
	if len(m.Nodes) > MaxNodes {
		return fmt.Errorf("lrp: model has %d nodes, more than the %d allowed", len(m.Nodes), MaxNodes)
	}
	m.shapes = make([][]int, len(m.Nodes))
	m.uses = make([]int, len(m.Nodes))
	for i, nd := range m.Nodes {
		if nd.Layer == nil {
			return fmt.Errorf("lrp: node %d (%s) has no layer", i, nd.Name)
		}
		if len(nd.Inputs) > MaxInputs {
			return fmt.Errorf("lrp: node %d (%s) reads %d inputs, more than the %d allowed", i, nd.Name, len(nd.Inputs), MaxInputs)
		}
		ins := make([][]int, len(nd.Inputs))
		for k, j := range nd.Inputs {
			switch {
			case j == Input:
				ins[k] = in.Shape
			case j >= 0 && j < i:
				ins[k] = m.shapes[j]
				m.uses[j]++
			default:
				return fmt.Errorf("lrp: node %d (%s) reads node %d: not an earlier node (cycle or bad index)", i, nd.Name, j)
			}
		}
		s, err := nd.Layer.OutShape(ins)
		if err != nil {
			return fmt.Errorf("lrp: node %d (%s, %v): %w", i, nd.Name, nd.Layer.Kind(), unwrapPrefix(err))
		}
		if numel(s) > MaxInputLen*64 {
			return fmt.Errorf("lrp: node %d (%s) output %v too large", i, nd.Name, s)
		}
		m.shapes[i] = s
	}
	out := m.shapes[len(m.Nodes)-1]
	if len(out) != 1 {
		return fmt.Errorf("lrp: model output has shape %v, want a flat vector of class scores", out)
	}
	if m.Labels != nil && len(m.Labels) != out[0] {
		return fmt.Errorf("lrp: %d labels for %d outputs", len(m.Labels), out[0])
	}
	for i := range m.Nodes[:len(m.Nodes)-1] {
		if m.uses[i] == 0 {
			return fmt.Errorf("lrp: node %d (%s) output is never used", i, m.Nodes[i].Name)
		}
	}
	return nil
}

type prefixless struct{ msg string }

func (e prefixless) Error() string { return e.msg }

// unwrapPrefix drops a leading "lrp: " so that wrapped messages read once.
func unwrapPrefix(err error) error {
	s := err.Error()
	if len(s) > 5 && s[:5] == "lrp: " {
		return prefixless{s[5:]}
	}
	return err
}

func isBad(v float32) bool { return math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) }

// Shape returns the output shape of node i (Input for the model input).
func (m *Model) Shape(i int) []int {
	if i == Input {
		return m.Input.Shape
	}
	return m.shapes[i]
}

// CheckInputLen returns an error if an input of n values does not fit m.
func (m *Model) CheckInputLen(n int) error {
	if n != m.InputLen() {
		return fmt.Errorf("lrp: input has %d values, model %s wants %d (shape %v)", n, m.Name, m.InputLen(), m.Input.Shape)
	}
	return nil
}

// InputLen is the number of values of one input.
func (m *Model) InputLen() int { return numel(m.Input.Shape) }

// Classes is the number of outputs.
func (m *Model) Classes() int { return m.shapes[len(m.shapes)-1][0] }

// Params counts the weights and biases of all layers.
func (m *Model) Params() int {
	n := 0
	for _, nd := range m.Nodes {
		switch l := nd.Layer.(type) {
		case *Dense:
			n += len(l.W) + len(l.B)
		case *Conv2D:
			n += len(l.W) + len(l.B)
		case *BatchNorm:
			n += 4 * len(l.Mean)
		case *LayerNorm:
			n += len(l.Gamma) + len(l.Beta)
		case *Scale:
			n += len(l.W) + len(l.B)
		}
	}
	return n
}

// Bounds returns the per-channel range of the model input implied by the
// pixel range and the normalization: low[c] = (Low − Mean[c]) / Std[c]. These
// are the zᴮ bounds of the first layer.
func (m *Model) Bounds() (low, high []float32) {
	c := 1
	if len(m.Input.Shape) == 3 {
		c = m.Input.Shape[0]
	}
	low, high = make([]float32, c), make([]float32, c)
	for i := range low {
		low[i], high[i] = m.Input.Low, m.Input.High
		if m.Input.Mean != nil {
			low[i] = (low[i] - m.Input.Mean[i]) / m.Input.Std[i]
			high[i] = (high[i] - m.Input.Mean[i]) / m.Input.Std[i]
		}
	}
	return low, high
}

// FoldBatchNorm merges every BatchNorm that directly follows a Conv2D or
// Dense (whose output nothing else reads) into that layer's weight and bias,
// exactly: with s = Gamma/sqrt(Var+Eps), W' = W·s per output channel and
// b' = (b − Mean)·s + Beta. The BatchNorm node is removed. A BatchNorm that
// cannot be folded stays, a diagonal affine layer that the built-in
// composites explain with LRP-ε. This is the canonizer; it returns the number of
// layers folded. Folding changes the layers' weights in place: create
// Explainers after folding. It takes one pass over the nodes and one to
// remove the folded ones.
func (m *Model) FoldBatchNorm() (int, error) {
	folded := 0
	// into[i] is the layer BatchNorm i was folded into, or −1; uses[p]
	// counts the readers of p once the folded nodes are gone (a folded
	// BatchNorm's readers read p).
	into := make([]int, len(m.Nodes))
	uses := slices.Clone(m.uses)
	for i := range m.Nodes {
		into[i] = -1
		bn, ok := m.Nodes[i].Layer.(*BatchNorm)
		if !ok || len(m.Nodes[i].Inputs) != 1 {
			continue
		}
		p := m.Nodes[i].Inputs[0]
		if p != Input && into[p] >= 0 {
			p = into[p]
		}
		if p == Input || uses[p] != 1 {
			continue
		}
		var w []float32
		var b *[]float32
		var outC int
		switch l := m.Nodes[p].Layer.(type) {
		case *Conv2D:
			w, b, outC = l.W, &l.B, l.OutC
		case *Dense:
			w, b, outC = l.W, &l.B, l.Out
		default:
			continue
		}
		if len(bn.Mean) != outC {
			continue
		}
		if *b == nil {
			*b = make([]float32, outC)
		}
		per := len(w) / outC
		for o := 0; o < outC; o++ {
			s := float32(float64(bn.Gamma[o]) / math.Sqrt(float64(bn.Var[o])+float64(bn.Eps)))
			for k := o * per; k < (o+1)*per; k++ {
				w[k] *= s
			}
			(*b)[o] = ((*b)[o]-bn.Mean[o])*s + bn.Beta[o]
		}
		into[i], uses[p] = p, m.uses[i]
		folded++
	}
	if folded == 0 {
		return 0, nil
	}
	m.removeFolded(into)
	return folded, m.check()
}

// removeFolded deletes the nodes i with into[i] ≥ 0, rewiring their readers
// to node into[i] (a node that stays).
func (m *Model) removeFolded(into []int) {
	at := make([]int, len(m.Nodes)) // a kept node's new index
	nodes := m.Nodes[:0]
	for i, nd := range m.Nodes {
		if into[i] >= 0 {
			continue
		}
		for a, j := range nd.Inputs {
			if j != Input {
				if into[j] >= 0 {
					j = into[j]
				}
				nd.Inputs[a] = at[j]
			}
		}
		at[i] = len(nodes)
		nodes = append(nodes, nd)
	}
	clear(m.Nodes[len(nodes):])
	m.Nodes = nodes
}
