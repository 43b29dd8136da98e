// Package parity compares the engine against reference attributions stored
// in the fixtures' format (see testdata/zennit/README.md): a folder of
// NAME.cases.json files, each with its model as NAME.onnx or
// NAME.layers.json beside it, in the folder or any folder below it. It
// compares the logits that every case file carries with the engine's, and
// the relevance of every config the file holds (none: a logits-only file,
// still a real check). It works on any such folder: other models, other
// input shapes, and arrays stored as base64 (KEY_b64, little-endian
// float32).
package parity

import (
	"encoding/base64"
	"encoding/binary"
	"encoding/json"
	"fmt"
	"io/fs"
	"math"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

// Config is how a fixture config name maps onto the engine.
type Config struct {
	Method string
	Start  lrp.Start
}

// Configs maps every fixture config name the engine knows to its method and
// start relevance. Composite parameters are the built-ins' defaults, which
// are the fixtures' values (e.g. epsilon is ε = 0.25 on every layer).
var Configs = map[string]Config{
	"gradient":                      {"gradient", lrp.OneHot},
	"gradient_x_input":              {"gradient_x_input", lrp.OneHot},
	"lrp0":                          {"lrp0", lrp.OneHot},
	"epsilon":                       {"epsilon", lrp.OneHot},
	"gamma":                         {"gamma", lrp.OneHot},
	"zplus":                         {"zplus", lrp.OneHot},
	"alpha2beta1":                   {"alpha2beta1", lrp.OneHot},
	"epsilon_gamma_box":             {"epsilon_gamma_box", lrp.OneHot},
	"epsilon_plus":                  {"epsilon_plus", lrp.OneHot},
	"epsilon_plus_flat":             {"epsilon_plus_flat", lrp.OneHot},
	"epsilon_alpha2beta1":           {"epsilon_alpha2beta1", lrp.OneHot},
	"epsilon_alpha2beta1_flat":      {"epsilon_alpha2beta1_flat", lrp.OneHot},
	"montavon":                      {"montavon", lrp.OneHot},
	"wsquare_first":                 {"wsquare_first", lrp.OneHot},
	"epsilon_gamma_box_logit":       {"epsilon_gamma_box", lrp.Logit},
	"epsilon_gamma_box_probability": {"epsilon_gamma_box", lrp.Probability},
}

// Case is one NAME.cases.json file.
type Case struct {
	Name       string
	InputShape []int
	Inputs     [][]float32
	Predicted  []int
	Logits     [][]float32
	Configs    map[string]CaseConfig
}

// CaseConfig is one reference config of a case file.
type CaseConfig struct {
	Relevance      [][]float32
	RelevanceExact [][]float32 // relevance_exact_bn_merge, when stored
}

// floats reads KEY or KEY_b64 from raw: a list of lists of numbers, or a
// list of base64 strings (or one string) of little-endian float32.
func floats(raw map[string]json.RawMessage, key string, rows int) ([][]float32, error) {
	if v, ok := raw[key]; ok {
		var out [][]float32
		if err := json.Unmarshal(v, &out); err != nil {
			return nil, fmt.Errorf("parity: %s: %w", key, err)
		}
		return out, nil
	}
	v, ok := raw[key+"_b64"]
	if !ok {
		return nil, nil
	}
	var list []string
	if err := json.Unmarshal(v, &list); err != nil {
		var one string
		if err2 := json.Unmarshal(v, &one); err2 != nil {
			return nil, fmt.Errorf("parity: %s_b64: want base64 strings: %w", key, err)
		}
		list = []string{one}
	}
	var all [][]float32
	for _, s := range list {
		b, err := base64.StdEncoding.DecodeString(s)
		if err != nil {
			return nil, fmt.Errorf("parity: %s_b64: %w", key, err)
		}
		if len(b)%4 != 0 {
			return nil, fmt.Errorf("parity: %s_b64: %d bytes is not whole float32s", key, len(b))
		}
		f := make([]float32, len(b)/4)
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[4*i:]))
		}
		all = append(all, f)
	}
	if len(all) == 1 && rows > 1 && len(all[0])%rows == 0 {
		n := len(all[0]) / rows
		flat := all[0]
		all = all[:0]
		for i := range rows {
			all = append(all, flat[i*n:(i+1)*n])
		}
	}
	return all, nil
}

