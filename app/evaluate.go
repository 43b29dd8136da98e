package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/lrp/eval"
)

// EvalOptions are the options of Evaluate (the JSON object of evaluate in
// docs/JS_API.md). The zero value evaluates epsilon_gamma_box against the
// random order with the defaults of package eval.
type EvalOptions struct {
	Methods []string `json:"methods"` // composites, baselines, or "random"
	Patch   int      `json:"patch"`   // patch side; 0: eval.DefaultPatch, 1 for road
	Steps   int      `json:"steps"`   // points after the input, L; 0: all patches, 9 (10 % … 90 %) for road
	Fill    string   `json:"fill"`    // zero, mean, uniform (default) or road (eval.FillROAD)
	Seed    uint64   `json:"seed"`
	Target  *int     `json:"target"` // class; null or −1: predicted
	Start   string   `json:"start"`  // start relevance of the LRP methods
}

// MethodCurves are the perturbation curves of one method on one input:
// the target logit at each of the L+1 points (Evaluation.Removed patches
// removed), most relevant first (MoRF) and least relevant first (LeRF),
// with their AOPC and combined score (package eval).
type MethodCurves struct {
	Method   string    `json:"method"`
	MoRF     []float64 `json:"morf"`
	LeRF     []float64 `json:"lerf"`
	MoRFProb []float64 `json:"morfProb"`
	LeRFProb []float64 `json:"lerfProb"`
	AOPCMoRF float64   `json:"aopcMorf"`
	AOPCLeRF float64   `json:"aopcLerf"`
	Combined float64   `json:"combined"`
}

// Evaluation is the result of Evaluate.
type Evaluation struct {
	Target  int            `json:"target"`
	Patch   int            `json:"patch"`
	Patches int            `json:"patches"`
	Steps   int            `json:"steps"`
	Removed []int          `json:"removed"` // patches removed at each point: 0…L, or for road ⌊k·patches/(L+1)⌋
	Fill    string         `json:"fill"`
	Methods []MethodCurves `json:"methods"`
	Millis  float64        `json:"ms"`
}

// maxEvalMethods bounds one call's work.
const maxEvalMethods = 32

// ParseEvalOptions parses the JSON options of Evaluate; unknown keys and
// unknown methods are errors, and so are a patch or steps given as 0 or
// less (absent or null means the default; 0 is the default only in Go).
func ParseEvalOptions(data []byte) (*EvalOptions, error) {
	o := &EvalOptions{}
	if len(bytes.TrimSpace(data)) > 0 {
		// Patch and Steps as pointers, to tell an absent key from 0.
		var j struct {
			*EvalOptions
			Patch *int `json:"patch"`
			Steps *int `json:"steps"`
		}
		j.EvalOptions = o
		d := json.NewDecoder(bytes.NewReader(data))
		d.DisallowUnknownFields()
		if err := d.Decode(&j); err != nil {
			return nil, fmt.Errorf("eval: options: %v", err)
		}
		for _, f := range []struct {
			name string
			v    *int
			to   *int
		}{{"patch", j.Patch, &o.Patch}, {"steps", j.Steps, &o.Steps}} {
			if f.v != nil {
				if *f.v < 1 {
					return nil, fmt.Errorf("eval: options: %s %d: want 1 or more (leave it out for the default)", f.name, *f.v)
				}
				*f.to = *f.v
			}
		}
	}
	if len(o.Methods) == 0 {
		o.Methods = []string{"epsilon_gamma_box", eval.RandomMethod}
	}
	if len(o.Methods) > maxEvalMethods {
		return nil, fmt.Errorf("eval: options: %d methods, at most %d", len(o.Methods), maxEvalMethods)
	}
	for _, m := range o.Methods {
		if m != eval.RandomMethod && lrp.DescribeMethod(m) == "" {
			return nil, fmt.Errorf("eval: options: unknown method %q (known: %v and random)", m, lrp.Methods())
		}
	}
	if o.Fill == "" {
		o.Fill = "uniform"
	}
	if _, err := eval.ParseFill(o.Fill); err != nil {
		return nil, fmt.Errorf("eval: options: %s", strings.TrimPrefix(err.Error(), "eval: "))
	}
	return o, nil
}

// config returns the perturbation settings of o.
func (o *EvalOptions) config() (eval.Config, error) {
	fill, err := eval.ParseFill(o.Fill)
	return eval.Config{Patch: o.Patch, Steps: o.Steps, Fill: fill, Seed: o.Seed}, err
}

// Evaluate runs region perturbation (package eval) on one input for every
// method of o and returns the curves. The input is taken as Explain takes
// it; the target defaults to the predicted class.
func (s *Session) Evaluate(in Input, o *EvalOptions) (*Evaluation, error) {
	t0 := time.Now()
	if o == nil {
		var err error
		if o, err = ParseEvalOptions(nil); err != nil {
			return nil, err
		}
	}
	cfg, err := o.config()
	if err != nil {
		return nil, err
	}
	start, err := lrp.ParseStart(o.Start)
	if err != nil {
		return nil, err
	}
	var target lrp.Target
	if o.Target != nil {
		k := *o.Target
		if k < predictedJSON || k >= s.m.Classes() {
			return nil, fmt.Errorf("eval: target %d out of range: model has classes 0..%d", k, s.m.Classes()-1)
		}
		target = jsonTarget(k)
	}
	os, transient, err := s.evalNeed(in, o)
	if err != nil {
		return nil, err
	}
	need, err := s.admit(transient, os...)
	if err != nil {
		return nil, err
	}
	if err := s.input(in); err != nil {
		return nil, err
	}
	defer s.commit(need)
	p, err := eval.NewPerturber(s.e, cfg)
	if err != nil {
		return nil, err
	}
	x := append([]float32(nil), s.x...)
	res := &Evaluation{Patch: p.Patch(), Patches: p.Patches(), Steps: p.Steps(), Removed: p.Removed(), Fill: cfg.Fill.String()}
	for _, m := range o.Methods {
		morf, lerf, err := p.Both(x, m, lrp.Options{Target: target, Start: start}, 0)
		if err != nil {
			return nil, fmt.Errorf("eval: method %s: %w", m, err)
		}
		res.Methods = append(res.Methods, MethodCurves{
			Method: m, MoRF: morf.Logit, LeRF: lerf.Logit, MoRFProb: morf.Prob, LeRFProb: lerf.Prob,
			AOPCMoRF: eval.AOPC(morf.Logit), AOPCLeRF: eval.AOPC(lerf.Logit), Combined: eval.Combined(morf.Logit, lerf.Logit),
		})
	}
	logits, err := s.e.Forward(x)
	if err != nil {
		return nil, err
	}
	res.Target = target.Resolve(logits)
	res.Millis = float64(time.Since(t0)) / 1e6
	return res, nil
}
