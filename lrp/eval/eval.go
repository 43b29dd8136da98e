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
//	FillROAD     the noisy linear imputation of ROAD (road.go), from the pixels kept
//
// ROAD (Rong et al., ICML 2022) is the same curve with a different removal:
// its patches are single pixels by default, and its points are fractions of
// them rather than one patch after the other. Point k of a curve has the
// first n_k patches of the order removed, with
//
//	n_k = k                    for the local fills (L steps, one patch each),
//	n_k = ⌊k·P/(L+1)⌋          for FillROAD (P patches; L = 9 gives the paper's 10 %, 20 %, …, 90 %),
//
// and every ROAD point is imputed afresh from x and the kept pixels, since
// the imputation of a pixel depends on which of its neighbours are gone.
// The combined score of a method (pytorch-grad-cam's ROADCombined, for any
// fill) is
//
//	combined = ½ · 1/L · Σ_{k=1..L} (f(x_LeRFᵏ) − f(x_MoRFᵏ)),
//
// large when removing the least relevant part keeps the score and removing
// the most relevant destroys it. ROAD is a Fill rather than an evaluation of
// its own because everything but the removal is shared: the order, the tie
// breaking, the seeds, the curves and their AOPC, the batch (Evaluate) and
// the memory account (Need).
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
	FillROAD
)

var fillNames = []string{"zero", "mean", "uniform", "road"}

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
	Patch int    // patch side k; 0 means DefaultPatch for the input size, 1 (pixels) for FillROAD
	Steps int    // L, the points after x; 0 or more than the patches (FillROAD: patches − 1) means all, FillROAD's 0 means RoadSteps
	Fill  Fill   // how a removed patch is replaced
	Seed  uint64 // for random order, tie breaking and the noise of FillUniform and FillROAD
}

// RoadSteps is FillROAD's default L: the paper's removed fractions 10 %, 20 %, …, 90 %.
const RoadSteps = 9

// layout is the geometry of a perturbation of an input of shape c×h×w.
type layout struct {
	c, h, w int
	patch   int // k
	patches int // P
	steps   int // L
}

// resolve returns the layout of cfg on inputs of shape s (c×h×w, h×w or n):
// the defaults filled in, the steps clamped. It allocates nothing.
func resolve(s []int, cfg Config) (layout, error) {
	l := layout{c: 1, h: 1, w: s[0]}
	if len(s) == 3 {
		l.c, l.h, l.w = s[0], s[1], s[2]
	} else if len(s) == 2 {
		l.h, l.w = s[0], s[1]
	}
	if cfg.Fill < FillZero || cfg.Fill > FillROAD {
		return l, fmt.Errorf("eval: fill %d invalid", cfg.Fill)
	}
	l.patch = cfg.Patch
	if l.patch == 0 {
		l.patch = DefaultPatch(s[len(s)-min(2, len(s))]) // the height, or the length of a vector
		if cfg.Fill == FillROAD {
			l.patch = 1
		}
	}
	if side := max(l.h, l.w); l.patch < 1 || l.patch > side {
		return l, fmt.Errorf("eval: patch %d: want 1..%d, the input's larger side", l.patch, side)
	}
	l.patches = ((l.h + l.patch - 1) / l.patch) * ((l.w + l.patch - 1) / l.patch)
	if cfg.Steps < 0 {
		return l, fmt.Errorf("eval: steps %d invalid", cfg.Steps)
	}
	l.steps = cfg.Steps
	if cfg.Fill == FillROAD {
		// ROAD keeps at least one patch: with none the imputation has nothing to start from.
		if l.patches < 2 {
			return l, fmt.Errorf("eval: fill road: %d patch of side %d, want 2 or more", l.patches, l.patch)
		}
		if l.steps == 0 {
			l.steps = RoadSteps
		}
		l.steps = min(l.steps, l.patches-1)
	} else if l.steps == 0 || l.steps > l.patches {
		l.steps = l.patches
	}
	return l, nil
}

