package app

import (
	"bytes"
	"cmp"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"
	"sort"
	"strconv"

	"github.com/lrpwasm/lrp/heatmap"
	"github.com/lrpwasm/lrp/lrp"
)

// Options are the parsed options of one explain or render call.
type Options struct {
	Explain lrp.Options
	Render  heatmap.Options
}

// optionsJSON is the JSON form of Options (docs/JS_API.md). Pointers tell
// an absent key (or null) from a zero value.
type optionsJSON struct {
	Composite *string                               `json:"composite"`
	Method    *string                               `json:"method"`
	Params    map[string]float64                    `json:"params"`
	Rules     map[string]map[string]json.RawMessage `json:"rules"`
	Start     *string                               `json:"start"`
	Target    *int                                  `json:"target"`
	Colormap  *string                               `json:"colormap"`
	Symmetric *bool                                 `json:"symmetric"`
	Sign      *string                               `json:"sign"`
	Samples   *int                                  `json:"samples"`
	Noise     *float64                              `json:"noise"`
	Steps     *int                                  `json:"steps"`
	Seed      *uint64                               `json:"seed"`
}

// predictedJSON is the JSON target of the predicted class (docs/JS_API.md).
const predictedJSON = -1

// jsonTarget returns the Target of a JSON class index, predictedJSON for
// the predicted class.
func jsonTarget(k int) lrp.Target {
	if k == predictedJSON {
		return lrp.Target{}
	}
	return lrp.Class(k)
}

// defaultComposite is the engine's method when options name none.
const defaultComposite = lrp.DefaultMethod

// ParseOptions parses the JSON options object of docs/JS_API.md. Empty
// input and null give the defaults. Unknown keys, values of the wrong type
// and invalid values are errors prefixed "lrp: options: "; whether a
// composite parameter or a rule fits the model is checked by Explain.
func ParseOptions(data []byte) (*Options, error) {
	o := &Options{}
	if len(bytes.TrimSpace(data)) == 0 {
		return o, nil
	}
	var j *optionsJSON
	d := json.NewDecoder(bytes.NewReader(data))
	d.DisallowUnknownFields()
	if err := d.Decode(&j); err != nil {
		return nil, optErr("%s", jsonMessage(err))
	}
	if _, err := d.Token(); err != io.EOF {
		return nil, optErr("unexpected data after the options object")
	}
	if j == nil {
		return o, nil
	}
	e := &o.Explain
	switch {
	case j.Composite != nil && j.Method != nil && *j.Composite != *j.Method:
		return nil, optErr("composite %q and method %q disagree: give one", *j.Composite, *j.Method)
	case j.Composite != nil:
		e.Method = *j.Composite
	case j.Method != nil:
		e.Method = *j.Method
	}
	if e.Method != "" && !knownMethod(e.Method) {
		return nil, optErr("unknown composite %q (known: %v)", e.Method, lrp.Methods())
	}
	if len(j.Params) > 0 {
		e.Params = lrp.Params(j.Params)
	}
	// A composite with parameters is built and checked once, here, not on
	// every Explain with these options (a named one without is cached by
	// the Explainer).
	if name := cmp.Or(e.Method, defaultComposite); len(e.Params) > 0 && !isBaseline(name) {
		c, err := lrp.Builtin(name, e.Params)
		if err != nil {
			return nil, optErr("%s", trimPrefix(err))
		}
		e.Composite = c
	}
	if len(j.Rules) > 0 {
		e.Rules = make(map[int]lrp.Rule, len(j.Rules))
		for _, key := range sortedKeys(j.Rules) {
			i, r, err := parseRule(key, j.Rules[key])
			if err != nil {
				return nil, err
			}
			e.Rules[i] = r
		}
	}
	if j.Start != nil {
		s, err := lrp.ParseStart(*j.Start)
		if err != nil {
			return nil, optErr("%s", trimPrefix(err))
		}
		e.Start = s
	}
	if j.Target != nil {
		if *j.Target < predictedJSON {
			return nil, optErr("target %d: want a class index, or -1 for the predicted class", *j.Target)
		}
		e.Target = jsonTarget(*j.Target)
	}
	if j.Samples != nil {
		if *j.Samples < 1 || *j.Samples > lrp.MaxSamples {
			return nil, optErr("samples %d: want 1..%d", *j.Samples, lrp.MaxSamples)
		}
		e.Samples = *j.Samples
	}
	if j.Steps != nil {
		if *j.Steps < 1 || *j.Steps > lrp.MaxSteps {
			return nil, optErr("steps %d: want 1..%d", *j.Steps, lrp.MaxSteps)
		}
		e.Steps = *j.Steps
	}
	if j.Noise != nil {
		if !(*j.Noise > 0 && *j.Noise <= lrp.MaxNoise) {
			return nil, optErr("noise %v: want a fraction of the input range in (0, %g]", *j.Noise, lrp.MaxNoise)
		}
		e.Noise = *j.Noise
	}
	if j.Seed != nil {
		e.Seed = *j.Seed
	}

	r := &o.Render
	if j.Colormap != nil {
		if !contains(heatmap.ColorMapNames(), *j.Colormap) {
			return nil, optErr("unknown colormap %q (known: %v)", *j.Colormap, heatmap.ColorMapNames())
		}
		r.ColorMap = *j.Colormap
	}
	if j.Symmetric != nil && !*j.Symmetric {
		r.Scale = heatmap.MinMax
	}
	if j.Sign != nil {
		s, err := heatmap.ParseSign(*j.Sign)
		if err != nil || *j.Sign == "" {
			return nil, optErr("unknown sign %q (known: all, positive, negative)", *j.Sign)
		}
		r.Sign = s
	}
	return o, nil
}

