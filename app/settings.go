package app

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

// What a session takes its input normalization and class names from
// (Info.Normalization, Info.LabelsFrom).
const (
	FromFile     = "file"     // the model file's
	FromImageNet = "imagenet" // ImageNet's: mean and std, or class names
	FromUser     = "custom"   // values given with Configure
	FromNone     = "none"     // no normalization
	FromIndices  = "indices"  // class names are the indices "0", "1", …
)

// Settings change what a session assumes about its model beyond the
// file: the input normalization and the class names (configure in
// docs/JS_API.md). The zero value changes nothing.
type Settings struct {
	// Normalization is "" (unchanged), "default" (the session's choice
	// at load, see Assume), "none", "imagenet" or "custom" (Mean and Std,
	// one value per input channel).
	Normalization string
	Mean, Std     []float32
	// Labels is "" (unchanged), "default" (the file's names, else what
	// Assume picks), "imagenet", "indices" or "custom": Names, or, when
	// LabelsFile is not nil, the names it holds (the bytes of a names
	// file, see ParseLabels).
	Labels     string
	Names      []string
	LabelsFile []byte
}

// MaxSettings bounds the bytes of the settings JSON (ParseSettings): a
// labels file at MaxLabelsFile, escaped, and the rest.
const MaxSettings = 2*MaxLabelsFile + 64<<10

// maxNormalization bounds |mean| and 1/std and std of a custom
// normalization, so that the zᴮ bounds (low − mean)/std stay far from
// float32's overflow.
const maxNormalization = 1e6

// maxNormalizationJSON bounds the bytes of a custom normalization's JSON:
// far more than a mean and a std for each of the channels of any input.
const maxNormalizationJSON = 64 << 10

// settingsJSON is the JSON form of Settings.
type settingsJSON struct {
	Normalization json.RawMessage `json:"normalization"`
	Labels        json.RawMessage `json:"labels"`
	LabelsFile    *string         `json:"labelsFile"`
}

// ParseSettings parses the JSON settings object of configure in
// docs/JS_API.md:
//
//	{"normalization": "default" | "none" | "imagenet" | {"mean": [...], "std": [...]},
//	 "labels": "default" | "imagenet" | "indices" | ["name", ...],
//	 "labelsFile": "the text of a names file (ParseLabels)"}
//
// Every key is optional; labels and labelsFile exclude each other. What
// fits the model (channels, classes, names) is checked by Configure.
// Errors are prefixed "app: settings: ".
func ParseSettings(data []byte) (*Settings, error) {
	if len(data) > MaxSettings {
		return nil, setErr("%d bytes, more than the %d allowed", len(data), MaxSettings)
	}
	st := &Settings{}
	if len(bytes.TrimSpace(data)) == 0 {
		return st, nil
	}
	var j *settingsJSON
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		return nil, setErr("%s", settingsMessage(err))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, setErr("unexpected data after the settings object")
	}
	if j == nil {
		return st, nil
	}
	if err := st.parseNormalization(j.Normalization); err != nil {
		return nil, err
	}
	if j.Labels != nil && j.LabelsFile != nil {
		return nil, setErr("labels and labelsFile: give one")
	}
	if j.LabelsFile != nil {
		st.Labels, st.LabelsFile = FromUser, []byte(*j.LabelsFile)
	}
	if err := st.parseLabels(j.Labels); err != nil {
		return nil, err
	}
	return st, nil
}

func (st *Settings) parseNormalization(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		switch name {
		case "default", FromNone, FromImageNet:
			st.Normalization = name
			return nil
		}
		return setErr("normalization %q: want \"default\", \"none\", \"imagenet\" or {\"mean\": [...], \"std\": [...]}", truncate(name))
	}
	if len(raw) > maxNormalizationJSON {
		return setErr("normalization: %d bytes, more than the %d allowed (one mean and one std per channel)", len(raw), maxNormalizationJSON)
	}
	var v struct {
		Mean []float64 `json:"mean"`
		Std  []float64 `json:"std"`
	}
	d := json.NewDecoder(bytes.NewReader(raw))
	d.DisallowUnknownFields()
	if err := d.Decode(&v); err != nil {
		return setErr("normalization: want \"default\", \"none\", \"imagenet\" or {\"mean\": [numbers], \"std\": [numbers]}: %s", settingsMessage(err))
	}
	if v.Mean == nil || v.Std == nil {
		return setErr("normalization: a custom normalization needs both mean and std")
	}
	st.Normalization = FromUser
	st.Mean, st.Std = float32s(v.Mean), float32s(v.Std)
	return nil
}

