package lrp

import (
	"fmt"
	"math"
	"strconv"
	"unsafe"
)

// Start chooses the relevance placed at the output before it is propagated.
type Start int

// Start vectors for target class c with logits z and softmax p:
//
//	OneHot       e_c
//	Logit        z_c·e_c
//	Probability  p_c·e_c
//	LogOdds      log(p_c/(1−p_c)), redistributed to the logits (see logOdds)
//	Contrastive  e_c − Σ_{c'≠c} e_{c'}/(K−1): "c rather than the others"
const (
	OneHot Start = iota
	Logit
	Probability
	LogOdds
	Contrastive
)

var startNames = []string{"onehot", "logit", "probability", "logodds", "contrastive"}

func (s Start) String() string {
	if s < 0 || int(s) >= len(startNames) {
		return fmt.Sprintf("Start(%d)", int(s))
	}
	return startNames[s]
}

// ParseStart returns the Start named s ("" is OneHot; "one-hot", "log-odds"
// and "prob" are accepted too).
func ParseStart(s string) (Start, error) {
	switch s {
	case "", "one-hot", "one_hot":
		return OneHot, nil
	case "log-odds", "log_odds":
		return LogOdds, nil
	case "prob", "softmax":
		return Probability, nil
	}
	for i, n := range startNames {
		if n == s {
			return Start(i), nil
		}
	}
	return 0, fmt.Errorf("lrp: unknown start %q (known: %v)", s, startNames)
}

// DefaultMethod is the composite of Options whose Method is "".
const DefaultMethod = "epsilon_gamma_box"

// Options configure one explanation. The zero value explains the predicted
// class with the epsilon_gamma_box composite and a one-hot start.
type Options struct {
	// Method is a built-in composite (see Composites) or a baseline (see
	// Methods); "" means epsilon_gamma_box.
	Method string
	// Composite, when not nil, is used instead of a built-in.
	Composite *Composite
	// Params override the built-in composite's parameters.
	Params Params
	// Rules override the composite's rule for individual nodes, by index.
	Rules map[int]Rule
	Start Start
	// Target is the class to explain; the zero value is the predicted one.
	Target Target
	// Baseline settings (zero means the default): Samples for SmoothGrad
	// (16, at most MaxSamples), Noise as a fraction of the input range
	// (0.1, at most MaxNoise), Steps for integrated gradients (32, at most
	// MaxSteps), Seed for SmoothGrad's noise.
	Samples int
	Noise   float64
	Steps   int
	Seed    uint64
}

// Limits of the baseline settings, so that one call cannot run for hours
// or drown the input in noise.
const (
	MaxSamples = 1024
	MaxSteps   = 1024
	MaxNoise   = 10.0
)

// A Target is the class an explanation is for. The zero value is the
// predicted class, the argmax of the logits (the first of equal ones);
// Class(k) is class k, whatever the model predicts.
type Target struct {
	class int
	fixed bool // class is set; otherwise the target is the predicted class
}

// Class returns the Target of class k. Explain refuses a k that is not
// one of the model's classes.
func Class(k int) Target { return Target{class: k, fixed: true} }

// Class returns the class t names and true, or 0 and false when t is the
// predicted class.
func (t Target) Class() (int, bool) { return t.class, t.fixed }

// Resolve returns the class t names, or the argmax of logits when t is
// the predicted class.
func (t Target) Resolve(logits []float32) int {
	if t.fixed {
		return t.class
	}
	return Argmax(logits)
}

// String returns "predicted" or the class index.
func (t Target) String() string {
	if t.fixed {
		return strconv.Itoa(t.class)
	}
	return "predicted"
}

// LayerDiag is the conservation record of one node.
type LayerDiag struct {
	Node     int     `json:"node"`
	Name     string  `json:"name"`
	Kind     Kind    `json:"kind"`
	Rule     string  `json:"rule"`
	Out      float64 `json:"out"`      // relevance sum at the node's output
	In       float64 `json:"in"`       // relevance sum passed to its inputs
	Absorbed float64 `json:"absorbed"` // Out − In: what biases and stabilizers kept (negative: added)
	NaN      bool    `json:"nan"`      // a NaN or Inf appeared in the relevance passed down
	// Inputs is the relevance sum passed to each input, in the order the
	// node reads them (a Concat's branches; a gate Mul's signal, then its
	// gate); they add up to In.
	Inputs []float64 `json:"inputs"`
}

