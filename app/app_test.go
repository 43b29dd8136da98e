package app

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"math"
	"os"
	"slices"
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/parity"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func open(t testing.TB, name string) *Session {
	t.Helper()
	s, err := Open(refdata.Read(t, name+".onnx"))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return s
}

func readCase(t testing.TB, name string) *parity.Case {
	t.Helper()
	c, err := parity.ReadCase(refdata.Path(t, name+".cases.json"))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func options(t testing.TB, js string) *Options {
	t.Helper()
	o, err := ParseOptions([]byte(js))
	if err != nil {
		t.Fatalf("ParseOptions(%s): %v", js, err)
	}
	return o
}

// configOptions is the options JSON of a fixture config, as the page and the
// Node tests write it.
func configOptions(cfg parity.Config, target int) string {
	b, _ := json.Marshal(map[string]any{"composite": cfg.Method, "start": cfg.Start.String(), "target": target})
	return string(b)
}

// TestFixtureParity runs every config of every fixture through a Session
// with JSON options and requires (1) exactly the engine's own relevance and
// (2) Zennit's within 1e-5 of max|ref|.
func TestFixtureParity(t *testing.T) {
	for _, name := range []string{"mlp", "cnn", "cnn_bn"} {
		s := open(t, name)
		c := readCase(t, name)
		ref := lrp.NewExplainer(s.Model())
		for _, cfgName := range sortedKeys(c.Configs) {
			cfg, ok := parity.Configs[cfgName]
			if !ok {
				t.Errorf("%s/%s: config not in parity.Configs", name, cfgName)
				continue
			}
			want := c.Configs[cfgName].Relevance
			if ex := c.Configs[cfgName].RelevanceExact; ex != nil {
				want = ex
			}
			var worst float64
			for i, x := range c.Inputs {
				r, err := s.Explain(Input{X: x}, options(t, configOptions(cfg, c.Predicted[i])))
				if err != nil {
					t.Fatalf("%s/%s input %d: %v", name, cfgName, i, err)
				}
				direct, err := ref.Explain(x, lrp.Options{Method: cfg.Method, Start: cfg.Start, Target: lrp.Class(c.Predicted[i])})
				if err != nil {
					t.Fatal(err)
				}
				if !slices.Equal(r.Relevance, direct.Relevance) {
					t.Errorf("%s/%s input %d: session relevance differs from the engine's", name, cfgName, i)
				}
				if r.Predicted != c.Predicted[i] || r.Target != c.Predicted[i] {
					t.Errorf("%s/%s input %d: predicted %d target %d, want %d", name, cfgName, i, r.Predicted, r.Target, c.Predicted[i])
				}
				worst = math.Max(worst, parity.RelErr(r.Relevance, want[i]))
			}
			if !(worst <= 1e-5) {
				t.Errorf("%s/%s: max rel diff to Zennit %.3g, want ≤ 1e-5", name, cfgName, worst)
			}
		}
	}
}

func TestInfo(t *testing.T) {
	s := open(t, "cnn")
	in := s.Info()
	if in.Format != "onnx" || !slices.Equal(in.InputShape, []int{1, 28, 28}) || in.Classes != 10 || !in.Digit ||
		in.Width != 28 || in.Height != 28 || len(in.Labels) != 10 || in.Labels[3] != "3" || in.Params == 0 {
		t.Errorf("info %+v", in)
	}
	var kinds []string
	for i, l := range in.Layers {
		if l.Index != i {
			t.Errorf("layer %d has index %d", i, l.Index)
		}
		kinds = append(kinds, l.Kind)
	}
	want := []string{"conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten", "dense", "relu", "dense"}
	if !slices.Equal(kinds, want) {
		t.Errorf("layer kinds %v, want %v", kinds, want)
	}
	b, err := json.Marshal(in)
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range []string{`"inputShape":[1,28,28]`, `"pixelRange":[0,1]`, `"mean":null`, `"digit":true`, `"outShape":[10]`, `"inputs":[-1]`} {
		if !strings.Contains(string(b), key) {
			t.Errorf("info JSON lacks %s: %s", key, b)
		}
	}
}

func TestOpenErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		data []byte
		want string
	}{
		{"empty", nil, "model: invalid format at byte 0: empty file"},
		{"garbage", []byte("this is not a model file at all"), "neither a safetensors file"},
		{"truncated onnx", refdata.Read(t, "cnn.onnx")[:1000], "model: "},
		{"safetensors header only", []byte("\x02\x00\x00\x00\x00\x00\x00\x00{}"), "model: "},
	} {
		_, err := Open(tc.data)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: error %v, want %q", tc.name, err, tc.want)
		}
	}
}

