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
	s.cold = false
	if s.WorkingSet() > warmLimit {
		return s.Prepare(nil) // the default options are valid
	}
	_, err := s.Explain(Input{X: make([]float32, s.m.InputLen())}, nil)
	return err
}

// WarmLater notes that the warm-up is left for later, a call of Warm
// when the caller has time to spare (the page: when its Worker is idle),
// and that an explanation may come first. If it does, and the model is
// one whose warm-up builds caches (a working set above 16 MiB), that
// first explanation keeps none of the packed operands it computes (the
// Winograd transforms of the weights; lrp.Explainer.SetCold): a
// ResNet-18's then writes some 280 MB less memory it has never touched
// (0.89 → 0.74 s in Node), and Warm or the next explanation builds and
// keeps them.
func (s *Session) WarmLater() {
	s.cold = s.WorkingSet() > warmLimit
}

// Ahead returns the bytes that the session will still allocate for Warm
// and a first explanation with the default options (caches, activations,
// relevance, buffers): WorkingSet less what it holds now. The wasm build
// takes them from the system at once.
func (s *Session) Ahead() int64 {
	need, _ := s.e.Need(lrp.Options{}) // the default options are valid
	return need
}
