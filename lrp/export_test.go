package lrp

// Hooks for the external tests of this folder (families_test.go), which
// load ONNX files through package model and so cannot be in package lrp.

// Activation returns node i's output from the last forward pass.
func (e *Explainer) Activation(i int) []float32 { return e.acts[i] }

// NodeRelevance returns the relevance at node i's output from the last
// explanation.
func (e *Explainer) NodeRelevance(i int) []float32 { return e.rel[i] }
