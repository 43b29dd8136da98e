// Package eval measures whether a heatmap is faithful by region
// perturbation (Samek, Binder, Montavon, Lapuschkin and Müller, "Evaluating
// the visualization of what a deep neural network has learned", IEEE TNNLS
// 28(11), 2017).
//
// The input is cut into non-overlapping k×k patches (the last row and
// column of patches may be smaller), and each patch is scored by the sum of
// its relevance over all channels. The patches are then ordered most
// relevant first (MoRF), least relevant first (LeRF) or at random (seeded),
// ties broken by a seeded random permutation so that a heatmap that says
// nothing orders like random. Starting from x⁰ = x, step k replaces the k-th
// patch of the order: xᵏ = g(xᵏ⁻¹, r_k), and records the target's logit and
// probability f(xᵏ). The relevance is computed once, on x.
//
// The area over the perturbation curve is, as in the paper (eq. 12, with the
// average over inputs taken by the caller),
//
//	AOPC = 1/(L+1) · Σ_{k=0..L} (f(x⁰) − f(xᵏ)).
//
// A faithful heatmap makes the MoRF curve fall fast (large AOPC) and the
// LeRF curve fall slowly (small AOPC); LeRF − MoRF areas summarize both.
//
// Fill choices for a removed patch:
//
//	FillZero     the low end of the pixel range (black; 0 for MNIST), through the model's normalization
//	FillMean     the per-channel mean of x
//	FillUniform  uniform noise over the pixel range per value, seeded (the paper's choice)
package eval

import (
	"cmp"
	"fmt"
	"math"
	"math/rand/v2"
	"slices"

	"github.com/lrpwasm/lrp/lrp"
)

// Order is the order in which patches are removed.
type Order int

// Orders.
const (
	MoRF Order = iota
	LeRF
	Random
)

func (o Order) String() string { return [...]string{"morf", "lerf", "random"}[o] }

// Fill is how a removed patch is replaced.
type Fill int

// Fills.
const (
	FillZero Fill = iota
	FillMean
	FillUniform
)

var fillNames = []string{"zero", "mean", "uniform"}

func (f Fill) String() string { return fillNames[f] }

// ParseFill returns the Fill named s.
func ParseFill(s string) (Fill, error) {
	for i, n := range fillNames {
		if n == s {
			return Fill(i), nil
		}
	}
	return 0, fmt.Errorf("eval: unknown fill %q (known: %v)", s, fillNames)
}

// Config sets the perturbation.
type Config struct {
	Patch int    // patch side k; 0 means DefaultPatch for the input size
	Steps int    // L, patches removed; 0 or more than the patches means all of them
	Fill  Fill   // how a removed patch is replaced
	Seed  uint64 // for random order, tie breaking and uniform fill
}

// DefaultPatch is the patch side for an input of height h: 4 for inputs up
// to 64 pixels (28×28 MNIST digits become 7×7 = 49 patches; a 2×2 patch
// barely changes a stroke), 9 above (the paper's 9×9 for 224-pixel images).
func DefaultPatch(h int) int {
	if h <= 64 {
		return 4
	}
	return 9
}

// Curve is one perturbation curve: the target's logit and probability after
// removing 0, 1, …, L patches.
type Curve struct {
	Logit []float64
	Prob  []float64
}

// AOPC returns 1/(L+1) · Σ_k (f(x⁰) − f(xᵏ)) for a curve f.
func AOPC(f []float64) float64 {
	if len(f) == 0 {
		return 0
	}
	var s float64
	for _, v := range f {
		s += f[0] - v
	}
	return s / float64(len(f))
}

// geometry returns the patches of an input of the model: for each patch the
// flat indices of its values (all channels).
func geometry(m *lrp.Model, k int) [][]int32 {
	s := m.Input.Shape
	c, h, w := 1, 1, s[0]
	if len(s) == 3 {
		c, h, w = s[0], s[1], s[2]
	} else if len(s) == 2 {
		h, w = s[0], s[1]
	}
	var patches [][]int32
	for y0 := 0; y0 < h; y0 += k {
		for x0 := 0; x0 < w; x0 += k {
			var p []int32
			for ch := range c {
				for y := y0; y < min(y0+k, h); y++ {
					for x := x0; x < min(x0+k, w); x++ {
						p = append(p, int32(ch*h*w+y*w+x))
					}
				}
			}
			patches = append(patches, p)
		}
	}
	return patches
}

// Perturber runs perturbation curves for one model; it is not safe for
// concurrent use (it owns an lrp.Explainer).
type Perturber struct {
	e       *lrp.Explainer
	cfg     Config
	patches [][]int32
	xk      []float32
	lo, hi  []float32
}