// Diagnostics describe one explanation.
type Diagnostics struct {
	StartSum      float64     `json:"startSum"`      // sum of the start vector
	InputSum      float64     `json:"inputSum"`      // sum of the relevance at the input
	Layers        []LayerDiag `json:"layers"`        // from the output to the input
	PositiveShare float64     `json:"positiveShare"` // Σ R⁺ / Σ |R| at the input (0 when R = 0)
	NaN           bool        `json:"nan"`           // any NaN or Inf in the logits or the relevance
	// Output is the explained quantity f(x): the start-weighted output
	// Σ_k s_k·z_k (the target logit for a one-hot start, the contrast for a
	// contrastive one), or the log-odds for a log-odds start.
	Output float64 `json:"output"`
	// Consistent is false when f(x) = 0 but the input relevance is not
	// zero (f(x) = 0 ⇒ R = 0 violated).
	Consistent bool `json:"consistent"`
}

// Result is one explanation. It and its slices belong to the Explainer and
// are valid until its next call; copy them to keep them.
type Result struct {
	Logits        []float32
	Probabilities []float32
	Predicted     int
	Target        int
	Start         []float32 // the start vector at the output
	Relevance     []float32 // at the input, in the input's shape
	Diagnostics   Diagnostics
}

// Explainer computes explanations for one model. It keeps the activations
// of the last forward pass, the cached modified weights of every layer and
// all scratch buffers, so that repeated calls do not allocate. An Explainer
// is not safe for concurrent use; create one per goroutine.
type Explainer struct {
	m         *Model
	acts      [][]float32 // output of each node
	arg       [][]int32   // for MaxPool2D nodes, the input index of each output
	rel       [][]float32 // relevance at each node's output
	supp      [][]int32   // per node: where its output relevance can be nonzero, or nil (see support)
	writes    []int32     // per tensor (input first, then nodes): how many nodes passed relevance to it
	sums      []float64   // per tensor: the sum of the relevance its last writer passed
	relIn     []float32   // relevance at the model input
	w         []weights
	a         arena
	split     split     // the partner of the call in progress (ExplainSplit), or none
	fwd       pass      // the settings of the forward pass (forward)
	st        step      // the affine layer's, for its rule (layerBackward)
	ls        layerStep // the other layers', for theirs
	res       Result
	methods   map[string][]Rule // rules of the built-in composites, by name
	lo, hi    []float32
	logits    []float32
	probs     []float32
	start     []float32
	diag      []LayerDiag
	scratchX  []float32
	accum     []float32
	base      []float32 // the black image of integrated gradients and taylor
	root      []float32 // taylor's root point
	rules     []Rule
	startKind Start
	grad      *Composite      // no entries: the plain gradient at every node (gradRules)
	sized     map[string]bool // built-in methods the arena has been grown for (reserve)
	// A node's inputs, their shapes, the relevance passed to them and
	// whether it is written in place (forward, backward), as long as the
	// most inputs a node of the model has.
	ins      [][]float32
	inShapes [][]int
	dsts     [][]float32
	direct   []bool
	inSums   []float64 // every node's LayerDiag.Inputs, back to back
}

// NewExplainer returns an Explainer for m.
func NewExplainer(m *Model) *Explainer {
	e := &Explainer{m: m, w: make([]weights, len(m.Nodes))}
	e.acts = make([][]float32, len(m.Nodes))
	e.rel = make([][]float32, len(m.Nodes))
	e.arg = make([][]int32, len(m.Nodes))
	e.supp = make([][]int32, len(m.Nodes))
	for i, nd := range m.Nodes {
		e.acts[i] = make([]float32, numel(m.shapes[i]))
		e.rel[i] = make([]float32, numel(m.shapes[i]))
		if _, ok := nd.Layer.(*MaxPool2D); ok {
			e.arg[i] = make([]int32, numel(m.shapes[i]))
		}
	}
	n := m.InputLen()
	e.relIn = make([]float32, n)
	e.writes, e.sums = make([]int32, len(m.Nodes)+1), make([]float64, len(m.Nodes)+1)
	e.scratchX = make([]float32, n)
	e.accum = make([]float32, n)
	k := m.Classes()
	e.logits, e.probs, e.start = make([]float32, k), make([]float32, k), make([]float32, k)
	e.lo, e.hi = m.Bounds()
	e.diag = make([]LayerDiag, 0, len(m.Nodes))
	e.grad = &Composite{}
	e.methods = map[string][]Rule{}
	a, edges := maxInputs(m)
	e.ins, e.inShapes, e.dsts, e.direct = make([][]float32, a), make([][]int, a), make([][]float32, a), make([]bool, a)
	e.inSums = make([]float64, edges)
	return e
}