func TestLoadSafetensors(t *testing.T) {
	data := readFile(t, "../model/testdata/safetensors/valid-cnn-f16.safetensors")
	s, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().Format != "safetensors" || s.Info().DType != "F16" {
		t.Errorf("format %q dtype %q", s.Info().Format, s.Info().DType)
	}
	x := make([]float32, s.Model().InputLen())
	for i := range x {
		x[i] = float32(i%5) / 5
	}
	if _, err := s.Explain(Input{X: x}, nil); err != nil {
		t.Fatal(err)
	}
}

func TestParseOptions(t *testing.T) {
	o := options(t, "")
	if o.Explain.Method != "" || o.Explain.Target != (lrp.Target{}) || o.Render.ColorMap != "" {
		t.Errorf("defaults %+v", o)
	}
	o = options(t, `null`)
	if o.Explain.Target != (lrp.Target{}) {
		t.Errorf("null: %+v", o)
	}
	o = options(t, `{"method":"epsilon","params":{"epsilon":0.1},"rules":{"3":{"rule":"gamma","gamma":0.5},"0":{"rule":"zbox","low":-1,"high":2}},
		"start":"logit","target":4,"colormap":"coldnhot","symmetric":false,"sign":"positive","samples":8,"noise":0.2,"steps":5,"seed":7}`)
	e := o.Explain
	if e.Method != "epsilon" || e.Params["epsilon"] != 0.1 || e.Start != lrp.Logit || e.Target != lrp.Class(4) ||
		e.Samples != 8 || e.Noise != 0.2 || e.Steps != 5 || e.Seed != 7 {
		t.Errorf("explain options %+v", e)
	}
	if g, ok := e.Rules[3].(lrp.Gamma); !ok || g.Gamma != 0.5 {
		t.Errorf("rule 3 = %#v", e.Rules[3])
	}
	if z, ok := e.Rules[0].(lrp.ZBox); !ok || z.Low[0] != -1 || z.High[0] != 2 {
		t.Errorf("rule 0 = %#v", e.Rules[0])
	}
	if r := o.Render; r.ColorMap != "coldnhot" || r.Scale.String() != "minmax" || r.Sign.String() != "positive" {
		t.Errorf("render options %+v", r)
	}
	if o := options(t, `{"composite":"zplus","method":"zplus"}`); o.Explain.Method != "zplus" {
		t.Errorf("alias: %q", o.Explain.Method)
	}

	for _, tc := range []struct{ js, want string }{
		{`{"composit":"epsilon"}`, `unknown key "composit"`},
		{`{"composite":"nope"}`, `unknown composite "nope"`},
		{`{"composite":"epsilon","method":"gamma"}`, `disagree`},
		{`{"composite":3}`, `composite: got a JSON number, want a string`},
		{`{"target":1.5}`, `target: got a JSON number 1.5, want an integer`},
		{`{"target":-2}`, `target -2`},
		{`{"start":"softmaxx"}`, `unknown start "softmaxx"`},
		{`{"colormap":"jet"}`, `unknown colormap "jet"`},
		{`{"sign":"both"}`, `unknown sign "both"`},
		{`{"sign":""}`, `unknown sign ""`},
		{`{"symmetric":"yes"}`, `symmetric: got a JSON string`},
		{`{"samples":0}`, `samples 0`},
		{`{"steps":100000}`, `steps 100000`},
		{`{"noise":-1}`, `noise -1`},
		{`{"seed":-1}`, `seed: got a JSON number -1`},
		{`{"params":{"epsilon":"big"}}`, `params: got a JSON string`},
		{`{"rules":{"x":{"rule":"epsilon"}}}`, `key "x" is not a node index`},
		{`{"rules":{"-1":{"rule":"epsilon"}}}`, `key "-1" is not a node index`},
		{`{"rules":{"1":{"epsilon":0.1}}}`, `rules[1]: missing "rule"`},
		{`{"rules":{"1":{"rule":5}}}`, `rules[1].rule: want a rule name`},
		{`{"rules":{"1":{"rule":"epsilon","epsilon":"x"}}}`, `rules[1].epsilon: want a number`},
		{`{"rules":{"1":{"rule":"epsilon","gamma":1}}}`, `rule epsilon has no parameter "gamma"`},
		{`{"rules":{"1":{"rule":"epsilon","epsilon":-1}}}`, `epsilon must be ≥ 0`},
		{`{"rules":{"1":{"rule":"alphabeta","alpha":3,"beta":1}}}`, `α − β = 1`},
		{`{"rules":{"1":{"rule":"magic"}}}`, `unknown rule "magic"`},
		{`{"composite":"alpha2beta1","params":{"alpha":3,"beta":1}}`, "α − β = 1"},
		{`{"composite":"epsilon","params":{"epsilon":-0.5}}`, "epsilon must be ≥ 0"},
		{`{"composite":"epsilon","params":{"gamma2":1}}`, `unknown composite parameter "gamma2"`},
		{`{"params":{"gamma":-1}}`, "gamma must be ≥ 0"},
		{`[1,2]`, `want an object, got a JSON array`},
		{`{"target":1} {}`, `unexpected data after the options object`},
		{`{"target":`, `options: unexpected EOF`},
		{`{target:1}`, `not valid JSON`},
	} {
		_, err := ParseOptions([]byte(tc.js))
		if err == nil || !strings.HasPrefix(err.Error(), "lrp: options: ") || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseOptions(%s): error %v, want one containing %q", tc.js, err, tc.want)
		}
	}
}

