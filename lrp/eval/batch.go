package eval

import (
	"fmt"
	"sync"

	"github.com/lrpwasm/lrp/lrp"
)

// RandomMethod is the method name of the random patch order, the baseline
// every heatmap should beat.
const RandomMethod = "random"

// Summary is the evaluation of one method over many inputs: the AOPC of the
// MoRF and LeRF logit curves, their probability counterparts, the combined
// scores, the mean curves, and the scores of every input for paired
// comparisons.
type Summary struct {
	AOPCMoRF     float64   `json:"aopc_morf"`
	AOPCLeRF     float64   `json:"aopc_lerf"`
	AOPCMoRFProb float64   `json:"aopc_morf_prob"`
	AOPCLeRFProb float64   `json:"aopc_lerf_prob"`
	Combined     float64   `json:"combined"`
	CombinedProb float64   `json:"combined_prob"`
	CurveMoRF    []float64 `json:"curve_morf"`
	CurveLeRF    []float64 `json:"curve_lerf"`
	N            int       `json:"n"`
	Inputs       []Score   `json:"-"` // in the order of the inputs
}

// Score is one method's result on one input, from its logit curves.
type Score struct {
	AOPCMoRF, AOPCLeRF, Combined float64
}

// Gap is LeRF − MoRF area: large when the heatmap both finds what matters
// and what does not.
func (s Summary) Gap() float64 { return s.AOPCLeRF - s.AOPCMoRF }

// Evaluate runs every method on every input (explaining the predicted class,
// one-hot start) and averages the curves, using workers goroutines (each
// with its own Explainer). Method "random" uses a random patch order and no
// relevance. The order of results follows methods.
func Evaluate(m *lrp.Model, inputs [][]float32, methods []string, cfg Config, opt lrp.Options, workers int) ([]Summary, error) {
	if workers < 1 {
		workers = 1
	}
	for _, name := range methods {
		if name == RandomMethod {
			continue
		}
		if lrp.DescribeMethod(name) == "" {
			return nil, fmt.Errorf("eval: unknown method %q", name)
		}
	}
	type job struct{ mi, xi int }
	type out struct {
		mi, xi     int
		morf, lerf Curve
		err        error
	}
	jobs := make(chan job)
	outs := make(chan out)
	var wg sync.WaitGroup
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			e := lrp.NewExplainer(m)
			p, err := NewPerturber(e, cfg)
			for j := range jobs {
				if err != nil {
					outs <- out{err: err}
					continue
				}
				o := out{mi: j.mi, xi: j.xi}
				o.morf, o.lerf, o.err = p.Both(inputs[j.xi], methods[j.mi], opt, uint64(j.xi))
				outs <- o
			}
		}()
	}
	go func() {
		for mi := range methods {
			for xi := range inputs {
				jobs <- job{mi, xi}
			}
		}
		close(jobs)
		wg.Wait()
		close(outs)
	}()
	sums := make([]Summary, len(methods))
	var firstErr error
	for o := range outs {
		if o.err != nil {
			if firstErr == nil {
				firstErr = o.err
			}
			continue
		}
		s := &sums[o.mi]
		if s.Inputs == nil {
			s.Inputs = make([]Score, len(inputs))
		}
		sc := Score{AOPC(o.morf.Logit), AOPC(o.lerf.Logit), Combined(o.morf.Logit, o.lerf.Logit)}
		s.Inputs[o.xi] = sc
		s.N++
		s.AOPCMoRF += sc.AOPCMoRF
		s.AOPCLeRF += sc.AOPCLeRF
		s.Combined += sc.Combined
		s.AOPCMoRFProb += AOPC(o.morf.Prob)
		s.AOPCLeRFProb += AOPC(o.lerf.Prob)
		s.CombinedProb += Combined(o.morf.Prob, o.lerf.Prob)
		s.CurveMoRF = addTo(s.CurveMoRF, o.morf.Logit)
		s.CurveLeRF = addTo(s.CurveLeRF, o.lerf.Logit)
	}
	if firstErr != nil {
		return nil, firstErr
	}
	for i := range sums {
		s := &sums[i]
		if s.N == 0 {
			continue
		}
		n := float64(s.N)
		s.AOPCMoRF /= n
		s.AOPCLeRF /= n
		s.AOPCMoRFProb /= n
		s.AOPCLeRFProb /= n
		s.Combined /= n
		s.CombinedProb /= n
		for k := range s.CurveMoRF {
			s.CurveMoRF[k] /= n
			s.CurveLeRF[k] /= n
		}
	}
	return sums, nil
}

func addTo(dst, v []float64) []float64 {
	if dst == nil {
		dst = make([]float64, len(v))
	}
	for i, x := range v {
		dst[i] += x
	}
	return dst
}

// Both explains x with method (target and start from opt) and returns its
// MoRF and LeRF curves; for "random" both curves use the same random order
// (seeded by seed).
func (p *Perturber) Both(x []float32, method string, opt lrp.Options, seed uint64) (morf, lerf Curve, err error) {
	var rel []float32
	var target int
	if method == RandomMethod {
		logits, err := p.e.Forward(x)
		if err != nil {
			return morf, lerf, err
		}
		target = opt.Target.Resolve(logits)
	} else {
		opt.Method = method
		r, err := p.e.Explain(x, opt)
		if err != nil {
			return morf, lerf, err
		}
		rel, target = append([]float32(nil), r.Relevance...), r.Target
	}
	mo, lo := MoRF, LeRF
	if method == RandomMethod {
		mo, lo = Random, Random
	}
	if morf, err = p.Run(x, p.Order(rel, mo, seed), target, seed); err != nil {
		return morf, lerf, err
	}
	lerf, err = p.Run(x, p.Order(rel, lo, seed), target, seed)
	return morf, lerf, err
}
