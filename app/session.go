package app

import (
	"errors"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/lrpwasm/lrp/heatmap"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/preprocess"
)

// Info describes a loaded model (loadModel's result in docs/JS_API.md).
type Info struct {
	Name       string     `json:"name"`
	Format     string     `json:"format"` // "safetensors" or "onnx"
	DType      string     `json:"dtype"`  // "F16", "F32", ...
	InputShape []int      `json:"inputShape"`
	Classes    int        `json:"classes"`
	Labels     []string   `json:"labels"` // the class indices as strings when there are no names
	Layers     []Layer    `json:"layers"`
	Params     int        `json:"params"`
	PixelRange [2]float32 `json:"pixelRange"`
	Mean       []float32  `json:"mean"` // null: no normalization (see Normalization)
	Std        []float32  `json:"std"`
	// Bounds are the zᴮ rule's default bounds, per input channel: the pixel
	// range through the normalization (lrp.Model.Bounds).
	Bounds Box               `json:"bounds"`
	Card   map[string]string `json:"card"`
	Digit  bool              `json:"digit"` // 1×28×28 input: MNIST preprocessing applies
	// FoldedBatchNorm counts the BatchNorm layers merged into the layer
	// before them when the session was made (the canonizer); Layers are
	// those after folding.
	FoldedBatchNorm int `json:"foldedBatchNorm"`
	// Width and Height are the size of the heatmaps.
	Width  int `json:"width"`
	Height int `json:"height"`
	// SplitProducts is how many products of the forward pass a split
	// explanation (ExplainSplit) divides between two Workers: with none,
	// splitting does not pay.
	SplitProducts int `json:"splitProducts"`

	// LabelsFrom says where Labels come from: "file" (the model file),
	// "imagenet" (ImageNet's class names), "custom" (given with
	// Configure) or "indices".
	LabelsFrom string `json:"labelsFrom"`
	// LabelsAssumed is "imagenet" when the session gave a model with
	// 1,000 classes and no names ImageNet's (Assume), "" otherwise.
	LabelsAssumed string `json:"labelsAssumed"`
	// Normalization says where Mean and Std, which preprocessing applies
	// and the zᴮ bounds follow, come from: "file" (the model file),
	// "imagenet" (ImageNet's), "custom" (given with Configure) or "none".
	Normalization string `json:"normalization"`
	// NormalizationAssumed is "imagenet" when the session assumed
	// ImageNet's for a model whose file has none (Assume), "" otherwise.
	NormalizationAssumed string `json:"normalizationAssumed"`
	// NormalizationDefault is what Configure's "default" restores:
	// "file", "imagenet" (assumed) or "none".
	NormalizationDefault string `json:"normalizationDefault"`
}

// Box is a range per input channel, low[c] ≤ x ≤ high[c].
type Box struct {
	Low  []float32 `json:"low"`
	High []float32 `json:"high"`
}

// Layer is one node of the loaded model, as rules overrides address it.
type Layer struct {
	Index    int    `json:"index"`
	Name     string `json:"name"`
	Kind     string `json:"kind"`
	Inputs   []int  `json:"inputs"` // -1 is the model input
	OutShape []int  `json:"outShape"`
}

// A Session holds a loaded model, its Explainer and every buffer an explain
// call needs, so that repeated calls do not allocate beyond their results'
// JSON. The slices a Session returns are valid until its next call. A
// Session is not safe for concurrent use.
type Session struct {
	info Info
	m    *lrp.Model
	e    *lrp.Explainer
	pre  preprocess.Scratch

	c, h, w int         // heatmap geometry: channels summed, h×w pixels
	x       []float32   // the model input of the last call
	finite  []float32   // relevance with non-finite values drawn as zero
	text    stringsText // the JSON text of the results' strings (Result.Pack)
	heat    []uint8     // RGBA h×w
	picture []uint8     // RGBA h×w: the model input as the model saw it
	mask    []uint8     // h×w: the heatmap's opacity over the picture
	top     []Class
	res     Result
	cfg     config // normalization and names: the file's, assumed, chosen (settings.go)

	// committed bounds the bytes the session holds and may still allocate
	// for calls it does not check again (admit); own are its own buffers'
	// and its weights', bare the explainer's without caches.
	committed, own, bare int64

	// cold is set by WarmLater until the first explanation or Warm: that
	// explanation keeps no packed operand (lrp.Explainer.SetCold).
	cold bool
}

// Open loads a model file (safetensors or ONNX, see model.Load), folds its
// BatchNorm layers into the preceding convolutions or dense layers, and
// returns a Session for it.
func Open(data []byte) (*Session, error) {
	f, err := model.Load(data)
	if err != nil {
		return nil, err
	}
	return NewSession(f)
}

