package model

import (
	"math"

	"github.com/lrpwasm/lrp/lrp"
)

// The activations besides ReLU, the patterns that older opsets write for
// SiLU, HardSwish and GELU, and the product of a computed gate and a
// tensor (Mul of two computed tensors).

// swishOp converts opset 24's Swish, x·σ(αx), with α = 1: SiLU.
func (c *onnxConverter) swishOp(n *onnxNode) error {
	x, err := c.pointwise(n, 0)
	if err != nil {
		return err
	}
	alpha, err := c.attrFloat(n, "alpha", 1)
	if err != nil {
		return err
	}
	if alpha != 1 {
		return c.unsupported(n, "alpha=%v; only Swish with alpha 1 (SiLU) is supported", alpha)
	}
	return c.emit(n, &lrp.SiLU{}, x)
}

// gelu converts opset 20's Gelu, the exact form only.
func (c *onnxConverter) gelu(n *onnxNode) error {
	x, err := c.pointwise(n, 0)
	if err != nil {
		return err
	}
	a, err := c.attrString(n, "approximate", "none")
	if err != nil {
		return err
	}
	if a != "none" {
		return c.unsupported(n, "approximate=%q; only the exact GELU (none) is supported", a)
	}
	return c.emit(n, &lrp.GELU{}, x)
}

// A geluStage is how much of the exact GELU, x·(1 + erf(x/√2))/2, a value
// holds: PyTorch before opset 20 writes it as Div(x, √2), Erf, Add(·, 1),
// Mul(x, ·), Mul(·, 0.5), and others multiply x by 0.5 first. Each step
// below takes one stage to the next; the last emits an lrp.GELU of x.
type geluStage int

const (
	geluScaled  geluStage = iota + 1 // x/√2
	geluErf                          // erf(x/√2)
	geluOnePlus                      // 1 + erf(x/√2)
	geluHalf                         // x/2
	geluProduct                      // x·(1 + erf(x/√2)), to be halved
)

func (s geluStage) String() string {
	return [...]string{"", "x/√2", "erf(x/√2)", "1 + erf(x/√2)", "x/2", "x·(1 + erf(x/√2))"}[s]
}

// A geluPart is a value that holds stage of the GELU of x, a computed
// tensor that no operation is pending on. No layer may read it (padded).
type geluPart struct {
	stage geluStage
	x     *onnxVal
}

// part returns a value holding stage of the GELU of x.
func part(stage geluStage, x *onnxVal) *onnxVal {
	return &onnxVal{kind: valTensor, node: x.node, shape: x.shape, gelu: &geluPart{stage, x}}
}

// near reports whether v is within float32 rounding of want.
func near(v float32, want float64) bool { return math.Abs(float64(v)-want) <= 1e-6*math.Abs(want) }

// erf converts Erf, which is supported only on x/√2 as part of GELU.
func (c *onnxConverter) erf(n *onnxNode) error {
	v, err := c.need(n, 0)
	if err != nil {
		return err
	}
	if v.kind != valTensor || v.gelu == nil || v.gelu.stage != geluScaled {
		return c.unsupported(n, "Erf is supported only as part of GELU, x·(1 + erf(x/√2))/2")
	}
	c.set(n, 0, part(geluErf, v.gelu.x))
	return nil
}

// geluStep takes the GELU one step for n, v op t, where v is input k of
// n (a computed tensor) and t the scalar constant input: x/√2 or x·(1/√2)
// and x·0.5 start it, 1 + erf(x/√2) continues it, and halving the product
// ends it. It reports whether n was such a step.
func (c *onnxConverter) geluStep(n *onnxNode, k int, v *onnxVal) (bool, error) {
	t, ok := c.scalar(n, 1-k)
	if !ok || v.node == lrp.Input {
		return false, nil
	}
	if v.gelu == nil {
		if !v.plain() {
			return false, nil
		}
		switch {
		case n.op == "Div" && near(t, math.Sqrt2) || n.op == "Mul" && near(t, 1/math.Sqrt2):
			c.set(n, 0, part(geluScaled, v))
		case n.op == "Mul" && t == 0.5 || n.op == "Div" && t == 2:
			c.set(n, 0, part(geluHalf, v))
		default:
			return false, nil
		}
		return true, nil
	}
	switch g := v.gelu; {
	case g.stage == geluErf && n.op == "Add" && t == 1:
		c.set(n, 0, part(geluOnePlus, g.x))
	case g.stage == geluProduct && (n.op == "Mul" && t == 0.5 || n.op == "Div" && t == 2):
		return true, c.emit(n, &lrp.GELU{}, g.x)
	default:
		return false, nil
	}
	return true, nil
}

