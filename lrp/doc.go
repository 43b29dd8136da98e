// Package lrp is a Layer-wise Relevance Propagation engine for convolutional
// networks, written to reproduce Zennit's numbers exactly.
//
// A Model is a graph of layers (sequential chains plus residual Add joins)
// over flat []float32 tensors in CHW row-major layout. An Explainer runs the
// forward pass, keeps every activation, and propagates relevance back from
// the output with one rule per layer. A rule is a small parameter set over
// one shared four-step procedure,
//
//	z = ρ(W)·x (+ b)      forward with modified weights
//	s = R / stab(z)       stab(z) = z + ε·s(z), s(z) = +1 where z ≥ 0, −1 elsewhere
//	c = ρ(W)ᵀ·s           the transposed operation
//	R = x ⊙ c             back to the input
//
// and a Composite assigns rules to layers by kind and position, as data.
// Baselines (gradient, gradient×input, SmoothGrad, integrated gradients,
// Taylor) and the trivial explainers (single pixel, uniform) share the same
// passes.
//
// An Explainer tells how much memory it takes before it takes it:
// WorkingSet (for a new one), Need (beyond what one holds) and Held
// replay a call's allocations for the model and the rules (memory.go), so
// that a caller can refuse a model or a method that does not fit.
//
// The package does no I/O and has no dependency on syscall/js; model files
// are read by package model, images by package preprocess.
package lrp