// maxInputs returns the most inputs a node of m reads, and how many all
// nodes read together.
func maxInputs(m *Model) (most, all int) {
	for _, nd := range m.Nodes {
		most, all = max(most, len(nd.Inputs)), all+len(nd.Inputs)
	}
	return most, all
}

// explainerBytes returns the bytes NewExplainer allocates for m.
func explainerBytes(m *Model) int64 {
	nodes := len(m.Nodes)
	n := alloc(int64(unsafe.Sizeof(Explainer{}))) + alloc(bytesOf[weights](nodes))
	n += 4 * alloc(bytesOf[[]float32](nodes)) // acts, rel, arg, supp
	for i, nd := range m.Nodes {
		n += 2 * alloc(bytesOf[float32](numel(m.shapes[i])))
		if _, ok := nd.Layer.(*MaxPool2D); ok {
			n += alloc(bytesOf[int32](numel(m.shapes[i])))
		}
	}
	n += 3 * alloc(bytesOf[float32](m.InputLen())) // relIn, scratchX, accum
	n += alloc(bytesOf[int32](nodes+1)) + alloc(bytesOf[float64](nodes+1))
	n += 3 * alloc(bytesOf[float32](m.Classes()))
	lo, _ := m.Bounds()
	n += 2 * alloc(bytesOf[float32](len(lo)))
	n += alloc(bytesOf[LayerDiag](nodes))
	a, edges := maxInputs(m)
	n += 2*alloc(bytesOf[[]float32](a)) + alloc(bytesOf[[]int](a)) + alloc(bytesOf[bool](a)) + alloc(bytesOf[float64](edges))
	return n + alloc(int64(unsafe.Sizeof(Composite{}))) + mapBytes
}

// mapBytes is an empty map.
const mapBytes = 48

// Model returns the explainer's model.
func (e *Explainer) Model() *Model { return e.m }

// CheckInput returns an error if x is not a valid input for the model.
func (e *Explainer) CheckInput(x []float32) error {
	if err := e.m.CheckInputLen(len(x)); err != nil {
		return err
	}
	for i, v := range x {
		if isBad(v) {
			return fmt.Errorf("lrp: input value %d is %v", i, v)
		}
	}
	return nil
}

// Forward runs the model on x and returns the logits (owned by the
// Explainer, valid until its next call).
func (e *Explainer) Forward(x []float32) ([]float32, error) {
	if err := e.CheckInput(x); err != nil {
		return nil, err
	}
	e.forward(x)
	return e.logits, nil
}

func (e *Explainer) input(i int, x []float32) []float32 {
	if i == Input {
		return x
	}
	return e.acts[i]
}

// forward runs the model on x, keeping every node's output. Its products
// are computed whole, or split with the call's partner (ExplainSplit).
func (e *Explainer) forward(x []float32) {
	m := e.m
	e.fwd = pass{split: e.split}
	for i, nd := range m.Nodes {
		n := len(nd.Inputs)
		ins, shapes := e.ins[:n], e.inShapes[:n]
		for k, j := range nd.Inputs {
			ins[k], shapes[k] = e.input(j, x), m.Shape(j)
		}
		e.a.reset()
		forwardLayer(nd.Layer, e.acts[i], e.arg[i], ins, shapes, &e.fwd, &e.a)
	}
	copy(e.logits, e.acts[len(m.Nodes)-1])
	Softmax(e.probs, e.logits)
}

// forward replays Explainer.forward for a sizer.
func (s *sizer) forward() {
	for i, nd := range s.m.Nodes {
		s.reset()
		switch l := nd.Layer.(type) {
		case *Conv2D:
			l.sizeForward(s, s.m.Shape(nd.Inputs[0]), wref{i: i}, false, false)
		case *LayerNorm:
			s.f64(2 * numel(s.m.Shape(i)) / len(l.Gamma))
		}
	}
}

// Forward runs the model on x and returns a new slice of logits. It is a
// convenience for one-off calls; use an Explainer for repeated ones.
func (m *Model) Forward(x []float32) ([]float32, error) {
	l, err := NewExplainer(m).Forward(x)
	if err != nil {
		return nil, err
	}
	return append([]float32(nil), l...), nil
}

