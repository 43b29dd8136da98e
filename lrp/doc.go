// Package lrp is a Layer-wise Relevance Propagation engine for convolutional
// networks, written to reproduce Zennit's numbers exactly.
//
// A Model is a graph of layers (sequential chains, residual Add joins,
// Concat of branches and gates multiplied into the signal, Mul; channel
// splits and shuffles, LayerNorm over the channels of each position)
// over flat []float32 tensors in CHW row-major layout. An Explainer runs the
// forward pass, keeps every activation, and propagates relevance back from
// the output with one rule per layer (backward.go).
//
// # Rules
//
// Each rule is one file, rule_NAME.go: its type with the formula, its
// RuleSpec (parameters with defaults and ranges, the layer kinds it
// applies to), its relevance code and the facts the fast paths need; the
// registry ruleSpecs (rules.go) lists them for NewRule and Rules. Zennit
// runs every rule of an affine layer as four steps: modify the input,
// modify the parameters and compute z = ρ(W)·x (+ b), take the gradient of
// z at s = R / stab(z), which is c = ρ(W)ᵀ·s, and multiply by the input,
// R = x ⊙ c. Here the steps are the methods of a step (step.go), which a
// rule's relevance composes:
//
//	modify the input      step.split: x⁺ and x⁻ (γ, z⁺, αβ); the bounds L and H (zᴮ); ones (w², flat)
//	modify the weights    the caches of weights.go: W⁺, W⁻, W + γW⁺, W + γW⁻, W², ones, built once per layer
//	z = ρ(W)·x + b        step.fwd, only where R ≠ 0
//	s = R / stab(z)       step.div, quotients
//	c = ρ(W)ᵀ·s           step.bwd, step.bwd2 (two products in one pass)
//	R = x ⊙ c             mul, mulAdd
//
// Epsilon is the four steps as written, with z from the forward pass.
// Gamma, ZPlus and AlphaBeta sum such terms over x⁺ and x⁻ with W⁺ and
// W⁻; ZBox subtracts the terms of the bounds; WSquare and Flat replace
// the input by ones. A rule may take an exact shortcut where its formula
// allows one (after a ReLU x⁻ = 0, and W⁻·x + b⁻ = z − (W⁺·x + b⁺)), and
// says whether its products may use Winograd and which weights Prepare
// should build. Pass, Norm and Gradient are the rules of the layers
// without weights (activations, pooling, Add, Flatten), where Zennit uses
// the gradient or its normalizing rules. Of the layers Zennit's
// composites have no rule for, a Concat routes each input its own
// channels' relevance, a Slice its channels' and a Shuffle R by the
// inverse permutation (Pass, exact), a LayerNorm passes R unchanged
// (Pass, AttnLRP's identity rule), a gate Mul gives all of it to the
// signal (Signal, signal-take-all) or half to each factor (Uniform,
// AttnLRP's), and a BatchNorm that could not be folded into a
// convolution or a Scale is a diagonal affine layer with LRP-ε
// (Epsilon).
//
// # Methods
//
// A Composite assigns rules to layers by kind and position, as data. The
// method registry methodSpecs (methods.go) names the built-in composites
// and the baselines (gradient, gradient×input, SmoothGrad, integrated
// gradients, Taylor) and the trivial explainers (single pixel, uniform),
// which share the same passes.
//
// An Explainer tells how much memory it takes before it takes it:
// WorkingSet (for a new one), Need (beyond what one holds) and Held
// replay a call's allocations for the model and the rules (memory.go), so
// that a caller can refuse a model or a method that does not fit.
//
// The package does no I/O and has no dependency on syscall/js; model files
// are read by package model, images by package preprocess.
package lrp