// mulTensors converts Mul of two computed tensors: a step of the GELU
// pattern, x·Sigmoid(x) (SiLU) or x·HardSigmoid(x) (HardSwish), or else a
// per-channel gate multiplied into a tensor (lrp.Mul).
func (c *onnxConverter) mulTensors(n *onnxNode, v [2]*onnxVal) error {
	for k := range 2 {
		a, b := v[k], v[1-k]
		if b.gelu == nil || b.gelu.stage != geluOnePlus {
			continue
		}
		x := b.gelu.x
		switch {
		case a.gelu == nil && a.plain() && a.node == x.node && a.layout == x.layout:
			c.set(n, 0, part(geluProduct, x))
			return nil
		case a.gelu != nil && a.gelu.stage == geluHalf && a.gelu.x.node == x.node && a.gelu.x.layout == x.layout:
			return c.emit(n, &lrp.GELU{}, x)
		}
	}
	if done, err := c.swish(n, v); done || err != nil {
		return err
	}
	x, err := c.tensor(n, 0)
	if err != nil {
		return err
	}
	g, err := c.tensor(n, 1)
	if err != nil {
		return err
	}
	// The gate is the operand with one value per channel; of two such
	// operands (a signal of 1×1 maps) the one a Sigmoid or HardSigmoid
	// computed, else the second.
	switch xg, gx := gateOf(x.shape, g.shape), gateOf(g.shape, x.shape); {
	case xg && !gx, xg && gx && c.gateLike(x) && !c.gateLike(g):
		x, g = g, x
	case gx:
	default:
		return c.unsupported(n, "Mul of computed tensors of shapes %v and %v; only a gate of one value per channel times a tensor is supported", x.shape, g.shape)
	}
	return c.emit(n, &lrp.Mul{}, x, g)
}

// gateOf reports whether a tensor of shape g holds one value per channel
// of a tensor of shape x: [C][1][1] for [C][H][W], [C] for [C].
func gateOf(g, x []int) bool {
	if len(g) != len(x) || len(g) == 0 || g[0] != x[0] {
		return false
	}
	for _, d := range g[1:] {
		if d != 1 {
			return false
		}
	}
	return true
}

// gateLike reports whether v is the output of a Sigmoid or HardSigmoid.
func (c *onnxConverter) gateLike(v *onnxVal) bool {
	if v.node == lrp.Input {
		return false
	}
	switch c.nodes[v.node].Layer.(type) {
	case *lrp.Sigmoid, *lrp.HardSigmoid:
		return true
	}
	return false
}

// swish fuses Mul(x, Sigmoid(x)) into SiLU and Mul(x, HardSigmoid(x)) with
// α = 1/6, β = 1/2 into HardSwish, in either order, where nothing else
// reads the activation's output: its node becomes the product's. It
// reports whether it did.
func (c *onnxConverter) swish(n *onnxNode, v [2]*onnxVal) (bool, error) {
	for k := range 2 {
		x, s := v[k], v[1-k]
		if !c.fusable(n, 1-k, s) || !x.plain() || x.layout != s.layout {
			continue
		}
		nd := &c.nodes[s.node]
		if len(nd.Inputs) != 1 || nd.Inputs[0] != x.node {
			continue
		}
		var l lrp.Layer
		switch a := nd.Layer.(type) {
		case *lrp.Sigmoid:
			l = &lrp.SiLU{}
		case *lrp.HardSigmoid:
			if !near(a.Alpha, 1.0/6) || a.Beta != 0.5 {
				continue
			}
			l = &lrp.HardSwish{}
		default:
			continue
		}
		if _, err := c.pointwise(n, k); err != nil { // x as the activation read it
			return true, err
		}
		nd.Layer = l
		w := *s
		c.set(n, 0, &w)
		return true, nil
	}
	return false, nil
}