// TestExplainErrors covers the errors that need the model: every one is a
// clean error and the session keeps working.
func TestExplainErrors(t *testing.T) {
	s := open(t, "cnn")
	x := readCase(t, "cnn").Inputs[0]
	nan := slices.Clone(x)
	nan[5] = float32(math.NaN())
	inf := slices.Clone(x)
	inf[7] = float32(math.Inf(-1))
	for _, tc := range []struct {
		in   Input
		opt  string
		want string
	}{
		{Input{X: x[:100]}, `{}`, "lrp: input has 100 values, model"},
		{Input{X: []float32{}}, `{}`, "lrp: input has 0 values"},
		{Input{X: nan}, `{}`, "lrp: input value 5 is NaN"},
		{Input{X: inf}, `{}`, "lrp: input value 7 is -Inf"},
		{Input{X: x}, `{"target":10}`, "lrp: target 10 out of range"},
		{Input{X: x}, `{"rules":{"10":{"rule":"epsilon"}}}`, "rule override for node 10"},
		{Input{X: x}, `{"rules":{"1":{"rule":"epsilon"}}}`, "rule epsilon applies to dense and conv2d layers, not relu"},
		{Input{X: x}, `{"composite":"gradient_x_input","params":{"epsilon":1}}`, "takes no rules or composite parameters"},
		{Input{RGBA: make([]uint8, 10), Width: 2, Height: 2}, `{}`, "preprocess: "},
		{Input{RGBA: make([]uint8, 16), Width: 2, Height: 2, Mode: "sketch"}, `{}`, `preprocess: unknown mode "sketch"`},
		{Input{}, `{}`, "preprocess: "},
	} {
		_, err := s.Explain(tc.in, options(t, tc.opt))
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Explain(%s): error %v, want %q", tc.opt, err, tc.want)
		}
		if _, err := s.Explain(Input{X: x}, nil); err != nil {
			t.Fatalf("after %q: %v", tc.want, err)
		}
	}
}