// NewSession returns a Session for a decoded model file. It folds the
// model's BatchNorm layers, in place, and reports the count in Info; the
// decoders of package model leave them to this step.
func NewSession(f *model.File) (*Session, error) {
	m := f.Model
	folded, err := m.FoldBatchNorm()
	if err != nil {
		return nil, err
	}
	cfg := newConfig(m) // before the explainer: its bounds follow the normalization
	if err := Check(m); err != nil {
		return nil, err
	}
	s := &Session{m: m, e: lrp.NewExplainer(m), cfg: cfg}
	s.c, s.h, s.w = geometry(m.Input.Shape)
	n := m.InputLen()
	s.x = make([]float32, n)
	s.finite = make([]float32, n)
	s.heat = make([]uint8, 4*s.h*s.w)
	s.picture = make([]uint8, 4*s.h*s.w)
	s.mask = make([]uint8, s.h*s.w)
	s.top = make([]Class, m.Classes())
	s.info = info(f, m, folded)
	s.describe()
	s.info.Width, s.info.Height = s.w, s.h
	s.info.Digit = s.c == 1 && s.h == preprocess.DigitSize && s.w == preprocess.DigitSize
	s.own, s.bare = weightBytes(m)+sessionBytes(m), s.e.Held()
	s.committed = s.own + s.bare
	return s, nil
}

// geometry returns how an input of the given shape is drawn: [C,H,W] as
// H×W; [H,W] as H×W; a flat [N] as k×k when N = k², else as one row.
func geometry(shape []int) (c, h, w int) {
	switch len(shape) {
	case 3:
		return shape[0], shape[1], shape[2]
	case 2:
		return 1, shape[0], shape[1]
	}
	n := shape[0]
	if k := int(math.Sqrt(float64(n))); k*k == n {
		return 1, k, k
	}
	return 1, 1, n
}

func info(f *model.File, m *lrp.Model, folded int) Info {
	in := Info{
		Name:            m.Name,
		Format:          f.Format,
		DType:           f.DType,
		InputShape:      slices.Clone(m.Input.Shape),
		Classes:         m.Classes(),
		Params:          m.Params(),
		SplitProducts:   m.SplitProducts(),
		PixelRange:      [2]float32{m.Input.Low, m.Input.High},
		Card:            map[string]string{},
		FoldedBatchNorm: folded,
	}
	in.Bounds.Low, in.Bounds.High = m.Bounds()
	for k, v := range f.Card {
		in.Card[k] = v
	}
	if in.Name == "" {
		in.Name = f.Card["name"]
	}
	for i, nd := range m.Nodes {
		in.Layers = append(in.Layers, Layer{
			Index:    i,
			Name:     nd.Name,
			Kind:     nd.Layer.Kind().String(),
			Inputs:   slices.Clone(nd.Inputs),
			OutShape: slices.Clone(m.Shape(i)),
		})
	}
	return in
}

// Prepare builds the caches that explaining with o (nil: the defaults)
// builds on its first call, the modified weights of the composite's rules
// (see lrp.Explainer.Prepare), so that a load can pay for them.
func (s *Session) Prepare(o *Options) error {
	if o == nil {
		o = &Options{}
	}
	need, err := s.admit(0, o.Explain)
	if err != nil {
		return err
	}
	defer s.commit(need)
	return s.e.Prepare(o.Explain)
}

// Release drops the session's caches of modified weights and packed
// operands (see lrp.Explainer.Release); it stays usable.
func (s *Session) Release() {
	s.e.Release()
	s.committed = s.e.Held() + s.own
}

// WorkingSet returns the bytes the session holds after explaining with
// the default options, its weights included (activations, relevance,
// buffers, caches): at most MemoryLimit.
func (s *Session) WorkingSet() int64 {
	need, _ := s.e.Need(lrp.Options{}) // the default options are valid
	return s.committed + need
}

// Info describes the session's model.
func (s *Session) Info() *Info { return &s.info }

// Model returns the session's model (BatchNorm folded).
func (s *Session) Model() *lrp.Model { return s.m }

// Input is what Explain explains: the model input X, or, when X is nil, an
// RGBA image (Width×Height, 8-bit, rows top to bottom) that is
// preprocessed first with Mode (see Preprocess).
type Input struct {
	X             []float32
	RGBA          []uint8
	Width, Height int
	Mode          string
}

// Class is one entry of Result.Top.
type Class struct {
	Index       int     `json:"index"`
	Label       string  `json:"label"`
	Probability float32 `json:"probability"`
	Logit       float32 `json:"logit"`
}

// Timings are the milliseconds spent in each step of Explain.
type Timings struct {
	Preprocess float64 `json:"preprocess"`
	Explain    float64 `json:"explain"`
	Render     float64 `json:"render"`
	Total      float64 `json:"total"`
}