func (st *Settings) parseLabels(raw json.RawMessage) error {
	if isNull(raw) {
		return nil
	}
	var name string
	if err := json.Unmarshal(raw, &name); err == nil {
		switch name {
		case "default", FromImageNet, FromIndices:
			st.Labels = name
			return nil
		}
		return setErr("labels %q: want \"default\", \"imagenet\", \"indices\" or an array of names (or labelsFile, a names file's text)", truncate(name))
	}
	// An array of names is read as a names file is, one name at a time up
	// to the model's classes (Configure), not decoded whole here.
	if t := bytes.TrimSpace(raw); len(t) == 0 || t[0] != '[' {
		return setErr("labels: want \"default\", \"imagenet\", \"indices\" or an array of names")
	}
	st.Labels, st.LabelsFile = FromUser, []byte(raw)
	return nil
}

func isNull(raw json.RawMessage) bool {
	return raw == nil || string(bytes.TrimSpace(raw)) == "null"
}

// float32s converts JSON numbers to float32; one beyond float32's range
// becomes ±Inf, which checkNormalization refuses.
func float32s(v []float64) []float32 {
	out := make([]float32, len(v))
	for i, x := range v {
		out[i] = float32(x)
	}
	return out
}

func setErr(format string, args ...any) error {
	return fmt.Errorf("app: settings: "+format, args...)
}

// settingsMessage is jsonMessage for the settings' keys.
func settingsMessage(err error) string {
	const unknown = "json: unknown field "
	if s := err.Error(); strings.HasPrefix(s, unknown) {
		return fmt.Sprintf("unknown key %s (known: labels, labelsFile, normalization; in a custom normalization: mean, std)", s[len(unknown):])
	}
	return jsonMessage(err)
}

// Assumption is what a session assumes about a model whose file does not
// say: ImageNet's class names, ImageNet's normalization.
type Assumption struct {
	Labels, Normalization bool
}

// Assume returns what a session assumes for m when its file does not say
// (docs/JS_API.md, "ImageNet models"):
//
//   - class names: ImageNet's (model.ImageNetClasses) for a model with
//     1,000 classes and none in the file;
//   - normalization: ImageNet's mean and std (model.ImageNetNormalization)
//     for a model with 1,000 classes, a [3, H, W] input of at least 200
//     pixels a side in the pixel range [0, 1], and none in the file: a
//     torchvision classifier exported with torch.onnx.export, which
//     leaves the normalization to the caller.
func Assume(m *lrp.Model) Assumption {
	in := m.Input
	imagenet := m.Classes() == model.ImageNetClassCount
	return Assumption{
		Labels: imagenet && m.Labels == nil,
		Normalization: imagenet && in.Mean == nil && len(in.Shape) == 3 && in.Shape[0] == 3 &&
			in.Shape[1] >= 200 && in.Shape[2] >= 200 && in.Low == 0 && in.High == 1,
	}
}

// config is what a Session was given by its file and what it assumed, so
// that Configure can go back to it ("default").
type config struct {
	fileMean, fileStd []float32
	fileLabels        []string
	assumed           Assumption
	norm, labels      string // Info.Normalization and Info.LabelsFrom
	userNorm          bool   // the normalization was chosen with Configure
	userLabels        bool
}

// newConfig records m's own normalization and names, and sets what Assume
// picks for m.
func newConfig(m *lrp.Model) config {
	c := config{fileMean: m.Input.Mean, fileStd: m.Input.Std, fileLabels: m.Labels, assumed: Assume(m)}
	c.norm, m.Input.Mean, m.Input.Std = c.defaultNormalization()
	c.labels, m.Labels = c.defaultLabels()
	return c
}