// ReadCase reads a NAME.cases.json file.
func ReadCase(path string) (*Case, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var raw map[string]json.RawMessage
	if err := json.Unmarshal(data, &raw); err != nil {
		return nil, fmt.Errorf("parity: %s: %w", path, err)
	}
	c := &Case{Name: strings.TrimSuffix(filepath.Base(path), ".cases.json"), Configs: map[string]CaseConfig{}}
	if err := json.Unmarshal(raw["input_shape"], &c.InputShape); err != nil {
		return nil, fmt.Errorf("parity: %s: input_shape: %w", path, err)
	}
	if err := json.Unmarshal(raw["predicted"], &c.Predicted); err != nil {
		return nil, fmt.Errorf("parity: %s: predicted: %w", path, err)
	}
	n := len(c.Predicted)
	if c.Inputs, err = floats(raw, "inputs", n); err != nil {
		return nil, err
	}
	if c.Logits, err = floats(raw, "logits", n); err != nil {
		return nil, err
	}
	if len(c.Inputs) != n {
		return nil, fmt.Errorf("parity: %s: %d inputs for %d predictions", path, len(c.Inputs), n)
	}
	var configs map[string]map[string]json.RawMessage
	if err := json.Unmarshal(raw["configs"], &configs); err != nil {
		return nil, fmt.Errorf("parity: %s: configs: %w", path, err)
	}
	for name, cr := range configs {
		var cc CaseConfig
		if cc.Relevance, err = floats(cr, "relevance", n); err != nil {
			return nil, err
		}
		if cc.RelevanceExact, err = floats(cr, "relevance_exact_bn_merge", n); err != nil {
			return nil, err
		}
		if len(cc.Relevance) != n {
			return nil, fmt.Errorf("parity: %s: config %s has %d relevance maps for %d inputs", path, name, len(cc.Relevance), n)
		}
		c.Configs[name] = cc
	}
	return c, nil
}

// Source chooses which model file Run reads.
type Source int

// Sources: NAME.onnx when it exists (else NAME.layers.json), or
// NAME.layers.json when it exists (else NAME.onnx).
const (
	PreferONNX Source = iota
	LayersJSON
)

// LoadModel loads the model of case NAME from dir: NAME.onnx or
// NAME.layers.json, the one src prefers where both exist. It folds
// BatchNorm exactly and reports the file used.
func LoadModel(dir, name string, src Source) (*lrp.Model, string, error) {
	var m *lrp.Model
	used := name + ".onnx"
	onnx, err := os.ReadFile(filepath.Join(dir, used))
	if err != nil || src == LayersJSON {
		data, jerr := os.ReadFile(filepath.Join(dir, name+".layers.json"))
		switch {
		case jerr == nil:
			onnx, used = nil, name+".layers.json"
			if m, err = model.DecodeLayersJSON(name, data); err != nil {
				return nil, "", err
			}
		case err != nil:
			return nil, "", fmt.Errorf("parity: model of %s: %w", name, jerr)
		}
	}
	if onnx != nil {
		f, err := model.DecodeONNX(onnx)
		if err != nil {
			return nil, "", fmt.Errorf("parity: %s.onnx: %w", name, err)
		}
		m = f.Model
	}
	if _, err := m.FoldBatchNorm(); err != nil {
		return nil, "", err
	}
	return m, used, nil
}

// Line is the comparison of one (model, config), or of one model's logits.
type Line struct {
	Model, Config string  // Model: the case file's path below the folder, without .cases.json
	Source        string  // model file used
	Reference     string  // "relevance", "relevance_exact_bn_merge" or "logits"
	Err           float64 // max over inputs of max|ours − ref| / max|ref|
	Logits        bool    // the line compares the logits (Config is "logits")
	Unknown       bool    // the config name has no mapping
	Fail          error   // the engine returned an error
}

