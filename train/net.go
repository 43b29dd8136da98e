package train

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/lrpwasm/lrp/lrp"
)

// Net is a trainable view of a sequential lrp.Model: node i reads node i−1
// (node 0 the input), and every layer is a Conv2D (one group), ReLU,
// MaxPool2D, Flatten or Dense. Its parameters are the layers' own W and B
// slices, updated in place.
type Net struct {
	m      *lrp.Model
	layers []layer
	params [][]float32 // W and B of each affine layer, in node order
	decay  []bool      // whether params[i] is a weight (true) or a bias
	size   int         // total number of parameters
}

// layer is the forward/backward pair of one node for one example. Both get
// the node's scratch buffers; backward adds the parameter gradients to g
// (the flat gradient of the whole Net) and sets dx unless it is nil.
type layer interface {
	forward(s *scratch, y, x []float32)
	backward(s *scratch, dx, dy, x, y, g []float32)
	scratch() scratch
}

// scratch holds what a layer keeps between its forward and backward pass.
type scratch struct {
	cols, dcols []float32 // Conv2D: im2col of the input and its gradient
	arg         []int32   // MaxPool2D: flat input index of each maximum
}

// NewNet checks that m is a chain of supported layers.
func NewNet(m *lrp.Model) (*Net, error) {
	n := &Net{m: m}
	for i, nd := range m.Nodes {
		if len(nd.Inputs) != 1 || nd.Inputs[0] != i-1 {
			return nil, fmt.Errorf("train: node %d (%s) does not read node %d: only chains can be trained", i, nd.Name, i-1)
		}
		in, out := m.Shape(i-1), m.Shape(i)
		var l layer
		switch t := nd.Layer.(type) {
		case *lrp.Conv2D:
			if t.Groups != 1 {
				return nil, fmt.Errorf("train: node %d (%s): grouped convolutions are not supported", i, nd.Name)
			}
			l = &conv{l: t, h: in[1], w: in[2], k: t.InC * t.KH * t.KW, np: out[1] * out[2], off: n.add(t.W, t.B)}
		case *lrp.Dense:
			l = &dense{l: t, off: n.add(t.W, t.B)}
		case *lrp.ReLU:
			l = relu{}
		case *lrp.MaxPool2D:
			l = &maxPool{l: t, in: in, out: out}
		case *lrp.Flatten:
			l = flatten{}
		default:
			return nil, fmt.Errorf("train: node %d (%s): layer %v is not supported", i, nd.Name, nd.Layer.Kind())
		}
		n.layers = append(n.layers, l)
	}
	return n, nil
}

// add registers a weight and an optional bias and returns the offset of
// the weight's gradient; the bias's follows it.
func (n *Net) add(w, b []float32) int {
	off := n.size
	n.params, n.decay = append(n.params, w), append(n.decay, true)
	n.size += len(w)
	if b != nil {
		n.params, n.decay = append(n.params, b), append(n.decay, false)
		n.size += len(b)
	}
	return off
}

// Model returns the model whose weights n trains.
func (n *Net) Model() *lrp.Model { return n.m }

// Init draws every weight from He's normal distribution, N(0, 2/fan-in),
// which keeps the activation scale through ReLU layers, and sets every bias
// to 0. The last affine layer, which feeds no ReLU, gets N(0, 1/fan-in).
func (n *Net) Init(seed uint64) {
	rng := rand.New(rand.NewPCG(seed, 0x1417))
	last := -1
	for i, nd := range n.m.Nodes {
		if k := nd.Layer.Kind(); k == lrp.KindConv || k == lrp.KindDense {
			last = i
		}
	}
	for i, nd := range n.m.Nodes {
		var w, b []float32
		var fanIn int
		switch t := nd.Layer.(type) {
		case *lrp.Conv2D:
			w, b, fanIn = t.W, t.B, t.InC*t.KH*t.KW
		case *lrp.Dense:
			w, b, fanIn = t.W, t.B, t.In
		default:
			continue
		}
		gain := 2.0
		if i == last {
			gain = 1
		}
		std := math.Sqrt(gain / float64(fanIn))
		for k := range w {
			w[k] = float32(rng.NormFloat64() * std)
		}
		clear(b)
	}
}

