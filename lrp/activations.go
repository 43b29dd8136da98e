package lrp

import (
	"fmt"
	"math"
)

// The elementwise activations besides ReLU and ReLU6: each layer applies
// one function to every value, y_t = f(x_t), whatever the shape. Each
// type holds its f and its derivative f′ (for the gradient), computed in
// float64 and rounded once. The built-in composites pass relevance
// through them unchanged, as Zennit does for its activation modules
// (rule Pass); the rule Gradient multiplies it by f′.

// activationKinds are the kinds of the activation layers, ReLU and ReLU6
// included, to which the rules of activations apply.
var activationKinds = []Kind{KindReLU, KindReLU6, KindSigmoid, KindHardSigmoid, KindSiLU, KindHardSwish, KindGELU, KindLeakyReLU, KindELU, KindTanh}

// An elementwise layer is y_t = f(x_t).
type elementwise interface {
	Layer
	f(x float64) float64
	df(x float64) float64
}

// Sigmoid is y = σ(x) = 1 / (1 + e^−x).
type Sigmoid struct{}

// HardSigmoid is y = max(0, min(1, Alpha·x + Beta)), as ONNX HardSigmoid
// defines it (PyTorch's Hardsigmoid: Alpha = 1/6, Beta = 1/2).
type HardSigmoid struct{ Alpha, Beta float32 }

// SiLU is y = x·σ(x) (Swish with β = 1), which PyTorch exports as
// Mul(x, Sigmoid(x)).
type SiLU struct{}

// HardSwish is y = x·max(0, min(1, x/6 + 1/2)), which PyTorch exports
// before opset 14 as Mul(x, HardSigmoid(x)).
type HardSwish struct{}

// GELU is y = x·Φ(x) = x·(1 + erf(x/√2))/2, the exact form (not the tanh
// approximation).
type GELU struct{}

// LeakyReLU is y = x for x ≥ 0, Alpha·x below.
type LeakyReLU struct{ Alpha float32 }

// ELU is y = x for x > 0, Alpha·(eˣ − 1) below.
type ELU struct{ Alpha float32 }

// Tanh is y = tanh(x).
type Tanh struct{}

func (*Sigmoid) Kind() Kind     { return KindSigmoid }
func (*HardSigmoid) Kind() Kind { return KindHardSigmoid }
func (*SiLU) Kind() Kind        { return KindSiLU }
func (*HardSwish) Kind() Kind   { return KindHardSwish }
func (*GELU) Kind() Kind        { return KindGELU }
func (*LeakyReLU) Kind() Kind   { return KindLeakyReLU }
func (*ELU) Kind() Kind         { return KindELU }
func (*Tanh) Kind() Kind        { return KindTanh }

func (*Sigmoid) OutShape(in [][]int) ([]int, error)   { return one(in) }
func (*SiLU) OutShape(in [][]int) ([]int, error)      { return one(in) }
func (*HardSwish) OutShape(in [][]int) ([]int, error) { return one(in) }
func (*GELU) OutShape(in [][]int) ([]int, error)      { return one(in) }
func (*Tanh) OutShape(in [][]int) ([]int, error)      { return one(in) }

func (l *HardSigmoid) OutShape(in [][]int) ([]int, error) {
	return finiteParams(in, l, l.Alpha, l.Beta)
}
func (l *LeakyReLU) OutShape(in [][]int) ([]int, error) { return finiteParams(in, l, l.Alpha) }
func (l *ELU) OutShape(in [][]int) ([]int, error)       { return finiteParams(in, l, l.Alpha) }

// finiteParams is one(in), or an error if a parameter of l is not finite.
func finiteParams(in [][]int, l Layer, params ...float32) ([]int, error) {
	for _, v := range params {
		if isBad(v) {
			return nil, fmt.Errorf("lrp: %v with parameter %v", l.Kind(), v)
		}
	}
	return one(in)
}

// sigmoid is σ(x) = 1 / (1 + e^−x).
func sigmoid(x float64) float64 { return 1 / (1 + math.Exp(-x)) }

// σ′ = σ·(1 − σ).
func (*Sigmoid) f(x float64) float64 { return sigmoid(x) }
func (*Sigmoid) df(x float64) float64 {
	s := sigmoid(x)
	return s * (1 - s)
}

// The derivative is Alpha inside the ramp, 0 where it is clipped.
func (l *HardSigmoid) f(x float64) float64 {
	return max(0, min(1, float64(l.Alpha)*x+float64(l.Beta)))
}
func (l *HardSigmoid) df(x float64) float64 {
	if v := float64(l.Alpha)*x + float64(l.Beta); v > 0 && v < 1 {
		return float64(l.Alpha)
	}
	return 0
}

// (x·σ)′ = σ·(1 + x·(1 − σ)).
func (*SiLU) f(x float64) float64 { return x * sigmoid(x) }
func (*SiLU) df(x float64) float64 {
	s := sigmoid(x)
	return s * (1 + x*(1-s))
}

// The derivative is 0 below −3, 1 above 3, and x/3 + 1/2 between, as
// PyTorch's hardswish_backward computes it.
func (*HardSwish) f(x float64) float64 { return x * max(0, min(1, x/6+0.5)) }
func (*HardSwish) df(x float64) float64 {
	switch {
	case x < -3:
		return 0
	case x <= 3:
		return x/3 + 0.5
	}
	return 1
}

// (x·Φ)′ = Φ(x) + x·φ(x), with φ the standard normal density.
func (*GELU) f(x float64) float64 { return x * (1 + math.Erf(x/math.Sqrt2)) / 2 }
func (*GELU) df(x float64) float64 {
	return (1+math.Erf(x/math.Sqrt2))/2 + x*math.Exp(-x*x/2)/math.Sqrt(2*math.Pi)
}

// The derivative at 0 is Alpha, as in PyTorch.
func (l *LeakyReLU) f(x float64) float64 {
	if x >= 0 {
		return x
	}
	return float64(l.Alpha) * x
}
func (l *LeakyReLU) df(x float64) float64 {
	if x > 0 {
		return 1
	}
	return float64(l.Alpha)
}

// ELU′ = 1 above 0, Alpha·eˣ below.
func (l *ELU) f(x float64) float64 {
	if x > 0 {
		return x
	}
	return float64(l.Alpha) * math.Expm1(x)
}
func (l *ELU) df(x float64) float64 {
	if x > 0 {
		return 1
	}
	return float64(l.Alpha) * math.Exp(x)
}

// tanh′ = 1 − tanh².
func (*Tanh) f(x float64) float64 { return math.Tanh(x) }
func (*Tanh) df(x float64) float64 {
	t := math.Tanh(x)
	return 1 - t*t
}

// activate sets dst_t = f(x_t).
func activate(l elementwise, dst, x []float32) {
	dst = dst[:len(x)]
	for t, v := range x {
		dst[t] = float32(l.f(float64(v)))
	}
}

// activateGrad sets dst_t = f′(x_t)·r_t, the gradient through l.
func activateGrad(l elementwise, dst, x, r []float32) {
	dst = dst[:len(x)]
	for t, v := range x {
		dst[t] = float32(l.df(float64(v)) * float64(r[t]))
	}
}