// removed returns n_k, the patches removed at each of the L+1 points.
func (l layout) removed(f Fill) []int {
	n := make([]int, l.steps+1)
	for k := range n {
		n[k] = k
		if f == FillROAD {
			n[k] = k * l.patches / (l.steps + 1)
		}
	}
	return n
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

// Combined returns ½ · 1/L · Σ_{k=1..L} (lerf_k − morf_k) for the curves
// morf and lerf of one method (L+1 points each): pytorch-grad-cam's
// ROADCombined when the fill is FillROAD.
func Combined(morf, lerf []float64) float64 {
	if len(morf) < 2 || len(lerf) != len(morf) {
		return 0
	}
	var s float64
	for k := 1; k < len(morf); k++ {
		s += lerf[k] - morf[k]
	}
	return s / float64(2*(len(morf)-1))
}

// geometry returns the patches of l: for each patch the flat indices of
// its values (all channels).
func geometry(l layout) [][]int32 {
	c, h, w, k := l.c, l.h, l.w, l.patch
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
	l       layout
	patches [][]int32
	removed []int // n_k
	xk      []float32
	lo, hi  []float32
	road    *imputer  // FillROAD only
	sigma   []float32 // FillROAD: the noise's σ per channel
}

// NewPerturber returns a Perturber for the explainer's model.
func NewPerturber(e *lrp.Explainer, cfg Config) (*Perturber, error) {
	m := e.Model()
	l, err := resolve(m.Input.Shape, cfg)
	if err != nil {
		return nil, err
	}
	cfg.Patch, cfg.Steps = l.patch, l.steps
	p := &Perturber{e: e, cfg: cfg, l: l, patches: geometry(l), removed: l.removed(cfg.Fill), xk: make([]float32, m.InputLen())}
	p.lo, p.hi = m.Bounds()
	if cfg.Fill == FillROAD {
		p.road = newImputer(l.c, l.h, l.w)
		p.sigma = make([]float32, len(p.lo))
		for ch := range p.sigma {
			p.sigma[ch] = RoadNoise * (p.hi[ch] - p.lo[ch])
		}
	}
	return p, nil
}

// Need returns the bytes that a Perturber of m with cfg allocates and
// drops while it evaluates methods methods (Both) on one input: its
// buffers, its patch lists (built by append: with the capacities it
// outgrows, up to 5 times their values), ROAD's imputer, and per method
// the copy of the relevance, the two orders and the two curves. It bounds what an
// evaluation takes beyond the explanations; a cfg that NewPerturber
// refuses needs nothing.
func Need(m *lrp.Model, cfg Config, methods int) int64 {
	l, err := resolve(m.Input.Shape, cfg)
	if err != nil {
		return 0
	}
	n, patches, points := int64(m.InputLen()), int64(l.patches), int64(l.steps+1)
	perturber := 4*n + 5*4*n + 3*24*patches + 8*points
	if cfg.Fill == FillROAD {
		perturber += imputerBytes(l.h, l.w) + 2*4*int64(l.c)
	}
	method := 4*n + 2*16*patches + 2*(4*int64(l.c)+2*8*points) // relevance, two orders (ints and scores), two curves
	return perturber + int64(methods)*method + 1<<10
}

// Patches is the number of patches of one input.
func (p *Perturber) Patches() int { return len(p.patches) }

// Steps is L: each curve has L+1 points.
func (p *Perturber) Steps() int { return p.cfg.Steps }

// Patch is the patch side k.
func (p *Perturber) Patch() int { return p.cfg.Patch }

// Removed returns n_k, the number of patches removed at each point of a
// curve (a copy).
func (p *Perturber) Removed() []int { return slices.Clone(p.removed) }

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

// Run removes the patches of x in the given order and returns the
// target's curve: L+1 points, the first for x itself, point k with the
// first n_k patches of the order removed.
func (p *Perturber) Run(x []float32, order []int, target int, seed uint64) (Curve, error) {
	if len(x) != len(p.xk) || target < 0 || len(order) < p.removed[p.cfg.Steps] {
		return Curve{}, fmt.Errorf("eval: input of %d values, order of %d patches or target %d invalid", len(x), len(order), target)
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
		if p.road != nil {
			// The removed sets grow, so x⁰'s values still stand at every kept pixel.
			clear(p.road.removed)
			hw := len(p.road.removed)
			for _, i := range order[:p.removed[k+1]] {
				for _, j := range p.patches[i] {
					p.road.removed[int(j)%hw] = true
				}
			}
			p.road.impute(p.xk, x, p.sigma, rng)
			continue
		}
		for _, i := range order[p.removed[k]:p.removed[k+1]] {
			for _, j := range p.patches[i] {
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