// Softmax sets p = exp(z − m) / s, the softmax of the logits z computed in
// float64, with m = max z and s = Σ exp(z − m), and returns m and s, so
// that a caller gets log p_i = z_i − m − log s without p's rounding (the
// cross-entropy of package train).
func Softmax(p, z []float32) (m, s float64) {
	m = math.Inf(-1)
	for _, v := range z {
		m = math.Max(m, float64(v))
	}
	for _, v := range z {
		s += math.Exp(float64(v) - m)
	}
	for i, v := range z {
		p[i] = float32(math.Exp(float64(v)-m) / s)
	}
	return m, s
}

// Argmax returns the index of the largest value of v, the first of equal
// ones (0 for an empty v).
func Argmax(v []float32) int {
	b := 0
	for i, x := range v {
		if x > v[b] {
			b = i
		}
	}
	return b
}

// rulesOf resolves the composite of o into one rule per node. The rules of
// a built-in composite without parameters or overrides are kept, so that
// repeated calls do not allocate; the caller must not modify them.
func (e *Explainer) rulesOf(o *Options) ([]Rule, error) {
	cached := o.Composite == nil && len(o.Params) == 0 && len(o.Rules) == 0
	if cached {
		if r, ok := e.methods[o.Method]; ok {
			return r, nil
		}
	}
	c := o.Composite
	if c == nil {
		name := o.Method
		if name == "" {
			name = DefaultMethod
		}
		var err error
		if c, err = Builtin(name, o.Params); err != nil {
			return nil, err
		}
	}
	rules, err := c.Assign(e.m)
	if err != nil {
		return nil, err
	}
	for i, r := range o.Rules {
		if i < 0 || i >= len(rules) {
			return nil, fmt.Errorf("lrp: rule override for node %d: model has nodes 0..%d", i, len(rules)-1)
		}
		if r == nil {
			return nil, fmt.Errorf("lrp: rule override for node %d is nil", i)
		}
		if err := r.check(e.m.Nodes[i].Layer.Kind()); err != nil {
			return nil, fmt.Errorf("lrp: node %d (%s): %w", i, e.m.Nodes[i].Name, unwrapPrefix(err))
		}
		rules[i] = r
	}
	if cached {
		e.methods[o.Method] = rules
	}
	return rules, nil
}

// Explain explains the model's output for input x. The method is an LRP
// composite or a baseline (Options.Method). Bad options or input return an
// error; nothing panics on user data.
func (e *Explainer) Explain(x []float32, o Options) (*Result, error) {
	if err := e.CheckInput(x); err != nil {
		return nil, err
	}
	baseline, err := checkOptions(e.m, &o)
	if err != nil {
		return nil, err
	}
	if err := e.reserve(&o); err != nil {
		return nil, err
	}
	if baseline {
		return baselineOf(o.Method).baseline(e, x, o)
	}
	rules, err := e.rulesOf(&o)
	if err != nil {
		return nil, err
	}
	e.forward(x)
	res := e.result(&o)
	e.backward(x, rules, e.start)
	copy(e.accum, e.relIn)
	return e.finish(res), nil
}

// checkOptions returns an error for options that Explain rejects before
// it resolves the rules (those are checked by rulesOf), and whether o
// names a baseline.
func checkOptions(m *Model, o *Options) (baseline bool, err error) {
	if k, ok := o.Target.Class(); ok && (k < 0 || k >= m.Classes()) {
		return false, fmt.Errorf("lrp: target %d out of range: model has classes 0..%d", k, m.Classes()-1)
	}
	if o.Start < OneHot || o.Start > Contrastive {
		return false, fmt.Errorf("lrp: unknown start %d", int(o.Start))
	}
	if o.Samples < 0 || o.Samples > MaxSamples {
		return false, fmt.Errorf("lrp: samples %d: want 1..%d, or 0 for the default", o.Samples, MaxSamples)
	}
	if o.Steps < 0 || o.Steps > MaxSteps {
		return false, fmt.Errorf("lrp: steps %d: want 1..%d, or 0 for the default", o.Steps, MaxSteps)
	}
	if !(o.Noise >= 0 && o.Noise <= MaxNoise) {
		return false, fmt.Errorf("lrp: noise %v: want a fraction of the input range in (0, %g], or 0 for the default", o.Noise, MaxNoise)
	}
	if baselineOf(o.Method) == nil || o.Composite != nil {
		return false, nil
	}
	if len(o.Rules) > 0 || len(o.Params) > 0 {
		return false, fmt.Errorf("lrp: method %s takes no rules or composite parameters", o.Method)
	}
	return true, nil
}

