package app

import (
	"fmt"
	"unsafe"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/lrp/eval"
	"github.com/lrpwasm/lrp/preprocess"
)

// MemoryLimit bounds the memory a Session holds, and what a call may
// take on top: the model's weights, the activations and relevance of
// every layer, the rules' buffers and cached modified weights, the packed
// operands, an input image and its preprocessing. A model or a call that
// would need more is refused, before anything is allocated, with an
// error that names the MiB it needs.
//
// The wasm build has at most 4 GiB of linear memory, which never shrinks,
// and a Go program that runs out of it dies. Measured under Node, linear
// memory is 1.1–1.3 times what a session holds plus about 100 MiB (the
// runtime, the packed result, the input's copy): a session at the limit
// takes about 2 GiB, and even a heap that grows to twice its live data
// before a collection (Go's default pacing, which a load runs under)
// stays below 4 GiB (docs/JS_API.md).
const MemoryLimit = 3 << 29

// limit is MemoryLimit, lowered by tests.
var limit int64 = MemoryLimit

// Check returns an error if a Session of m could not explain with the
// default options within MemoryLimit: NewSession refuses such a model
// before it allocates anything, and the command line does too.
func Check(m *lrp.Model) error {
	need, err := Need(m, lrp.Options{})
	if err != nil {
		return err
	}
	if need > limit {
		return fmt.Errorf("lrp: model %s needs %d MiB to explain with %s (weights, activations, relevance, rule buffers, caches), more than the %d MiB allowed",
			m.Name, MiB(need), defaultComposite, limit>>20)
	}
	return nil
}

// Need returns the bytes a new Session of m holds after explaining with
// each of os in turn, its weights included: what MemoryLimit bounds.
func Need(m *lrp.Model, os ...lrp.Options) (int64, error) {
	need, err := lrp.WorkingSet(m, os...)
	if err != nil {
		return 0, err
	}
	return need + weightBytes(m) + sessionBytes(m), nil
}

// CheckFileSize returns an error for a model file of n bytes that no
// session could hold: its weights alone, which take at least its size in
// float32 (twice it in float16), would pass MemoryLimit. The wasm build
// asks before it copies the file.
func CheckFileSize(n int64) error {
	if n > limit {
		return fmt.Errorf("lrp: a model file of %d MiB is larger than the %d MiB a session may hold (its weights alone take about its size or more)", MiB(n), limit>>20)
	}
	return nil
}

// weightBytes returns the bytes of m's weights.
func weightBytes(m *lrp.Model) int64 { return 4 * int64(m.Params()) }

// sessionBytes returns the bytes of a Session's own buffers for m: the
// input, its finite copy, the heatmap, picture and mask and the classes,
// and the wasm build's packed result (Result.Pack) with the one it outgrew.
func sessionBytes(m *lrp.Model) int64 {
	_, h, w := geometry(m.Input.Shape)
	own := 2*4*int64(m.InputLen()) + 9*int64(h)*int64(w) + int64(m.Classes())*int64(unsafe.Sizeof(Class{})) + 16<<10
	return own + 2*packBytes(m, h, w)
}

// imageBytes returns what an RGBA input takes while a call runs (its copy
// and the preprocessing scratch), 0 for a model input.
func (s *Session) imageBytes(in Input) int64 {
	if in.X != nil || in.Width <= 0 || in.Height <= 0 {
		return 0
	}
	return 4*int64(in.Width)*int64(in.Height) + preprocess.ScratchBytes(in.Width, in.Height, s.w, s.h)
}

// CheckExplain returns the error Explain(in, o) would return for the
// memory it needs, or for in's mode, without explaining: in.RGBA may be
// nil, its size is in.Width×in.Height. The wasm build asks before it
// copies an image into its memory, so that a call it refuses leaves
// memory as it was.
func (s *Session) CheckExplain(in Input, o *Options) error {
	if o == nil {
		o = &Options{}
	}
	if in.X == nil {
		if _, err := s.mode(in.Mode); err != nil {
			return err
		}
	}
	_, err := s.admit(s.imageBytes(in), o.Explain)
	return err
}