// Result is one explanation with its heatmap. Its slices belong to the
// Session and are valid until its next call.
type Result struct {
	Logits        []float32
	Probabilities []float32
	Predicted     int
	Target        int
	Top           []Class  // every class, most probable first
	Labels        []string // the class labels by index (Top's)
	Input         []float32
	Relevance     []float32 // in the input's shape
	Heatmap       []uint8   // RGBA, Width×Height
	Picture       []uint8   // RGBA, Width×Height: Input as the model saw it (preprocess.Picture)
	Mask          []uint8   // Width×Height: the heatmap's opacity over Picture (heatmap.Mask)
	Width, Height int
	Range         [2]float32 // relevance drawn with the colormap's ends
	Diagnostics   lrp.Diagnostics
	Timings       Timings

	text *stringsText // the Session's text of the strings, for Pack
}

// Explain computes the relevance of in for o.Explain and renders it with
// o.Render. Bad input or options return an error; nothing panics on user
// data.
func (s *Session) Explain(in Input, o *Options) (*Result, error) {
	return s.explain(in, o, 0, nil)
}

// ExplainSplit is Explain computed together with another Session of the
// same model (in another Worker), which makes the same call with the
// other part; p connects the two (lrp.Explainer.ExplainSplit). Both get
// Explain's result.
func (s *Session) ExplainSplit(in Input, o *Options, part int, p lrp.Partner) (*Result, error) {
	if p == nil {
		return nil, errors.New("lrp: a split explanation needs a partner")
	}
	return s.explain(in, o, part, p)
}

// explain is Explain, split with partner p when p is not nil.
func (s *Session) explain(in Input, o *Options, part int, p lrp.Partner) (*Result, error) {
	if o == nil {
		o = &Options{}
	}
	// The monotonic clock alone (time.Since of a time.Now taken once): in
	// wasm each reading is a call into JavaScript, and time.Now makes two.
	t0 := time.Since(clockBase)
	cold := s.cold // the first explanation after WarmLater
	if cold {
		s.cold = false
		s.e.SetCold(true)
	}
	need, err := s.admit(s.imageBytes(in), o.Explain)
	if err == nil {
		err = s.input(in)
	}
	if err != nil {
		s.e.SetCold(false)
		return nil, err
	}
	defer s.commit(need)
	if cold {
		defer s.e.SetCold(false) // before commit: Pending counts what the next call keeps
	}
	d1 := time.Since(clockBase) - t0
	var r *lrp.Result
	if p != nil {
		r, err = s.e.ExplainSplit(s.x, o.Explain, part, p)
	} else {
		r, err = s.e.Explain(s.x, o.Explain)
	}
	if err != nil {
		return nil, err
	}
	d2 := time.Since(clockBase) - t0
	lo, hi, err := s.render(r.Relevance, o.Render)
	if err != nil {
		return nil, err
	}
	spec := s.m.Input
	if err := preprocess.Picture(s.picture, s.x, s.c, s.h, s.w, spec.Mean, spec.Std, spec.Low, spec.High); err != nil {
		return nil, err
	}
	d3 := time.Since(clockBase) - t0

	// The classes by probability, then index. Up to 12 classes by
	// insertion, as slices.SortFunc sorts so few (the same order, with or
	// without NaN), without its call of the comparison per pair.
	for i := range s.top {
		s.top[i] = Class{i, s.info.Labels[i], r.Probabilities[i], r.Logits[i]}
	}
	if len(s.top) <= 12 {
		for i := 1; i < len(s.top); i++ {
			for j := i; j > 0 && before(s.top[j], s.top[j-1]); j-- {
				s.top[j], s.top[j-1] = s.top[j-1], s.top[j]
			}
		}
	} else {
		slices.SortFunc(s.top, func(a, b Class) int {
			if before(a, b) {
				return -1
			}
			return 1
		})
	}

	s.res = Result{
		Logits: r.Logits, Probabilities: r.Probabilities,
		Predicted: r.Predicted, Target: r.Target, Top: s.top, Labels: s.info.Labels,
		Input: s.x, Relevance: r.Relevance,
		Heatmap: s.heat, Picture: s.picture, Mask: s.mask, Width: s.w, Height: s.h, Range: [2]float32{lo, hi},
		Diagnostics: r.Diagnostics,
		Timings:     Timings{ms(d1), ms(d2 - d1), ms(d3 - d2), ms(d3)},
		text:        &s.text,
	}
	return &s.res, nil
}

// before reports whether a comes before b in a Result's Top: by
// probability, the largest first, then by index.
func before(a, b Class) bool {
	if a.Probability != b.Probability {
		return a.Probability > b.Probability
	}
	return a.Index < b.Index
}