// parseRule reads one entry of "rules": the node index and
// {"rule": name, param: number, ...}.
func parseRule(key string, fields map[string]json.RawMessage) (int, lrp.Rule, error) {
	i, err := strconv.Atoi(key)
	if err != nil || i < 0 {
		return 0, nil, optErr("rules: key %q is not a node index", key)
	}
	var name string
	if raw, ok := fields["rule"]; !ok {
		return 0, nil, optErr("rules[%d]: missing \"rule\" (a rule name, e.g. \"epsilon\")", i)
	} else if err := json.Unmarshal(raw, &name); err != nil {
		return 0, nil, optErr("rules[%d].rule: want a rule name string", i)
	}
	params := map[string]float64{}
	for _, k := range sortedKeys(fields) {
		if k == "rule" {
			continue
		}
		var v float64
		if err := json.Unmarshal(fields[k], &v); err != nil {
			return 0, nil, optErr("rules[%d].%s: want a number", i, k)
		}
		params[k] = v
	}
	r, err := lrp.NewRule(name, params)
	if err != nil {
		return 0, nil, optErr("rules[%d]: %s", i, trimPrefix(err))
	}
	spec, _ := lrp.LookupRule(name)
	known := make(map[string]bool, len(spec.Params))
	for _, p := range spec.Params {
		known[p.Name] = true
	}
	for _, k := range sortedKeys(params) {
		if !known[k] {
			return 0, nil, optErr("rules[%d]: rule %s has no parameter %q (it has %v)", i, name, k, sortedKeys(known))
		}
	}
	return i, r, nil
}

func knownMethod(name string) bool { return contains(lrp.Methods(), name) }

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func optErr(format string, args ...any) error {
	return fmt.Errorf("lrp: options: "+format, args...)
}

// trimPrefix drops the package prefix of an error from lrp or heatmap, so
// that a wrapped message names its package once.
func trimPrefix(err error) string {
	s := err.Error()
	for _, p := range []string{"lrp: ", "heatmap: "} {
		if len(s) > len(p) && s[:len(p)] == p {
			return s[len(p):]
		}
	}
	return s
}

// jsonMessage turns encoding/json's errors into messages about option keys.
func jsonMessage(err error) string {
	var te *json.UnmarshalTypeError
	var se *json.SyntaxError
	switch {
	case errors.As(err, &te):
		if te.Field != "" {
			return fmt.Sprintf("%s: got a JSON %s, want %s", te.Field, te.Value, jsonType(te.Type.Kind().String()))
		}
		return fmt.Sprintf("want an object, got a JSON %s", te.Value)
	case errors.As(err, &se):
		return fmt.Sprintf("not valid JSON at byte %d: %v", se.Offset, se)
	}
	s := err.Error()
	const unknown = "json: unknown field "
	if len(s) > len(unknown) && s[:len(unknown)] == unknown {
		return fmt.Sprintf("unknown key %s (known: %v)", s[len(unknown):], optionKeys())
	}
	return s
}

func jsonType(kind string) string {
	switch kind {
	case "int", "int64", "uint64":
		return "an integer"
	case "float64":
		return "a number"
	case "string":
		return "a string"
	case "bool":
		return "a boolean"
	case "map":
		return "an object"
	}
	return kind
}

// optionKeys lists the JSON keys of optionsJSON, sorted.
func optionKeys() []string {
	t := reflect.TypeFor[optionsJSON]()
	keys := make([]string, t.NumField())
	for i := range keys {
		keys[i] = t.Field(i).Tag.Get("json")
	}
	sort.Strings(keys)
	return keys
}