// CheckPreprocess is CheckExplain for Preprocess: the image alone.
func (s *Session) CheckPreprocess(in Input) error {
	if _, err := s.mode(in.Mode); err != nil {
		return err
	}
	return s.fits(0, s.imageBytes(in))
}

// CheckEvaluate is CheckExplain for Evaluate.
func (s *Session) CheckEvaluate(in Input, o *EvalOptions) error {
	if in.X == nil {
		if _, err := s.mode(in.Mode); err != nil {
			return err
		}
	}
	if o == nil {
		var err error
		if o, err = ParseEvalOptions(nil); err != nil {
			return err
		}
	}
	os, transient, err := s.evalNeed(in, o)
	if err != nil {
		return err
	}
	_, err = s.admit(transient, os...)
	return err
}

// admit returns what explaining with each of os needs (lrp.Explainer.
// Need), or an error if that and transient bytes, which the call drops
// when it ends, would not fit within MemoryLimit with what the session
// has committed: what it holds and what later calls with the methods it
// has prepared may still build (lrp.Explainer.Pending). When they do not
// fit, the session drops its caches (Release) and checks again: another
// method's modified weights may be what is in the way. With no options it
// checks a forward pass. Once the call has allocated, the caller commits
// its need.
func (s *Session) admit(transient int64, os ...lrp.Options) (int64, error) {
	need, err := s.need(os)
	if err != nil {
		return 0, err
	}
	if s.committed+need+transient <= limit {
		return need, nil
	}
	if s.bare+s.own+transient < limit {
		s.Release()
		if need, err = s.need(os); err != nil {
			return 0, err
		}
	}
	return need, s.fits(need, transient, os...)
}

// commit updates what the session has committed after a call that admit
// let through with need: nothing changed if need is 0.
func (s *Session) commit(need int64) {
	if need > 0 {
		s.committed = s.e.Held() + s.e.Pending() + s.own
	}
}

func (s *Session) need(os []lrp.Options) (int64, error) {
	if len(os) == 0 {
		return s.e.NeedForward(), nil
	}
	return s.e.Need(os...)
}

// fits returns an error if need more bytes kept and transient bytes for
// the call do not fit within MemoryLimit with what is committed.
func (s *Session) fits(need, transient int64, os ...lrp.Options) error {
	total := s.committed + need + transient
	if total <= limit {
		return nil
	}
	what := "a forward pass"
	if len(os) > 0 {
		what = "explaining with " + methodName(&os[0])
		if len(os) > 1 {
			what = fmt.Sprintf("evaluating %d methods", len(os))
		}
	}
	image := ""
	if transient > 0 {
		image = fmt.Sprintf(", the call's input and scratch %d MiB", MiB(transient))
	}
	return fmt.Errorf("lrp: model %s: %s needs %d MiB (weights, activations, relevance, rule buffers, caches%s), more than the %d MiB allowed",
		s.info.Name, what, MiB(total), image, limit>>20)
}

// methodName names o's method for messages.
func methodName(o *lrp.Options) string {
	if o.Composite != nil {
		return "a custom composite"
	}
	name := o.Method
	if name == "" {
		name = defaultComposite
	}
	if len(o.Params) > 0 || len(o.Rules) > 0 {
		name += " with overrides"
	}
	return name
}

// evalNeed returns the methods of o that explain, as options, and the
// bytes that an evaluation of in with o drops when it ends.
func (s *Session) evalNeed(in Input, o *EvalOptions) ([]lrp.Options, int64, error) {
	start, err := lrp.ParseStart(o.Start)
	if err != nil {
		return nil, 0, err
	}
	var os []lrp.Options
	for _, m := range o.Methods {
		if m != eval.RandomMethod {
			os = append(os, lrp.Options{Method: m, Start: start})
		}
	}
	cfg, err := o.config()
	if err != nil {
		return nil, 0, err
	}
	transient := eval.Need(s.m, cfg, len(o.Methods)) + 4*int64(s.m.InputLen()) + s.imageBytes(in)
	return os, transient, nil
}

// MiB returns n bytes in MiB, rounded up, as the memory errors give them.
func MiB(n int64) int64 { return (n + 1<<20 - 1) >> 20 }