func ms(d time.Duration) float64 { return float64(d) / 1e6 }

// clockBase is the instant explain's timings are read from.
var clockBase = time.Now()

// input sets s.x to the model input of in: its X, checked, or its RGBA
// image preprocessed.
func (s *Session) input(in Input) error {
	if in.X != nil {
		if err := s.e.CheckInput(in.X); err != nil {
			return err
		}
		copy(s.x, in.X)
		return nil
	}
	_, err := s.Preprocess(in.RGBA, in.Width, in.Height, in.Mode)
	return err
}

// Preprocess turns an RGBA image (width×height) into the model input and
// returns it (owned by the Session). Mode "digit" is MNIST's preprocessing
// (preprocess.Digit) for 1×28×28 models, mapped to the model's pixel range
// and normalization; "image" resizes and centre-crops to the input size and
// normalizes per channel (preprocess.Image); "" is digit for digit models
// and image otherwise. An image too large for MemoryLimit is refused.
func (s *Session) Preprocess(rgba []uint8, width, height int, mode string) ([]float32, error) {
	mode, err := s.mode(mode)
	if err != nil {
		return nil, err
	}
	if err := s.fits(0, s.imageBytes(Input{Width: width, Height: height})); err != nil {
		return nil, err
	}
	in := s.m.Input
	switch mode {
	case "digit":
		if err := s.pre.Digit(s.x, rgba, width, height); err != nil {
			return nil, err
		}
		a, b := in.High-in.Low, in.Low
		if in.Mean != nil {
			a, b = a/in.Std[0], (b-in.Mean[0])/in.Std[0]
		}
		for i, v := range s.x {
			s.x[i] = v*a + b
		}
	case "image":
		if err := s.pre.Image(s.x, rgba, width, height, s.c, s.h, s.w, in.Mean, in.Std, in.Low, in.High); err != nil {
			return nil, err
		}
	}
	return s.x, nil
}

// mode returns the preprocessing mode that Preprocess uses for mode (""
// picks one for the model), or an error if the model cannot take it.
func (s *Session) mode(mode string) (string, error) {
	if mode == "" {
		mode = "image"
		if s.info.Digit {
			mode = "digit"
		}
	}
	switch mode {
	case "digit":
		if !s.info.Digit {
			return "", fmt.Errorf("preprocess: mode digit needs a 1×28×28 model input, model %s has %v", s.info.Name, s.m.Input.Shape)
		}
	case "image":
		if s.c != 1 && s.c != 3 {
			return "", fmt.Errorf("preprocess: mode image needs 1 or 3 input channels, model %s has %v", s.info.Name, s.m.Input.Shape)
		}
	default:
		return "", fmt.Errorf("preprocess: unknown mode %q (known: digit, image)", mode)
	}
	return mode, nil
}

// Rendered is a heatmap drawn by Render, with its mask (Result.Mask). Its
// slices belong to the Session.
type Rendered struct {
	Heatmap, Mask []uint8
	Width, Height int
	Range         [2]float32
}

// Render draws a relevance map of the model's input shape with o.Render,
// without recomputing it.
func (s *Session) Render(rel []float32, o *Options) (*Rendered, error) {
	if len(rel) != len(s.x) {
		return nil, fmt.Errorf("heatmap: relevance has %d values, model %s input has %d (shape %v)", len(rel), s.info.Name, len(s.x), s.m.Input.Shape)
	}
	var ro heatmap.Options
	if o != nil {
		ro = o.Render
	}
	lo, hi, err := s.render(rel, ro)
	if err != nil {
		return nil, err
	}
	return &Rendered{s.heat, s.mask, s.w, s.h, [2]float32{lo, hi}}, nil
}

// render draws rel into s.heat and its mask into s.mask; NaN and ±Inf are
// drawn as zero relevance (Diagnostics.NaN reports them). heatmap.Draw
// refuses them, so they are looked for only when it fails: a finite map,
// the usual one, is read twice (Draw's passes), not three times.
func (s *Session) render(rel []float32, o heatmap.Options) (lo, hi float32, err error) {
	lo, hi, err = heatmap.Draw(s.heat, s.mask, rel, s.c, s.h, s.w, o)
	if err == nil || !slices.ContainsFunc(rel, isBad) {
		return lo, hi, err
	}
	for i, v := range rel {
		s.finite[i] = v
		if isBad(v) {
			s.finite[i] = 0
		}
	}
	return heatmap.Draw(s.heat, s.mask, s.finite, s.c, s.h, s.w, o)
}

func isBad(v float32) bool { return v != v || v > math.MaxFloat32 || v < -math.MaxFloat32 }