// tape holds one example's activations, their gradients and the layers'
// scratch buffers; one per goroutine.
type tape struct {
	acts, grads [][]float32 // output of each node and dLoss/d output
	sc          []scratch
}

func (n *Net) newTape() *tape {
	t := &tape{}
	for i, l := range n.layers {
		size := 1
		for _, d := range n.m.Shape(i) {
			size *= d
		}
		t.acts = append(t.acts, make([]float32, size))
		t.grads = append(t.grads, make([]float32, size))
		t.sc = append(t.sc, l.scratch())
	}
	return t
}

// forward runs the net on x and returns the logits (owned by t).
func (n *Net) forward(t *tape, x []float32) []float32 {
	for i, l := range n.layers {
		l.forward(&t.sc[i], t.acts[i], x)
		x = t.acts[i]
	}
	return x
}

// backward propagates dlogits = dLoss/dlogits of the last forward pass on
// x and adds the parameter gradients to g. dlogits may alias t's buffers.
func (n *Net) backward(t *tape, x, dlogits, g []float32) {
	last := len(n.layers) - 1
	copy(t.grads[last], dlogits)
	for i := last; i >= 0; i-- {
		in, dx := x, []float32(nil)
		if i > 0 {
			in, dx = t.acts[i-1], t.grads[i-1]
		}
		n.layers[i].backward(&t.sc[i], dx, t.grads[i], in, t.acts[i], g)
	}
}

// crossEntropy returns −log softmax(z)[label] and sets dz to its gradient
// softmax(z) − onehot(label). It computes in float64.
func crossEntropy(dz, z []float32, label int) float64 {
	mx, s := lrp.Softmax(dz, z)
	dz[label]--
	return math.Log(s) - (float64(z[label]) - mx)
}

// conv: y[o][p] = b[o] + Σ_k W[o][k]·cols[k][p], cols = im2col(x) [K][P]
// (lrp.Conv2D.Im2col), K = InC·KH·KW, P = OH·OW.
type conv struct {
	l     *lrp.Conv2D
	h, w  int // input height and width
	k, np int // K and P
	off   int
}

func (c *conv) scratch() scratch {
	n := c.k * c.np
	return scratch{cols: make([]float32, n), dcols: make([]float32, n)}
}

func (c *conv) forward(s *scratch, y, x []float32) {
	k, np := c.k, c.np
	c.l.Im2col(s.cols, x, c.h, c.w)
	row := func(r int) []float32 { return s.cols[r*np : (r+1)*np] }
	for o := range c.l.OutC {
		yo, w := y[o*np:(o+1)*np], c.l.W[o*k:(o+1)*k]
		var b float32
		if c.l.B != nil {
			b = c.l.B[o]
		}
		for p := range yo {
			yo[p] = b
		}
		r := 0
		for ; r+4 <= k; r += 4 {
			axpy4(yo, w[r:r+4], row(r), row(r+1), row(r+2), row(r+3))
		}
		for ; r < k; r++ {
			axpy(yo, w[r], row(r))
		}
	}
}

// backward: dW[o][k] += Σ_p dy[o][p]·cols[k][p], dB[o] += Σ_p dy[o][p],
// dcols[k][p] = Σ_o W[o][k]·dy[o][p], dx = col2im(dcols) (lrp.Conv2D.Col2im).
func (c *conv) backward(s *scratch, dx, dy, _, _, g []float32) {
	k, np, outC := c.k, c.np, c.l.OutC
	gw := g[c.off : c.off+len(c.l.W)]
	gb := g[c.off+len(c.l.W):]
	row := func(m []float32, r int) []float32 { return m[r*np : (r+1)*np] }
	for o := range outC {
		dyo := row(dy, o)
		if c.l.B != nil {
			var sum float32
			for _, v := range dyo {
				sum += v
			}
			gb[o] += sum
		}
		gwo := gw[o*k : (o+1)*k]
		r := 0
		for ; r+4 <= k; r += 4 {
			s0, s1, s2, s3 := dot4(dyo, row(s.cols, r), row(s.cols, r+1), row(s.cols, r+2), row(s.cols, r+3))
			gwo[r] += s0
			gwo[r+1] += s1
			gwo[r+2] += s2
			gwo[r+3] += s3
		}
		for ; r < k; r++ {
			gwo[r] += dot(dyo, row(s.cols, r))
		}
	}
	if dx == nil {
		return
	}
	clear(s.dcols)
	var w [4]float32
	for r := range k {
		dc := row(s.dcols, r)
		o := 0
		for ; o+4 <= outC; o += 4 {
			w = [4]float32{c.l.W[o*k+r], c.l.W[(o+1)*k+r], c.l.W[(o+2)*k+r], c.l.W[(o+3)*k+r]}
			axpy4(dc, w[:], row(dy, o), row(dy, o+1), row(dy, o+2), row(dy, o+3))
		}
		for ; o < outC; o++ {
			axpy(dc, c.l.W[o*k+r], row(dy, o))
		}
	}
	clear(dx)
	c.l.Col2im(dx, s.dcols, c.h, c.w)
}