// NewPerturber returns a Perturber for the explainer's model.
func NewPerturber(e *lrp.Explainer, cfg Config) (*Perturber, error) {
	m := e.Model()
	h := m.Input.Shape[0]
	if len(m.Input.Shape) == 3 {
		h = m.Input.Shape[1]
	}
	if cfg.Patch == 0 {
		cfg.Patch = DefaultPatch(h)
	}
	if side := slices.Max(m.Input.Shape[len(m.Input.Shape)-min(2, len(m.Input.Shape)):]); cfg.Patch < 1 || cfg.Patch > side {
		return nil, fmt.Errorf("eval: patch %d: want 1..%d, the input's larger side", cfg.Patch, side)
	}
	if cfg.Steps < 0 || cfg.Fill < FillZero || cfg.Fill > FillUniform {
		return nil, fmt.Errorf("eval: steps %d, fill %d invalid", cfg.Steps, cfg.Fill)
	}
	p := &Perturber{e: e, cfg: cfg, patches: geometry(m, cfg.Patch), xk: make([]float32, m.InputLen())}
	p.lo, p.hi = m.Bounds()
	if p.cfg.Steps == 0 || p.cfg.Steps > len(p.patches) {
		p.cfg.Steps = len(p.patches)
	}
	return p, nil
}

// Need returns the bytes that a Perturber of m with cfg allocates and
// drops while it evaluates methods methods (Both) on one input: its
// buffer, its patch lists (built by append: with the capacities it
// outgrows, up to 5 times their values), and per method the copy of the
// relevance, the order and the curves. It bounds what an evaluation
// takes beyond the explanations.
func Need(m *lrp.Model, cfg Config, methods int) int64 {
	n, s := int64(m.InputLen()), m.Input.Shape
	c, h, w := int64(1), int64(1), int64(s[0])
	if len(s) == 3 {
		c, h, w = int64(s[0]), int64(s[1]), int64(s[2])
	} else if len(s) == 2 {
		h, w = int64(s[0]), int64(s[1])
	}
	k := int64(cfg.Patch)
	if k == 0 {
		k = int64(DefaultPatch(int(h)))
	}
	patches := ((h + k - 1) / k) * ((w + k - 1) / k)
	perturber := 4*n + 5*4*n + 3*24*patches
	method := 4*n + 16*patches + 2*(4*c+2*8*(patches+1))
	return perturber + int64(methods)*method + 1<<10
}

// Patches is the number of patches of one input.
func (p *Perturber) Patches() int { return len(p.patches) }

// Steps is L, the number of patches each curve removes.
func (p *Perturber) Steps() int { return p.cfg.Steps }

// Order returns the patch order for relevance rel (ignored for Random).
// seed varies the random order and tie breaking per input.
func (p *Perturber) Order(rel []float32, o Order, seed uint64) []int {
	rng := rand.New(rand.NewPCG(p.cfg.Seed, seed))
	idx := rng.Perm(len(p.patches))
	if o == Random {
		return idx
	}
	score := make([]float64, len(p.patches))
	for i, pt := range p.patches {
		for _, j := range pt {
			score[i] += float64(rel[j])
		}
	}
	slices.SortStableFunc(idx, func(a, b int) int {
		if o == MoRF {
			return cmp.Compare(score[b], score[a])
		}
		return cmp.Compare(score[a], score[b])
	})
	return idx
}

// Run removes the patches of x in the given order, L of them, and returns
// the target's curve (L+1 points, the first for x itself).
func (p *Perturber) Run(x []float32, order []int, target int, seed uint64) (Curve, error) {
	if len(x) != len(p.xk) || target < 0 {
		return Curve{}, fmt.Errorf("eval: input of %d values or target %d invalid", len(x), target)
	}
	copy(p.xk, x)
	rng := rand.New(rand.NewPCG(p.cfg.Seed^0x9e3779b97f4a7c15, seed))
	mean := make([]float32, len(p.lo))
	per := len(x) / len(mean)
	for i, v := range x {
		mean[i/per] += v / float32(per)
	}
	c := Curve{Logit: make([]float64, 0, p.cfg.Steps+1), Prob: make([]float64, 0, p.cfg.Steps+1)}
	for k := 0; ; k++ {
		if err := p.score(&c, target); err != nil {
			return c, err
		}
		if k == p.cfg.Steps {
			return c, nil
		}
		for _, j := range p.patches[order[k]] {
			ch := int(j) / per
			switch p.cfg.Fill {
			case FillZero:
				p.xk[j] = p.lo[ch]
			case FillMean:
				p.xk[j] = mean[ch]
			case FillUniform:
				p.xk[j] = p.lo[ch] + rng.Float32()*(p.hi[ch]-p.lo[ch])
			}
		}
	}
}

func (p *Perturber) score(c *Curve, target int) error {
	logits, err := p.e.Forward(p.xk)
	if err != nil {
		return err
	}
	if target >= len(logits) {
		return fmt.Errorf("eval: target %d out of range", target)
	}
	mx := logits[0]
	for _, v := range logits {
		mx = max(mx, v)
	}
	var s float64
	for _, v := range logits {
		s += math.Exp(float64(v - mx))
	}
	c.Logit = append(c.Logit, float64(logits[target]))
	c.Prob = append(c.Prob, math.Exp(float64(logits[target]-mx))/s)
	return nil
}