// result fills the prediction part of a Result after a forward pass and
// builds the start vector.
func (e *Explainer) result(o *Options) *Result {
	pred := Argmax(e.logits)
	t := o.Target.Resolve(e.logits)
	startVector(e.start, e.logits, e.probs, t, o.Start)
	e.startKind = o.Start
	e.res = Result{Logits: e.logits, Probabilities: e.probs, Predicted: pred, Target: t, Start: e.start}
	return &e.res
}

// finish attaches the relevance in e.accum and its diagnostics to r.
func (e *Explainer) finish(r *Result) *Result {
	r.Relevance = e.accum
	d := &r.Diagnostics
	d.Layers = e.diag
	d.StartSum = sum64(e.start)
	d.InputSum = sum64(e.accum)
	var p, a float64
	for _, v := range e.accum {
		if isBad(v) {
			d.NaN = true
		}
		a += math.Abs(float64(v))
		if v > 0 { // not math.Max, a call in Go's wasm; a NaN makes a NaN and the share 0 either way
			p += float64(v)
		}
	}
	if a > 0 {
		d.PositiveShare = p / a
	}
	for _, l := range e.diag {
		d.NaN = d.NaN || l.NaN
	}
	// A finite input can still overflow float32 on its way up (3e38 in
	// every pixel): then the logits, the prediction and the start are
	// meaningless even where no relevance came out non-finite.
	for _, v := range e.logits {
		d.NaN = d.NaN || isBad(v)
	}
	d.Output = sum64(e.start)
	if e.startKind != LogOdds {
		d.Output = 0
		for k, s := range e.start {
			d.Output += float64(s) * float64(e.logits[k])
		}
	}
	d.Consistent = d.Output != 0 || a == 0
	return r
}

// sum64 returns Σ v in float64, in four partial sums (one would wait on
// the latency of every add).
func sum64(v []float32) float64 {
	if s, ok := simdSum64(v); ok {
		return s
	}
	var s0, s1, s2, s3 float64
	for len(v) >= 4 {
		p := (*[4]float32)(v)
		s0 += float64(p[0])
		s1 += float64(p[1])
		s2 += float64(p[2])
		s3 += float64(p[3])
		v = v[4:]
	}
	for _, x := range v {
		s0 += float64(x)
	}
	return (s0 + s1) + (s2 + s3)
}

// startVector fills s for target t.
func startVector(s, z, p []float32, t int, st Start) {
	clear(s)
	switch st {
	case OneHot:
		s[t] = 1
	case Logit:
		s[t] = z[t]
	case Probability:
		s[t] = p[t]
	case LogOdds:
		logOdds(s, z, t)
	case Contrastive:
		s[t] = 1
		if k := len(s); k > 1 {
			for i := range s {
				if i != t {
					s[i] = -1 / float32(k-1)
				}
			}
		}
	}
}

// logOdds writes the log-odds start vector. The log-odds of class c,
//
//	L = log(p_c/(1−p_c)) = −log Σ_{c'≠c} exp(−d_{c'}),  d_{c'} = z_c − z_{c'},
//
// is a soft-min over the logit differences. Following the neuralization of
// Kauffmann et al. (2020), L is first split over the differences by their
// soft-min weights w_{c'} = exp(−d_{c'}) / Σ exp(−d), giving L·w_{c'} to
// difference d_{c'}; each difference then passes its share to its two logits
// by LRP-0, z_c·L·w_{c'}/d_{c'} to z_c and −z_{c'}·L·w_{c'}/d_{c'} to z_{c'}
// (d stabilized as stab(d, 1e-6)). The vector sums to L (exactly, up to the
// stabilizer), so relevance is conserved from the log-odds down.
func logOdds(s, z []float32, c int) {
	k := len(z)
	if k < 2 {
		return
	}
	mn := math.Inf(1)
	for i := range z {
		if i != c {
			mn = math.Min(mn, float64(z[c])-float64(z[i]))
		}
	}
	var den float64
	for i := range z {
		if i != c {
			den += math.Exp(-(float64(z[c]) - float64(z[i]) - mn))
		}
	}
	L := mn - math.Log(den)
	var rc float64
	for i := range z {
		if i == c {
			continue
		}
		d := float64(z[c]) - float64(z[i])
		w := math.Exp(-(d - mn)) / den
		sd := float64(stab(float32(d), 1e-6))
		rc += float64(z[c]) * L * w / sd
		s[i] = float32(-float64(z[i]) * L * w / sd)
	}
	s[c] = float32(rc)
}