func (c *config) defaultNormalization() (from string, mean, std []float32) {
	switch {
	case c.fileMean != nil:
		return FromFile, slices.Clone(c.fileMean), slices.Clone(c.fileStd)
	case c.assumed.Normalization:
		mean, std = model.ImageNetNormalization()
		return FromImageNet, mean, std
	}
	return FromNone, nil, nil
}

func (c *config) defaultLabels() (from string, names []string) {
	switch {
	case c.fileLabels != nil:
		return FromFile, c.fileLabels
	case c.assumed.Labels:
		return FromImageNet, model.ImageNetClasses()
	}
	return FromIndices, nil
}

// Configure changes the session's normalization and class names to st's
// (see Settings); on an error nothing changes. A new normalization gives
// new zᴮ bounds (lrp.Model.Bounds): the explainer is made anew, without
// the caches of the old one, and Info reports the new state. Errors are
// prefixed "app: settings: " or "app: labels: ".
func (s *Session) Configure(st *Settings) error {
	if st == nil {
		return nil
	}
	m, c := s.m, &s.cfg
	norm, mean, std, err := resolveNormalization(m, s.info.Name, c, st)
	if err != nil {
		return err
	}
	from, names, err := resolveLabels(m, s.info.Name, c, st)
	if err != nil {
		return err
	}
	renorm := norm != "" && (!slices.Equal(m.Input.Mean, mean) || !slices.Equal(m.Input.Std, std))
	// The session's own buffers with the new names (the packed result
	// holds them), and what it commits: without caches after a new
	// normalization. Checked before anything changes.
	old := m.Labels
	m.Labels = names
	own := weightBytes(m) + sessionBytes(m)
	m.Labels = old
	committed := s.committed - s.own + own
	if renorm {
		committed = own + s.bare
	}
	if committed > limit {
		return setErr("model %s: with these names the session needs %d MiB, more than the %d MiB allowed", s.info.Name, MiB(committed), limit>>20)
	}
	if from != "" {
		m.Labels, c.labels, c.userLabels = names, from, st.Labels != "default"
	}
	if norm != "" {
		m.Input.Mean, m.Input.Std, c.norm, c.userNorm = mean, std, norm, st.Normalization != "default"
	}
	if renorm {
		// The explainer's bounds and its zᴮ caches follow the old
		// normalization: a new explainer. The old one is dropped first,
		// so that a collection while the new one allocates can take it.
		s.e = nil
		s.e = lrp.NewExplainer(m)
		s.bare = s.e.Held()
	}
	s.own, s.committed = own, committed
	s.describe()
	return nil
}

// Apply sets m's normalization and class names as st says, checked as
// Configure checks them, with "default" for what m has: the command line
// writes them into a model file with it. On an error m is unchanged.
func Apply(m *lrp.Model, name string, st *Settings) error {
	c := &config{fileMean: m.Input.Mean, fileStd: m.Input.Std, fileLabels: m.Labels}
	norm, mean, std, err := resolveNormalization(m, name, c, st)
	if err != nil {
		return err
	}
	from, names, err := resolveLabels(m, name, c, st)
	if err != nil {
		return err
	}
	if norm != "" {
		m.Input.Mean, m.Input.Std = mean, std
	}
	if from != "" {
		m.Labels = names
	}
	return nil
}

// resolveNormalization returns the normalization st asks for of model m,
// called name in messages, checked against it, with c's default; from is
// "" when st asks for none.
func resolveNormalization(m *lrp.Model, name string, c *config, st *Settings) (from string, mean, std []float32, err error) {
	in := m.Input
	switch st.Normalization {
	case "":
		return "", nil, nil, nil
	case "default":
		from, mean, std = c.defaultNormalization()
		return from, mean, std, nil
	case FromNone:
		return FromNone, nil, nil, nil
	case FromImageNet:
		if len(in.Shape) != 3 || in.Shape[0] != 3 {
			return "", nil, nil, setErr("ImageNet's normalization needs a [3, H, W] input, model %s has %v", name, in.Shape)
		}
		mean, std = model.ImageNetNormalization()
		return FromImageNet, mean, std, nil
	case FromUser:
		if err := CheckNormalization(m, name, st.Mean, st.Std); err != nil {
			return "", nil, nil, err
		}
		return FromUser, slices.Clone(st.Mean), slices.Clone(st.Std), nil
	}
	return "", nil, nil, setErr("unknown normalization %q (known: default, none, imagenet, custom)", truncate(st.Normalization))
}

