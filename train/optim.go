package train

import (
	"fmt"
	"math"
)

// An optimizer updates the parameters from their gradient g (flat, in the
// order of Net.params) at learning rate lr.
type optimizer interface {
	step(n *Net, g []float32, lr float64)
}

func newOptimizer(name string, n *Net, momentum, decay float64) (optimizer, error) {
	switch name {
	case "", "adam":
		return &adam{m: make([]float32, n.size), v: make([]float32, n.size), decay: decay}, nil
	case "sgd":
		return &sgd{v: make([]float32, n.size), mu: momentum, decay: decay}, nil
	}
	return nil, fmt.Errorf("train: unknown optimizer %q (known: adam, sgd)", name)
}

// adam is Adam (Kingma & Ba) with decoupled weight decay (AdamW, on weights
// only): m = β₁m + (1−β₁)g, v = β₂v + (1−β₂)g², θ −= lr·(m̂/(√v̂ + ε) + λθ)
// with m̂ = m/(1−β₁ᵗ), v̂ = v/(1−β₂ᵗ).
type adam struct {
	m, v  []float32
	t     int
	decay float64
}

func (a *adam) step(n *Net, g []float32, lr float64) {
	const b1, b2, eps = 0.9, 0.999, 1e-8
	a.t++
	c1 := 1 - math.Pow(b1, float64(a.t))
	c2 := 1 - math.Pow(b2, float64(a.t))
	off := 0
	for i, p := range n.params {
		wd := 0.0
		if n.decay[i] {
			wd = a.decay
		}
		for k := range p {
			j := off + k
			gj := float64(g[j])
			m := b1*float64(a.m[j]) + (1-b1)*gj
			v := b2*float64(a.v[j]) + (1-b2)*gj*gj
			a.m[j], a.v[j] = float32(m), float32(v)
			p[k] -= float32(lr * (m/c1/(math.Sqrt(v/c2)+eps) + wd*float64(p[k])))
		}
		off += len(p)
	}
}

// sgd is SGD with momentum μ and decoupled weight decay λ (weights only):
// v = μv + g, θ −= lr·(v + λθ).
type sgd struct {
	v         []float32
	mu, decay float64
}

func (s *sgd) step(n *Net, g []float32, lr float64) {
	off := 0
	for i, p := range n.params {
		wd := 0.0
		if n.decay[i] {
			wd = s.decay
		}
		for k := range p {
			j := off + k
			v := s.mu*float64(s.v[j]) + float64(g[j])
			s.v[j] = float32(v)
			p[k] -= float32(lr * (v + wd*float64(p[k])))
		}
		off += len(p)
	}
}

// rate is the learning rate at step t of total: a linear warmup from 0 to
// peak over the first warmup·total steps, then a cosine decay to 0.
func rate(t, total int, peak, warmup float64) float64 {
	w := int(warmup * float64(total))
	if t < w {
		return peak * float64(t+1) / float64(w)
	}
	return peak * 0.5 * (1 + math.Cos(math.Pi*float64(t-w)/float64(total-w)))
}