// TestDefaults: no options is the engine's default method and the
// predicted class; a composite given by name is the engine's built-in.
func TestDefaults(t *testing.T) {
	s := open(t, "cnn")
	x := readCase(t, "cnn").Inputs[2]
	e := lrp.NewExplainer(s.Model())
	for _, tc := range []struct {
		js  string
		opt lrp.Options
	}{
		{``, lrp.Options{}},
		{`{"composite":"montavon","target":4}`, lrp.Options{Method: "montavon", Target: lrp.Class(4)}},
		{`{"composite":"epsilon","params":{"epsilon":0.5}}`, lrp.Options{Method: "epsilon", Params: lrp.Params{"epsilon": 0.5}}},
		{`{"composite":"gradient"}`, lrp.Options{Method: "gradient"}},
		{`{"composite":"smoothgrad","samples":4,"seed":3}`, lrp.Options{Method: "smoothgrad", Samples: 4, Seed: 3}},
	} {
		got, err := s.Explain(Input{X: x}, options(t, tc.js))
		if err != nil {
			t.Fatal(err)
		}
		want, err := e.Explain(x, tc.opt)
		if err != nil {
			t.Fatal(err)
		}
		if !slices.Equal(got.Relevance, want.Relevance) {
			t.Errorf("%s: relevance differs from the engine's with %+v", tc.js, tc.opt)
		}
	}
}