// CheckNormalization returns an error if mean and std cannot normalize
// m's input, as Configure checks them (the command line checks the values
// it writes into a file with it): one value each per channel of a
// [C, H, W] input, finite, |mean| ≤ 10⁶ and 10⁻⁶ ≤ std ≤ 10⁶.
func CheckNormalization(m *lrp.Model, name string, mean, std []float32) error {
	shape := m.Input.Shape
	if len(shape) != 3 {
		return setErr("a normalization needs a [C, H, W] input, model %s has %v", name, shape)
	}
	if len(mean) != shape[0] || len(std) != shape[0] {
		return setErr("normalization: %d means and %d stds for an input of %d channels", len(mean), len(std), shape[0])
	}
	for c := range mean {
		mu, sd := float64(mean[c]), float64(std[c])
		if !(math.Abs(mu) <= maxNormalization) || !(sd >= 1/maxNormalization && sd <= maxNormalization) {
			return setErr("normalization channel %d: mean %v, std %v: want |mean| ≤ 1e6 and 1e-6 ≤ std ≤ 1e6", c, mean[c], std[c])
		}
	}
	return nil
}

// resolveLabels returns the class names st asks for of model m, called
// name in messages (nil: the indices), and where they come from, with c's
// default; from is "" when st asks for none.
func resolveLabels(m *lrp.Model, name string, c *config, st *Settings) (from string, names []string, err error) {
	k := m.Classes()
	switch st.Labels {
	case "":
		return "", m.Labels, nil
	case "default":
		from, names = c.defaultLabels()
		return from, names, nil
	case FromImageNet:
		if k != model.ImageNetClassCount {
			return "", nil, setErr("ImageNet's class names need a model with %d classes, model %s has %d", model.ImageNetClassCount, name, k)
		}
		return FromImageNet, model.ImageNetClasses(), nil
	case FromIndices:
		return FromIndices, nil, nil
	case FromUser:
		if st.LabelsFile != nil {
			names, err = ParseLabels(st.LabelsFile, k)
		} else {
			names, err = checkLabels(st.Names, k)
		}
		if err != nil {
			return "", nil, err
		}
		return FromUser, names, nil
	}
	return "", nil, setErr("unknown labels %q (known: default, imagenet, indices, custom)", truncate(st.Labels))
}

// describe sets the Info fields that Configure changes.
func (s *Session) describe() {
	m, c, in := s.m, &s.cfg, &s.info
	in.Mean, in.Std = slices.Clone(m.Input.Mean), slices.Clone(m.Input.Std)
	in.Normalization = c.norm
	in.NormalizationAssumed = ""
	if c.norm == FromImageNet && !c.userNorm && c.fileMean == nil {
		in.NormalizationAssumed = FromImageNet
	}
	in.NormalizationDefault, _, _ = c.defaultNormalization()
	in.Bounds.Low, in.Bounds.High = m.Bounds()
	in.LabelsFrom = c.labels
	in.LabelsAssumed = ""
	if c.labels == FromImageNet && !c.userLabels && c.fileLabels == nil {
		in.LabelsAssumed = FromImageNet
	}
	in.Labels = slices.Clone(m.Labels)
	if in.Labels == nil {
		in.Labels = indexLabels(in.Classes)
	}
}

// indexLabels returns the class indices "0", "1", …, n−1: the labels of a
// model without names.
func indexLabels(n int) []string {
	labels := make([]string, n)
	for i := range labels {
		labels[i] = strconv.Itoa(i)
	}
	return labels
}