// dense: y = W·x + b, W [Out][In].
type dense struct {
	l   *lrp.Dense
	off int
}

func (*dense) scratch() scratch { return scratch{} }

func (d *dense) forward(_ *scratch, y, x []float32) {
	n := d.l.In
	for o := range y {
		y[o] = dot(d.l.W[o*n:(o+1)*n], x)
		if d.l.B != nil {
			y[o] += d.l.B[o]
		}
	}
}

// backward: dW[o] += dy[o]·x, dB += dy, dx = Wᵀ·dy.
func (d *dense) backward(_ *scratch, dx, dy, x, _, g []float32) {
	n := d.l.In
	gw := g[d.off : d.off+len(d.l.W)]
	gb := g[d.off+len(d.l.W):]
	if dx != nil {
		clear(dx)
	}
	for o, v := range dy {
		if v == 0 {
			continue
		}
		if d.l.B != nil {
			gb[o] += v
		}
		axpy(gw[o*n:(o+1)*n], v, x)
		if dx != nil {
			axpy(dx, v, d.l.W[o*n:(o+1)*n])
		}
	}
}

// relu: y = max(x, 0), dx = dy where y > 0.
type relu struct{}

func (relu) scratch() scratch { return scratch{} }

func (relu) forward(_ *scratch, y, x []float32) {
	for i, v := range x[:len(y)] {
		y[i] = max(v, 0)
	}
}

func (relu) backward(_ *scratch, dx, dy, _, y, _ []float32) {
	if dx == nil {
		return
	}
	for i, v := range y[:len(dx)] {
		if v > 0 {
			dx[i] = dy[i]
		} else {
			dx[i] = 0
		}
	}
}

// maxPool: y[o] = x[arg[o]], the window maximum (first one on ties, padding
// never wins, as in the engine); dx[arg[o]] += dy[o].
type maxPool struct {
	l       *lrp.MaxPool2D
	in, out []int
}

func (p *maxPool) scratch() scratch {
	return scratch{arg: make([]int32, p.out[0]*p.out[1]*p.out[2])}
}

func (p *maxPool) forward(s *scratch, y, x []float32) {
	c, h, w := p.in[0], p.in[1], p.in[2]
	l := p.l
	o := 0
	for ch := range c {
		base := ch * h * w
		for i := range p.out[1] {
			for j := range p.out[2] {
				best, bi := float32(0), -1
				for u := range l.KH {
					yy := i*l.SH + u - l.PT
					if yy < 0 || yy >= h {
						continue
					}
					for v := range l.KW {
						xx := j*l.SW + v - l.PL
						if xx < 0 || xx >= w {
							continue
						}
						if val := x[base+yy*w+xx]; bi < 0 || val > best {
							best, bi = val, base+yy*w+xx
						}
					}
				}
				y[o], s.arg[o] = best, int32(bi)
				o++
			}
		}
	}
}

func (p *maxPool) backward(s *scratch, dx, dy, _, _, _ []float32) {
	if dx == nil {
		return
	}
	clear(dx)
	for o, a := range s.arg {
		dx[a] += dy[o]
	}
}

// flatten copies; the layout is already [C·H·W].
type flatten struct{}

func (flatten) scratch() scratch                               { return scratch{} }
func (flatten) forward(_ *scratch, y, x []float32)             { copy(y, x) }
func (flatten) backward(_ *scratch, dx, dy, _, _, _ []float32) { copy(dx, dy) }