func TestExplainResult(t *testing.T) {
	s := open(t, "cnn")
	c := readCase(t, "cnn")
	r, err := s.Explain(Input{X: c.Inputs[3]}, options(t, `{"composite":"epsilon_gamma_box","target":5,"colormap":"gray"}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Predicted != 3 || r.Target != 5 || len(r.Logits) != 10 || len(r.Probabilities) != 10 ||
		len(r.Relevance) != 784 || len(r.Heatmap) != 4*784 || r.Width != 28 || r.Height != 28 {
		t.Fatalf("result %d %d %d %d %d %d %dx%d", r.Predicted, r.Target, len(r.Logits), len(r.Probabilities), len(r.Relevance), len(r.Heatmap), r.Width, r.Height)
	}
	if !slices.Equal(r.Input, c.Inputs[3]) {
		t.Error("input not echoed")
	}
	if r.Top[0].Index != 3 || len(r.Top) != 10 {
		t.Errorf("top %+v", r.Top)
	}
	for i := 1; i < len(r.Top); i++ {
		if r.Top[i].Probability > r.Top[i-1].Probability {
			t.Errorf("top not sorted at %d: %+v", i, r.Top)
		}
	}
	var m float32
	for _, v := range r.Relevance {
		m = max(m, float32(math.Abs(float64(v))))
	}
	if r.Range != [2]float32{-m, m} {
		t.Errorf("range %v, want ±%v", r.Range, m)
	}
	meta := r.Meta()
	var j map[string]any
	if err := json.Unmarshal(meta, &j); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"predicted", "target", "top", "width", "height", "range", "diagnostics", "timings"} {
		if _, ok := j[k]; !ok {
			t.Errorf("meta lacks %q: %s", k, meta)
		}
	}
	d := j["diagnostics"].(map[string]any)
	// The hand-written JSON has every field the engine's own JSON names.
	engineJSON, err := json.Marshal(r.Diagnostics)
	if err != nil {
		t.Fatal(err)
	}
	var ed map[string]any
	json.Unmarshal(engineJSON, &ed)
	for k := range ed {
		if _, ok := d[k]; !ok {
			t.Errorf("diagnostics lack %q", k)
		}
	}
	if d["output"].(float64) != float64(float32(r.Logits[5])) && math.Abs(d["output"].(float64)-float64(r.Logits[5])) > 1e-5 {
		t.Errorf("output %v, target logit %v", d["output"], r.Logits[5])
	}
	if layers := d["layers"].([]any); len(layers) != 10 || layers[0].(map[string]any)["rule"] != "epsilon" {
		t.Errorf("diagnostics layers %v", layers)
	}
	if tm := j["timings"].(map[string]any); !(tm["total"].(float64) >= tm["explain"].(float64)) {
		t.Errorf("timings %v", tm)
	}
}

// TestNaNRelevance: ε = 0 on a zero input with zero biases divides 0 by 0.
// The explanation still returns, NaN is flagged and encoded as null, and
// the heatmap draws it as zero.
func TestNaNRelevance(t *testing.T) {
	in := lrp.InputSpec{Shape: []int{4}, Low: 0, High: 1}
	m, err := lrp.NewModel("zero", in, []lrp.Node{
		{Name: "fc", Layer: &lrp.Dense{In: 4, Out: 2, W: []float32{1, 2, 3, 4, 5, 6, 7, 8}, B: make([]float32, 2)}, Inputs: []int{lrp.Input}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	s, err := NewSession(&model.File{Model: m, Format: "test"})
	if err != nil {
		t.Fatal(err)
	}
	r, err := s.Explain(Input{X: make([]float32, 4)}, options(t, `{"composite":"epsilon","params":{"epsilon":0},"target":0}`))
	if err != nil {
		t.Fatal(err)
	}
	if !r.Diagnostics.NaN {
		t.Fatalf("no NaN flagged: relevance %v", r.Relevance)
	}
	meta := r.Meta()
	if !json.Valid(meta) || !strings.Contains(string(meta), `"nan":true`) || !strings.Contains(string(meta), `null`) {
		t.Errorf("meta %s", meta)
	}
	if r.Width != 2 || r.Height != 2 || r.Heatmap[3] != 255 || r.Range != [2]float32{0, 0} {
		t.Errorf("heatmap %dx%d %v range %v", r.Width, r.Height, r.Heatmap[:4], r.Range)
	}
}

func TestAppendFloat(t *testing.T) {
	var b []byte
	for _, f := range []float64{math.NaN(), math.Inf(1), 1e-6, 0.1, math.Inf(-1), -0, 1e300} {
		b = append(appendFloat(b, f, 64), ' ')
	}
	b = appendFloat(b, float64(float32(0.1)), 32)
	if string(b) != "null null 1e-06 0.1 null 0 1e+300 0.1" {
		t.Errorf("%s", b)
	}
}

// TestAppendString checks the hand-written JSON strings against
// encoding/json: both decode to the same string.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\n\x00\x1f", "é ü 漢字 🙂", "bad \xff\xfe utf8 \xe2\x82", "<html>&", "\u2028"} {
		got := appendString(nil, s)
		var dec string
		if err := json.Unmarshal(got, &dec); err != nil {
			t.Errorf("%q: %s is not JSON: %v", s, got, err)
			continue
		}
		want, _ := json.Marshal(s)
		var wantDec string
		json.Unmarshal(want, &wantDec)
		if dec != wantDec {
			t.Errorf("%q: decodes to %q, encoding/json's to %q", s, dec, wantDec)
		}
	}
}

// TestMetaAllocs: with a reused buffer, encoding a result allocates nothing.
func TestMetaAllocs(t *testing.T) {
	s := open(t, "cnn")
	r, err := s.Explain(Input{X: readCase(t, "cnn").Inputs[0]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	buf := r.AppendMeta(nil)
	if n := testing.AllocsPerRun(20, func() { buf = r.AppendMeta(buf[:0]) }); n != 0 {
		t.Errorf("%v allocations", n)
	}
}

// digitCanvas draws a black "7" on a white 100×100 canvas.
func digitCanvas() []uint8 {
	const w = 100
	pix := make([]uint8, 4*w*w)
	for i := range pix {
		pix[i] = 255
	}
	set := func(x, y int) {
		for dy := range 6 {
			for dx := range 6 {
				i := 4 * ((y+dy)*w + x + dx)
				pix[i], pix[i+1], pix[i+2] = 0, 0, 0
			}
		}
	}
	for x := 20; x < 75; x++ {
		set(x, 15)
	}
	for k := range 65 {
		set(75-k/2, 15+k)
	}
	return pix
}

func TestPreprocessDigit(t *testing.T) {
	s := open(t, "cnn")
	x, err := s.Preprocess(digitCanvas(), 100, 100, "")
	if err != nil {
		t.Fatal(err)
	}
	var mx float32
	for _, v := range x {
		if v < 0 || v > 1 {
			t.Fatalf("value %v outside [0, 1]", v)
		}
		mx = max(mx, v)
	}
	if mx != 1 {
		t.Errorf("max ink %v, want 1", mx)
	}
	r, err := s.Explain(Input{RGBA: digitCanvas(), Width: 100, Height: 100}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if r.Predicted != 7 {
		t.Errorf("drawn 7 classified as %d (top %+v)", r.Predicted, r.Top[:3])
	}
	// mode image on the same model: a plain resize, no centring.
	if _, err := s.Preprocess(digitCanvas(), 100, 100, "image"); err != nil {
		t.Error(err)
	}
}

// TestPreprocessNormalized: a digit model with a pixel range and a
// normalization gets digit input mapped through both.
func TestPreprocessNormalized(t *testing.T) {
	in := lrp.InputSpec{Shape: []int{1, 28, 28}, Low: 0, High: 255, Mean: []float32{10}, Std: []float32{2}}
	m, err := lrp.NewModel("norm", in, []lrp.Node{
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{lrp.Input}},
		{Name: "fc", Layer: &lrp.Dense{In: 784, Out: 2, W: make([]float32, 1568), B: make([]float32, 2)}, Inputs: []int{0}},
	}, []string{"a", "b"})
	if err != nil {
		t.Fatal(err)
	}
	data, err := model.EncodeSafetensors(m, map[string]string{"description": "test"}, "F32")
	if err != nil {
		t.Fatal(err)
	}
	s, err := Open(data)
	if err != nil {
		t.Fatal(err)
	}
	if s.Info().Labels[1] != "b" || s.Info().Card["description"] != "test" {
		t.Errorf("info %+v", s.Info())
	}
	x, err := s.Preprocess(digitCanvas(), 100, 100, "digit")
	if err != nil {
		t.Fatal(err)
	}
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	if lo != -5 || hi != (255-10)/2. {
		t.Errorf("range [%v, %v], want [-5, 122.5]", lo, hi)
	}
}

func TestPreprocessErrors(t *testing.T) {
	s := open(t, "cnn")
	for _, tc := range []struct {
		rgba       []uint8
		w, h       int
		mode, want string
	}{
		{make([]uint8, 15), 2, 2, "", "preprocess: "},
		{make([]uint8, 16), 0, 4, "digit", "preprocess: "},
		{make([]uint8, 16), -2, -2, "image", "preprocess: "},
		{make([]uint8, 16), 2, 2, "photo", `unknown mode "photo"`},
	} {
		if _, err := s.Preprocess(tc.rgba, tc.w, tc.h, tc.mode); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Preprocess(%d bytes, %d×%d, %q): %v, want %q", len(tc.rgba), tc.w, tc.h, tc.mode, err, tc.want)
		}
	}
	// A 3-channel model refuses digit mode.
	in := lrp.InputSpec{Shape: []int{3, 4, 4}, Low: 0, High: 1}
	m, err := lrp.NewModel("rgb", in, []lrp.Node{
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{lrp.Input}},
		{Name: "fc", Layer: &lrp.Dense{In: 48, Out: 2, W: make([]float32, 96), B: make([]float32, 2)}, Inputs: []int{0}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	rs, err := NewSession(&model.File{Model: m, Format: "test"})
	if err != nil {
		t.Fatal(err)
	}
	if rs.Info().Digit {
		t.Error("3×4×4 model is not a digit model")
	}
	if _, err := rs.Preprocess(make([]uint8, 64), 4, 4, "digit"); err == nil || !strings.Contains(err.Error(), "mode digit needs") {
		t.Errorf("digit on rgb: %v", err)
	}
	x, err := rs.Preprocess(make([]uint8, 4*6*8), 6, 8, "")
	if err != nil || len(x) != 48 {
		t.Errorf("image mode default: %v, %d values", err, len(x))
	}
}

func TestRender(t *testing.T) {
	s := open(t, "cnn")
	rel := make([]float32, 784)
	rel[0], rel[1], rel[2] = 2, -1, float32(math.NaN())
	r, err := s.Render(rel, options(t, `{"colormap":"gray","symmetric":false}`))
	if err != nil {
		t.Fatal(err)
	}
	if r.Width != 28 || r.Height != 28 || r.Range != [2]float32{-1, 2} {
		t.Errorf("render %dx%d range %v", r.Width, r.Height, r.Range)
	}
	if g := r.Heatmap[0:4]; g[0] != 255 || g[3] != 255 {
		t.Errorf("max pixel %v, want white", g)
	}
	if g := r.Heatmap[4:8]; g[0] != 0 {
		t.Errorf("min pixel %v, want black", g)
	}
	meta := r.Meta()
	if string(meta) != `{"width":28,"height":28,"range":[-1,2]}` {
		t.Errorf("meta %s", meta)
	}
	if _, err := s.Render(rel[:10], nil); err == nil || !strings.HasPrefix(err.Error(), "heatmap: relevance has 10 values") {
		t.Errorf("short relevance: %v", err)
	}
	if _, err := s.Render(rel, nil); err != nil {
		t.Errorf("nil options: %v", err)
	}
}

func TestGeometry(t *testing.T) {
	for _, tc := range []struct {
		shape   []int
		c, h, w int
	}{
		{[]int{3, 4, 5}, 3, 4, 5}, {[]int{4, 5}, 1, 4, 5}, {[]int{784}, 1, 28, 28}, {[]int{10}, 1, 1, 10},
	} {
		if c, h, w := geometry(tc.shape); c != tc.c || h != tc.h || w != tc.w {
			t.Errorf("geometry(%v) = %d %d %d", tc.shape, c, h, w)
		}
	}
}

func TestMethods(t *testing.T) {
	kinds := map[string]string{}
	for _, m := range Methods() {
		if m.Description == "" {
			t.Errorf("%s has no description", m.Name)
		}
		kinds[m.Name] = m.Kind
	}
	for name, want := range map[string]string{"epsilon_gamma_box": "lrp", "lrp0": "lrp", "gradient": "baseline", "smoothgrad": "baseline", "uniform": "baseline"} {
		if kinds[name] != want {
			t.Errorf("%s kind %q, want %q", name, kinds[name], want)
		}
	}
	for name := range parity.Configs {
		if cfg := parity.Configs[name]; kinds[cfg.Method] == "" {
			t.Errorf("fixture config %s uses %s, not in Methods", name, cfg.Method)
		}
	}
	if ColorMaps()[0] != "bwr" {
		t.Errorf("colormaps %v", ColorMaps())
	}
	if !strings.HasPrefix(Version(), Release) {
		t.Errorf("version %q", Version())
	}
}

func TestLoadDetect(t *testing.T) {
	for _, tc := range []struct {
		data []byte
		onnx bool
	}{
		{[]byte{0x08, 0x07}, true},
		{[]byte{0x3a, 0x05}, true},       // graph first
		{[]byte{0xa2, 0x01, 0x00}, true}, // field 20, bytes
		{[]byte{0x10, 0x01}, false},      // field 2 as a varint
		{[]byte{0xff, 0xff}, false},
		{[]byte("{\"a\":1}"), false},
	} {
		_, err := model.Load(tc.data)
		var fe *model.FormatError
		isDetectErr := errors.As(err, &fe) && strings.Contains(err.Error(), "neither a safetensors")
		if isDetectErr == tc.onnx {
			t.Errorf("Load(% x): %v (want onnx detected: %v)", tc.data, err, tc.onnx)
		}
	}
}

// TestExplainAllocs: a steady-state explain allocates no more than the
// engine's own Explain does; every buffer of the Session is reused.
func TestExplainAllocs(t *testing.T) {
	s := open(t, "cnn")
	x := readCase(t, "cnn").Inputs[0]
	o := options(t, `{"composite":"epsilon_gamma_box"}`)
	e := lrp.NewExplainer(s.Model())
	e.Explain(x, o.Explain)
	engine := testing.AllocsPerRun(20, func() { e.Explain(x, o.Explain) })
	s.Explain(Input{X: x}, o)
	if n := testing.AllocsPerRun(20, func() { s.Explain(Input{X: x}, o) }); n > engine {
		t.Errorf("%v allocations per explain, engine alone %v", n, engine)
	}
	pix := digitCanvas()
	s.Explain(Input{RGBA: pix, Width: 100, Height: 100}, o)
	if n := testing.AllocsPerRun(20, func() { s.Explain(Input{RGBA: pix, Width: 100, Height: 100}, o) }); n > engine {
		t.Errorf("%v allocations per explain from pixels, engine alone %v", n, engine)
	}
}

func BenchmarkExplainCNN(b *testing.B) {
	s := open(b, "cnn")
	x := readCase(b, "cnn").Inputs[0]
	o := options(b, `{"composite":"epsilon_gamma_box"}`)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Explain(Input{X: x}, o); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkExplainBuiltin explains with the built-in model
// (model/mnist.safetensors).
func BenchmarkExplainBuiltin(b *testing.B) {
	s, err := Open(readFile(b, "../model/mnist.safetensors"))
	if err != nil {
		b.Fatal(err)
	}
	x := readCase(b, "cnn").Inputs[0]
	o := options(b, `{"composite":"epsilon_gamma_box"}`)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Explain(Input{X: x}, o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPack reads a packed result back as web/lrp.js does.
func TestPack(t *testing.T) {
	s := open(t, "cnn")
	r, err := s.Explain(Input{X: readCase(t, "cnn").Inputs[1]}, nil)
	if err != nil {
		t.Fatal(err)
	}
	b := r.Pack([]byte("junk"))[4:]
	u32 := func(i int) int { return int(binary.LittleEndian.Uint32(b[4*i:])) }
	m, k, n, h := u32(0), u32(1), u32(2), u32(3)
	if k != 10 || n != 784 || h != 4*784 || !bytes.Equal(b[16:16+m], r.Meta()) {
		t.Fatalf("header %d %d %d %d", m, k, n, h)
	}
	off := 16 + (m+3)/4*4
	floats := func(count int) []float32 {
		f := make([]float32, count)
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[off+4*i:]))
		}
		off += 4 * count
		return f
	}
	for _, want := range [][]float32{r.Logits, r.Probabilities, r.Input, r.Relevance} {
		if got := floats(len(want)); !slices.Equal(got, want) {
			t.Fatal("array differs")
		}
	}
	if !bytes.Equal(b[off:], r.Heatmap) {
		t.Error("heatmap differs")
	}
	rd, err := s.Render(r.Relevance, nil)
	if err != nil {
		t.Fatal(err)
	}
	b = rd.Pack(nil)
	if m := u32(0); u32(1) != 0 || u32(2) != 0 || u32(3) != 4*784 || string(b[16:16+m]) != string(rd.Meta()) || !bytes.Equal(b[16+(m+3)/4*4:], rd.Heatmap) {
		t.Errorf("render pack: header %d %d %d %d", u32(0), u32(1), u32(2), u32(3))
	}
}

// TestWorkingSet: a valid model whose activations would not fit in wasm
// memory is refused when the session is made, not when it runs out.
func TestWorkingSet(t *testing.T) {
	in := lrp.InputSpec{Shape: []int{1, 1024, 1024}, Low: 0, High: 1}
	conv := func(inC, outC int) lrp.Layer {
		return &lrp.Conv2D{InC: inC, OutC: outC, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1, PT: 1, PL: 1, PB: 1, PR: 1, Groups: 1,
			W: make([]float32, outC*inC*9), B: make([]float32, outC)}
	}
	m, err := lrp.NewModel("huge", in, []lrp.Node{
		{Name: "c1", Layer: conv(1, 64), Inputs: []int{lrp.Input}},
		{Name: "c2", Layer: conv(64, 64), Inputs: []int{0}},
		{Name: "gap", Layer: &lrp.GlobalAvgPool{}, Inputs: []int{1}},
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{2}},
	}, nil)
	if err != nil {
		t.Fatal(err)
	}
	_, err = NewSession(&model.File{Model: m, Format: "test"})
	if err == nil || !strings.Contains(err.Error(), "MiB of activations") {
		t.Errorf("error %v", err)
	}
	if w := workingSet(open(t, "cnn").Model()); w > 1<<20 || w < 100<<10 {
		t.Errorf("cnn working set %d bytes", w)
	}
}
