package app

import "github.com/lrpwasm/lrp/lrp"

// warmLimit is the largest working set (WorkingSet) that Warm explains:
// MNIST-sized models (about 0.3 MB) and up to small image models.
const warmLimit = 16 << 20

// Warm builds, at load, what the first explanation with the default
// options would, so that the first user call is as fast as the next ones
// and memory does not step up in it. A model whose working set is at most
// 16 MiB is explained once, on a blank input: every cache and buffer of
// that explanation is made. For a larger one the blank explanation would
// add seconds to the load, so only the default composite's caches of
// modified weights are built (Prepare: a ResNet-18's W⁺ and W + γW⁺,
// 94 MB). A Warm that fails leaves the session usable; the first call
// with the default options meets the same error.
func (s *Session) Warm() error {
	if s.WorkingSet() > warmLimit {
		return s.Prepare(nil) // the default options are valid
	}
	_, err := s.Explain(Input{X: make([]float32, s.m.InputLen())}, nil)
	return err
}

// Ahead returns the bytes that the session will still allocate for Warm
// and a first explanation with the default options (caches, activations,
// relevance, buffers): WorkingSet less what it holds now. The wasm build
// takes them from the system at once.
func (s *Session) Ahead() int64 {
	need, _ := s.e.Need(lrp.Options{}) // the default options are valid
	return need
}