// Run compares every case in dir and the folders below it, with the
// models read as src says. It returns, per case file in path order, one
// Line for its logits, then one per config, sorted by name.
func Run(dir string, src Source) ([]Line, error) {
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err == nil && !d.IsDir() && strings.HasSuffix(p, ".cases.json") {
			paths = append(paths, p)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if len(paths) == 0 {
		return nil, fmt.Errorf("parity: no *.cases.json in %s", dir)
	}
	sort.Strings(paths)
	var lines []Line
	for _, p := range paths {
		c, err := ReadCase(p)
		if err != nil {
			return nil, err
		}
		if c.Logits == nil && len(c.Configs) == 0 {
			return nil, fmt.Errorf("parity: %s: no logits and no configs, nothing to compare", p)
		}
		m, used, err := LoadModel(filepath.Dir(p), c.Name, src)
		if err != nil {
			return nil, err
		}
		name := c.Name
		if rel, err := filepath.Rel(dir, p); err == nil {
			name = filepath.ToSlash(strings.TrimSuffix(rel, ".cases.json"))
		}
		names := make([]string, 0, len(c.Configs))
		for n := range c.Configs {
			names = append(names, n)
		}
		sort.Strings(names)
		e := lrp.NewExplainer(m)
		var ls []Line
		if c.Logits != nil {
			ls = append(ls, compareLogits(e, c, used))
		}
		for _, n := range names {
			ls = append(ls, compare(e, c, n, used))
		}
		for _, l := range ls {
			l.Model = name
			lines = append(lines, l)
		}
	}
	return lines, nil
}

// compareLogits compares the engine's logits with the case's, the
// original model's: max|ours − ref| / max|ref| per input.
func compareLogits(e *lrp.Explainer, c *Case, src string) Line {
	l := Line{Model: c.Name, Config: "logits", Source: src, Reference: "logits", Logits: true}
	if len(c.Logits) != len(c.Inputs) {
		l.Fail = fmt.Errorf("parity: %d logits for %d inputs", len(c.Logits), len(c.Inputs))
		return l
	}
	for i, x := range c.Inputs {
		z, err := e.Forward(x)
		if err != nil {
			l.Fail = err
			return l
		}
		l.Err = math.Max(l.Err, RelErr(z, c.Logits[i]))
	}
	return l
}

func compare(e *lrp.Explainer, c *Case, name, src string) Line {
	l := Line{Model: c.Name, Config: name, Source: src, Reference: "relevance"}
	cfg, ok := Configs[name]
	if !ok {
		l.Unknown = true
		return l
	}
	ref := c.Configs[name].Relevance
	if ex := c.Configs[name].RelevanceExact; ex != nil {
		ref, l.Reference = ex, "relevance_exact_bn_merge"
	}
	for i, x := range c.Inputs {
		r, err := e.Explain(x, lrp.Options{Method: cfg.Method, Start: cfg.Start, Target: lrp.Class(c.Predicted[i])})
		if err != nil {
			l.Fail = err
			return l
		}
		l.Err = math.Max(l.Err, RelErr(r.Relevance, ref[i]))
	}
	return l
}

// RelErr is max|got − want| / max|want| (NaN anywhere gives +Inf).
func RelErr(got, want []float32) float64 {
	if len(got) != len(want) {
		return math.Inf(1)
	}
	var d, m float64
	for i := range got {
		g, w := float64(got[i]), float64(want[i])
		if math.IsNaN(g) || math.IsNaN(w) {
			return math.Inf(1)
		}
		d = math.Max(d, math.Abs(g-w))
		m = math.Max(m, math.Abs(w))
	}
	if m == 0 {
		if d == 0 {
			return 0
		}
		return math.Inf(1)
	}
	return d / m
}
