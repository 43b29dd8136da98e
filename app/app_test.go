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

	"github.com/lrpwasm/lrp/heatmap"
	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/parity"
	"github.com/lrpwasm/lrp/preprocess"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	require.NoError(t, err)
	return b
}

func open(t testing.TB, name string) *Session {
	t.Helper()
	s, err := Open(refdata.Read(t, name+".onnx"))
	require.NoError(t, err, name)
	return s
}

func readCase(t testing.TB, name string) *parity.Case {
	t.Helper()
	c, err := parity.ReadCase(refdata.Path(t, name+".cases.json"))
	require.NoError(t, err)
	return c
}

func options(t testing.TB, js string) *Options {
	t.Helper()
	o, err := ParseOptions([]byte(js))
	require.NoError(t, err, "ParseOptions(%s)", js)
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
			if !assert.True(t, ok, "%s/%s: config not in parity.Configs", name, cfgName) {
				continue
			}
			want := c.Configs[cfgName].Relevance
			if ex := c.Configs[cfgName].RelevanceExact; ex != nil {
				want = ex
			}
			var worst float64
			for i, x := range c.Inputs {
				r, err := s.Explain(Input{X: x}, options(t, configOptions(cfg, c.Predicted[i])))
				require.NoError(t, err, "%s/%s input %d", name, cfgName, i)
				direct, err := ref.Explain(x, lrp.Options{Method: cfg.Method, Start: cfg.Start, Target: lrp.Class(c.Predicted[i])})
				require.NoError(t, err)
				assert.Equal(t, direct.Relevance, r.Relevance, "%s/%s input %d: session relevance differs from the engine's", name, cfgName, i)
				assert.Equal(t, c.Predicted[i], r.Predicted, "%s/%s input %d: predicted", name, cfgName, i)
				assert.Equal(t, c.Predicted[i], r.Target, "%s/%s input %d: target", name, cfgName, i)
				worst = math.Max(worst, parity.RelErr(r.Relevance, want[i]))
			}
			assert.LessOrEqual(t, worst, 1e-5, "%s/%s: max rel diff to Zennit", name, cfgName)
		}
	}
}

func TestInfo(t *testing.T) {
	s := open(t, "cnn")
	in := s.Info()
	assert.Equal(t, "onnx", in.Format, "info %+v", in)
	assert.Equal(t, []int{1, 28, 28}, in.InputShape, "info %+v", in)
	assert.Equal(t, 10, in.Classes, "info %+v", in)
	assert.True(t, in.Digit, "info %+v", in)
	assert.Equal(t, 28, in.Width, "info %+v", in)
	assert.Equal(t, 28, in.Height, "info %+v", in)
	if assert.Len(t, in.Labels, 10, "info %+v", in) {
		assert.Equal(t, "3", in.Labels[3], "info %+v", in)
	}
	assert.NotZero(t, in.Params, "info %+v", in)
	var kinds []string
	for i, l := range in.Layers {
		assert.Equal(t, i, l.Index, "layer %d index", i)
		kinds = append(kinds, l.Kind)
	}
	want := []string{"conv2d", "relu", "maxpool2d", "conv2d", "relu", "maxpool2d", "flatten", "dense", "relu", "dense"}
	assert.Equal(t, want, kinds, "layer kinds")
	b, err := json.Marshal(in)
	require.NoError(t, err)
	for _, key := range []string{`"inputShape":[1,28,28]`, `"pixelRange":[0,1]`, `"mean":null`, `"bounds":{"low":[0],"high":[1]}`, `"digit":true`, `"outShape":[10]`, `"inputs":[-1]`} {
		assert.Contains(t, string(b), key, "info JSON lacks %s", key)
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
		assert.ErrorContains(t, err, tc.want, tc.name)
	}
}

func TestLoadSafetensors(t *testing.T) {
	data := readFile(t, "../model/testdata/safetensors/valid-cnn-f16.safetensors")
	s, err := Open(data)
	require.NoError(t, err)
	assert.Equal(t, "safetensors", s.Info().Format, "format")
	assert.Equal(t, "F16", s.Info().DType, "dtype")
	x := make([]float32, s.Model().InputLen())
	for i := range x {
		x[i] = float32(i%5) / 5
	}
	_, err = s.Explain(Input{X: x}, nil)
	require.NoError(t, err)
}

func TestParseOptions(t *testing.T) {
	o := options(t, "")
	assert.Empty(t, o.Explain.Method, "defaults %+v", o)
	assert.Equal(t, lrp.Target{}, o.Explain.Target, "defaults %+v", o)
	assert.Empty(t, o.Render.ColorMap, "defaults %+v", o)
	o = options(t, `null`)
	assert.Equal(t, lrp.Target{}, o.Explain.Target, "null: %+v", o)
	o = options(t, `{"method":"epsilon","params":{"epsilon":0.1},"rules":{"3":{"rule":"gamma","gamma":0.5},"0":{"rule":"zbox","low":-1,"high":2}},
		"start":"logit","target":4,"colormap":"coldnhot","symmetric":false,"sign":"positive","samples":8,"noise":0.2,"steps":5,"seed":7}`)
	e := o.Explain
	assert.Equal(t, "epsilon", e.Method, "explain options %+v", e)
	assert.Equal(t, 0.1, e.Params["epsilon"], "explain options %+v", e)
	assert.Equal(t, lrp.Logit, e.Start, "explain options %+v", e)
	assert.Equal(t, lrp.Class(4), e.Target, "explain options %+v", e)
	assert.Equal(t, 8, e.Samples, "explain options %+v", e)
	assert.Equal(t, 0.2, e.Noise, "explain options %+v", e)
	assert.Equal(t, 5, e.Steps, "explain options %+v", e)
	assert.Equal(t, uint64(7), e.Seed, "explain options %+v", e)
	if assert.IsType(t, lrp.Gamma{}, e.Rules[3], "rule 3 = %#v", e.Rules[3]) {
		assert.Equal(t, float32(0.5), e.Rules[3].(lrp.Gamma).Gamma, "rule 3 = %#v", e.Rules[3])
	}
	if assert.IsType(t, lrp.ZBox{}, e.Rules[0], "rule 0 = %#v", e.Rules[0]) {
		z := e.Rules[0].(lrp.ZBox)
		assert.Equal(t, float32(-1), z.Low[0], "rule 0 = %#v", e.Rules[0])
		assert.Equal(t, float32(2), z.High[0], "rule 0 = %#v", e.Rules[0])
	}
	r := o.Render
	assert.Equal(t, "coldnhot", r.ColorMap, "render options %+v", r)
	assert.Equal(t, "minmax", r.Scale.String(), "render options %+v", r)
	assert.Equal(t, "positive", r.Sign.String(), "render options %+v", r)
	assert.Equal(t, "zplus", options(t, `{"composite":"zplus","method":"zplus"}`).Explain.Method, "alias")

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
		if assert.ErrorContains(t, err, tc.want, "ParseOptions(%s)", tc.js) {
			assert.True(t, strings.HasPrefix(err.Error(), "lrp: options: "), "ParseOptions(%s): error %q, want the prefix lrp: options: ", tc.js, err)
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
		{Input{X: x}, `{"rules":{"1":{"rule":"epsilon"}}}`, "rule epsilon applies to dense, conv2d, batchnorm2d and scale layers, not relu"},
		{Input{X: x}, `{"composite":"gradient_x_input","params":{"epsilon":1}}`, "takes no rules or composite parameters"},
		{Input{RGBA: make([]uint8, 10), Width: 2, Height: 2}, `{}`, "preprocess: "},
		{Input{RGBA: make([]uint8, 16), Width: 2, Height: 2, Mode: "sketch"}, `{}`, `preprocess: unknown mode "sketch"`},
		{Input{}, `{}`, "preprocess: "},
	} {
		_, err := s.Explain(tc.in, options(t, tc.opt))
		assert.ErrorContains(t, err, tc.want, "Explain(%s)", tc.opt)
		_, err = s.Explain(Input{X: x}, nil)
		require.NoError(t, err, "after %q", tc.want)
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
		require.NoError(t, err)
		want, err := e.Explain(x, tc.opt)
		require.NoError(t, err)
		assert.Equal(t, want.Relevance, got.Relevance, "%s: relevance differs from the engine's with %+v", tc.js, tc.opt)
	}
}

func TestExplainResult(t *testing.T) {
	s := open(t, "cnn")
	c := readCase(t, "cnn")
	r, err := s.Explain(Input{X: c.Inputs[3]}, options(t, `{"composite":"epsilon_gamma_box","target":5,"colormap":"gray"}`))
	require.NoError(t, err)
	require.Equal(t, 3, r.Predicted, "predicted")
	require.Equal(t, 5, r.Target, "target")
	require.Len(t, r.Logits, 10, "logits")
	require.Len(t, r.Probabilities, 10, "probabilities")
	require.Len(t, r.Relevance, 784, "relevance")
	require.Len(t, r.Heatmap, 4*784, "heatmap")
	require.Equal(t, 28, r.Width, "width")
	require.Equal(t, 28, r.Height, "height")
	assert.Equal(t, c.Inputs[3], r.Input, "input not echoed")
	if assert.Len(t, r.Top, 10, "top %+v", r.Top) {
		assert.Equal(t, 3, r.Top[0].Index, "top %+v", r.Top)
	}
	for i := 1; i < len(r.Top); i++ {
		assert.LessOrEqual(t, r.Top[i].Probability, r.Top[i-1].Probability, "top not sorted at %d: %+v", i, r.Top)
	}
	var m float32
	for _, v := range r.Relevance {
		m = max(m, float32(math.Abs(float64(v))))
	}
	assert.Equal(t, [2]float32{-m, m}, r.Range, "range, want ±%v", m)
	meta := r.Meta()
	var j map[string]any
	require.NoError(t, json.Unmarshal(meta, &j))
	for _, k := range []string{"predicted", "target", "top", "width", "height", "range", "diagnostics", "timings"} {
		assert.Contains(t, j, k, "meta lacks %q: %s", k, meta)
	}
	d := j["diagnostics"].(map[string]any)
	// The hand-written JSON has every field the engine's own JSON names.
	engineJSON, err := json.Marshal(r.Diagnostics)
	require.NoError(t, err)
	var ed map[string]any
	json.Unmarshal(engineJSON, &ed)
	for k := range ed {
		assert.Contains(t, d, k, "diagnostics lack %q", k)
	}
	out := d["output"].(float64)
	assert.True(t, out == float64(float32(r.Logits[5])) || math.Abs(out-float64(r.Logits[5])) <= 1e-5, "output %v, target logit %v", out, r.Logits[5])
	layers := d["layers"].([]any)
	if assert.Len(t, layers, 10, "diagnostics layers %v", layers) {
		assert.Equal(t, "epsilon", layers[0].(map[string]any)["rule"], "diagnostics layers %v", layers)
	}
	tm := j["timings"].(map[string]any)
	assert.GreaterOrEqual(t, tm["total"].(float64), tm["explain"].(float64), "timings %v", tm)
}

// TestNaNRelevance: ε = 0 on a zero input with zero biases divides 0 by 0.
// The explanation still returns, NaN is flagged and encoded as null, and
// the heatmap draws it as zero.
func TestNaNRelevance(t *testing.T) {
	in := lrp.InputSpec{Shape: []int{4}, Low: 0, High: 1}
	m, err := lrp.NewModel("zero", in, []lrp.Node{
		{Name: "fc", Layer: &lrp.Dense{In: 4, Out: 2, W: []float32{1, 2, 3, 4, 5, 6, 7, 8}, B: make([]float32, 2)}, Inputs: []int{lrp.Input}},
	}, nil)
	require.NoError(t, err)
	s, err := NewSession(&model.File{Model: m, Format: "test"})
	require.NoError(t, err)
	r, err := s.Explain(Input{X: make([]float32, 4)}, options(t, `{"composite":"epsilon","params":{"epsilon":0},"target":0}`))
	require.NoError(t, err)
	require.True(t, r.Diagnostics.NaN, "no NaN flagged: relevance %v", r.Relevance)
	meta := r.Meta()
	assert.True(t, json.Valid(meta), "meta %s", meta)
	assert.Contains(t, string(meta), `"nan":true`)
	assert.Contains(t, string(meta), `null`)
	b := r.Pack(nil)
	assertMeta(t, meta, b[24:24+binary.LittleEndian.Uint32(b)])
	assert.Equal(t, 2, r.Width, "heatmap %dx%d %v", r.Width, r.Height, r.Heatmap[:4])
	assert.Equal(t, 2, r.Height, "heatmap %dx%d %v", r.Width, r.Height, r.Heatmap[:4])
	assert.Equal(t, uint8(255), r.Heatmap[3], "heatmap alpha: %v", r.Heatmap[:4])
	assert.Equal(t, [2]float32{0, 0}, r.Range, "range")
}

func TestAppendFloat(t *testing.T) {
	var b []byte
	for _, f := range []float64{math.NaN(), math.Inf(1), 1e-6, 0.1, math.Inf(-1), -0, 1e300} {
		b = append(appendFloat(b, f, 64), ' ')
	}
	b = appendFloat(b, float64(float32(0.1)), 32)
	assert.Equal(t, "null null 1e-06 0.1 null 0 1e+300 0.1", string(b))
}

// TestAppendString checks the hand-written JSON strings against
// encoding/json: both decode to the same string.
func TestAppendString(t *testing.T) {
	for _, s := range []string{"", "plain", `q"uote\back`, "tab\tnl\n\x00\x1f", "é ü 漢字 🙂", "bad \xff\xfe utf8 \xe2\x82", "<html>&", "\u2028"} {
		got := appendString(nil, s)
		var dec string
		if !assert.NoError(t, json.Unmarshal(got, &dec), "%q: %s is not JSON", s, got) {
			continue
		}
		want, _ := json.Marshal(s)
		var wantDec string
		json.Unmarshal(want, &wantDec)
		assert.Equal(t, wantDec, dec, "%q: decodes differently from encoding/json's string", s)
	}
}

// TestMetaAllocs: with a reused buffer, encoding a result allocates nothing.
func TestMetaAllocs(t *testing.T) {
	s := open(t, "cnn")
	r, err := s.Explain(Input{X: readCase(t, "cnn").Inputs[0]}, nil)
	require.NoError(t, err)
	buf := r.AppendMeta(nil)
	assert.Zero(t, testing.AllocsPerRun(20, func() { buf = r.AppendMeta(buf[:0]) }), "allocations")
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
	require.NoError(t, err)
	lo, mx := slices.Min(x), slices.Max(x)
	require.True(t, lo >= 0 && mx <= 1, "values in [%v, %v], want them in [0, 1]", lo, mx)
	assert.Equal(t, float32(1), mx, "max ink")
	r, err := s.Explain(Input{RGBA: digitCanvas(), Width: 100, Height: 100}, nil)
	require.NoError(t, err)
	assert.Equal(t, 7, r.Predicted, "drawn 7 classified as %d (top %+v)", r.Predicted, r.Top)
	// mode image on the same model: a plain resize, no centring.
	_, err = s.Preprocess(digitCanvas(), 100, 100, "image")
	assert.NoError(t, err)
}

// TestPreprocessNormalized: a digit model with a pixel range and a
// normalization gets digit input mapped through both.
func TestPreprocessNormalized(t *testing.T) {
	in := lrp.InputSpec{Shape: []int{1, 28, 28}, Low: 0, High: 255, Mean: []float32{10}, Std: []float32{2}}
	m, err := lrp.NewModel("norm", in, []lrp.Node{
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{lrp.Input}},
		{Name: "fc", Layer: &lrp.Dense{In: 784, Out: 2, W: make([]float32, 1568), B: make([]float32, 2)}, Inputs: []int{0}},
	}, []string{"a", "b"})
	require.NoError(t, err)
	data, err := model.EncodeSafetensors(m, map[string]string{"description": "test"}, "F32")
	require.NoError(t, err)
	s, err := Open(data)
	require.NoError(t, err)
	assert.Equal(t, "b", s.Info().Labels[1], "info %+v", s.Info())
	assert.Equal(t, "test", s.Info().Card["description"], "info %+v", s.Info())
	assert.Equal(t, Box{Low: []float32{-5}, High: []float32{122.5}}, s.Info().Bounds, "zᴮ bounds: the pixel range through the normalization")
	x, err := s.Preprocess(digitCanvas(), 100, 100, "digit")
	require.NoError(t, err)
	lo, hi := float32(math.Inf(1)), float32(math.Inf(-1))
	for _, v := range x {
		lo, hi = min(lo, v), max(hi, v)
	}
	assert.Equal(t, float32(-5), lo, "range [%v, %v], want [-5, 122.5]", lo, hi)
	assert.Equal(t, float32((255-10)/2.), hi, "range [%v, %v], want [-5, 122.5]", lo, hi)
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
		_, err := s.Preprocess(tc.rgba, tc.w, tc.h, tc.mode)
		assert.ErrorContains(t, err, tc.want, "Preprocess(%d bytes, %d×%d, %q)", len(tc.rgba), tc.w, tc.h, tc.mode)
	}
	// A 3-channel model refuses digit mode.
	in := lrp.InputSpec{Shape: []int{3, 4, 4}, Low: 0, High: 1}
	m, err := lrp.NewModel("rgb", in, []lrp.Node{
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{lrp.Input}},
		{Name: "fc", Layer: &lrp.Dense{In: 48, Out: 2, W: make([]float32, 96), B: make([]float32, 2)}, Inputs: []int{0}},
	}, nil)
	require.NoError(t, err)
	rs, err := NewSession(&model.File{Model: m, Format: "test"})
	require.NoError(t, err)
	assert.False(t, rs.Info().Digit, "3×4×4 model is not a digit model")
	_, err = rs.Preprocess(make([]uint8, 64), 4, 4, "digit")
	assert.ErrorContains(t, err, "mode digit needs", "digit on rgb")
	x, err := rs.Preprocess(make([]uint8, 4*6*8), 6, 8, "")
	assert.NoError(t, err, "image mode default")
	assert.Len(t, x, 48, "image mode default")
}

func TestRender(t *testing.T) {
	s := open(t, "cnn")
	rel := make([]float32, 784)
	rel[0], rel[1], rel[2] = 2, -1, float32(math.NaN())
	r, err := s.Render(rel, options(t, `{"colormap":"gray","symmetric":false}`))
	require.NoError(t, err)
	assert.Equal(t, 28, r.Width, "render width")
	assert.Equal(t, 28, r.Height, "render height")
	assert.Equal(t, [2]float32{-1, 2}, r.Range, "render range")
	g := r.Heatmap[0:4]
	assert.Equal(t, uint8(255), g[0], "max pixel %v, want white", g)
	assert.Equal(t, uint8(255), g[3], "max pixel %v, want white", g)
	g = r.Heatmap[4:8]
	assert.Equal(t, uint8(0), g[0], "min pixel %v, want black", g)
	assert.Equal(t, `{"width":28,"height":28,"range":[-1,2]}`, string(r.Meta()), "meta")
	_, err = s.Render(rel[:10], nil)
	if assert.Error(t, err, "short relevance") {
		assert.True(t, strings.HasPrefix(err.Error(), "heatmap: relevance has 10 values"), "short relevance: %v", err)
	}
	_, err = s.Render(rel, nil)
	assert.NoError(t, err, "nil options")
}

func TestGeometry(t *testing.T) {
	for _, tc := range []struct {
		shape   []int
		c, h, w int
	}{
		{[]int{3, 4, 5}, 3, 4, 5}, {[]int{4, 5}, 1, 4, 5}, {[]int{784}, 1, 28, 28}, {[]int{10}, 1, 1, 10},
	} {
		c, h, w := geometry(tc.shape)
		assert.Equal(t, [3]int{tc.c, tc.h, tc.w}, [3]int{c, h, w}, "geometry(%v)", tc.shape)
	}
}

func TestMethods(t *testing.T) {
	kinds := map[string]string{}
	for _, m := range Methods() {
		assert.NotEmpty(t, m.Description, "%s has no description", m.Name)
		kinds[m.Name] = m.Kind
	}
	for name, want := range map[string]string{"epsilon_gamma_box": "lrp", "lrp0": "lrp", "gradient": "baseline", "smoothgrad": "baseline", "uniform": "baseline"} {
		assert.Equal(t, want, kinds[name], "%s kind", name)
	}
	for name := range parity.Configs {
		cfg := parity.Configs[name]
		assert.NotEmpty(t, kinds[cfg.Method], "fixture config %s uses %s, not in Methods", name, cfg.Method)
	}
	assert.Equal(t, "bwr", ColorMaps()[0], "colormaps %v", ColorMaps())
	assert.True(t, strings.HasPrefix(Version(), Release), "version %q, want it to start with %q", Version(), Release)
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
		assert.Equal(t, !tc.onnx, isDetectErr, "Load(% x): %v (want onnx detected: %v)", tc.data, err, tc.onnx)
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
	assert.LessOrEqual(t, testing.AllocsPerRun(20, func() { s.Explain(Input{X: x}, o) }), engine, "allocations per explain, engine alone %v", engine)
	pix := digitCanvas()
	s.Explain(Input{RGBA: pix, Width: 100, Height: 100}, o)
	assert.LessOrEqual(t, testing.AllocsPerRun(20, func() { s.Explain(Input{RGBA: pix, Width: 100, Height: 100}, o) }), engine, "allocations per explain from pixels, engine alone %v", engine)
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
	require.NoError(b, err)
	x := readCase(b, "cnn").Inputs[0]
	o := options(b, `{"composite":"epsilon_gamma_box"}`)
	b.ResetTimer()
	for b.Loop() {
		if _, err := s.Explain(Input{X: x}, o); err != nil {
			b.Fatal(err)
		}
	}
}

// TestPack reads a packed result back as web/packed.js does.
func TestPack(t *testing.T) {
	s := open(t, "cnn")
	r, err := s.Explain(Input{X: readCase(t, "cnn").Inputs[1]}, nil)
	require.NoError(t, err)
	b := r.Pack([]byte("junk"))[4:]
	u32 := func(i int) int { return int(binary.LittleEndian.Uint32(b[4*i:])) }
	header := func() []int { return []int{u32(0), u32(1), u32(2), u32(3), u32(4), u32(5)} }
	m := u32(0)
	require.Equal(t, []int{m, 10, 784, 4 * 784, 4 * 784, 784}, header(), "header")
	require.Zero(t, m%8, "meta of %d bytes", m)
	assertMeta(t, r.Meta(), b[24:24+m])
	off := 24 + m
	floats := func(count int) []float32 {
		f := make([]float32, count)
		for i := range f {
			f[i] = math.Float32frombits(binary.LittleEndian.Uint32(b[off+4*i:]))
		}
		off += 4 * count
		return f
	}
	for a, want := range [][]float32{r.Logits, r.Probabilities, r.Input, r.Relevance} {
		require.Equal(t, want, floats(len(want)), "array %d (logits, probabilities, input, relevance) differs", a)
	}
	for _, a := range []struct {
		name string
		want []byte
	}{{"heatmap", r.Heatmap}, {"picture", r.Picture}, {"mask", r.Mask}} {
		assert.True(t, bytes.Equal(b[off:off+len(a.want)], a.want), "%s differs", a.name)
		off += len(a.want)
	}
	assert.Equal(t, len(b), off, "bytes after the mask")

	rd, err := s.Render(r.Relevance, nil)
	require.NoError(t, err)
	b = rd.Pack(nil)
	m = u32(0)
	assert.Equal(t, []int{m, 0, 0, 4 * 784, 0, 784}, header(), "render pack: header")
	require.LessOrEqual(t, 24+m, len(b), "render pack: meta of %d bytes", m)
	assertMeta(t, rd.Meta(), b[24:24+m])
	off = 24 + m
	assert.True(t, bytes.Equal(b[off:off+4*784], rd.Heatmap), "render pack: heatmap differs")
	assert.True(t, bytes.Equal(b[off+4*784:], rd.Mask), "render pack: mask differs")
}

// assertMeta checks that the meta of a packed result (Result.Pack) reads,
// as web/lrp.js reads it (readMeta), as the JSON want does, value for
// value and key for key.
func assertMeta(t *testing.T, want, meta []byte) {
	t.Helper()
	var j any
	require.NoError(t, json.Unmarshal(want, &j), "%s", want)
	got := readMeta(t, meta)
	assert.Equal(t, j, got, "meta read back from the packed numbers differs from the JSON")
	gotJSON, err := json.Marshal(got)
	require.NoError(t, err)
	assert.JSONEq(t, string(want), string(gotJSON))
}

// readMeta decodes a packed meta as web/lrp.js's readMeta does, into the
// values json.Unmarshal gives for AppendMeta's text.
func readMeta(t *testing.T, b []byte) map[string]any {
	t.Helper()
	text := int(binary.LittleEndian.Uint32(b))
	count := int(binary.LittleEndian.Uint32(b[4:]))
	at := 8 + (text+7)/8*8
	require.Equal(t, len(b), at+8*count, "meta: %d bytes of text and %d numbers", text, count)
	next := func() float64 {
		v := math.Float64frombits(binary.LittleEndian.Uint64(b[at:]))
		at += 8
		return v
	}
	num := func() any {
		v := next()
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil
		}
		return v
	}
	m := map[string]any{"width": next(), "height": next(), "range": []any{num(), num()}}
	if at == len(b) {
		return m
	}
	var strs struct {
		Labels []string
		Layers [][3]string
	}
	var raw [2]json.RawMessage
	require.NoError(t, json.Unmarshal(b[8:8+text], &raw), "strings %s", b[8:8+text])
	require.NoError(t, json.Unmarshal(raw[0], &strs.Labels))
	require.NoError(t, json.Unmarshal(raw[1], &strs.Layers))
	m["predicted"], m["target"] = next(), next()
	top := make([]any, int(next()))
	for i := range top {
		index := next()
		top[i] = map[string]any{"index": index, "label": strs.Labels[int(index)], "probability": num(), "logit": num()}
	}
	m["top"] = top
	d := map[string]any{"startSum": num(), "inputSum": num(), "positiveShare": num(), "output": num(), "nan": next() == 1, "consistent": next() == 1}
	layers := make([]any, int(next()))
	for i := range layers {
		l := map[string]any{"node": next(), "name": strs.Layers[i][0], "kind": strs.Layers[i][1], "rule": strs.Layers[i][2], "out": num(), "in": num()}
		inputs := make([]any, int(next()))
		for k := range inputs {
			inputs[k] = num()
		}
		l["inputs"], l["absorbed"], l["nan"] = inputs, num(), next() == 1
		layers[i] = l
	}
	d["layers"] = layers
	m["diagnostics"] = d
	m["timings"] = map[string]any{"preprocess": num(), "explain": num(), "render": num(), "total": num()}
	return m
}

// TestPicture: a result draws its model input as the model saw it and the
// heatmap's mask with the sign it was rendered with; a re-rendering with
// another sign gives that sign's mask.
func TestPicture(t *testing.T) {
	s := open(t, "cnn")
	x := readCase(t, "cnn").Inputs[1]
	r, err := s.Explain(Input{X: x}, options(t, `{"sign":"positive"}`))
	require.NoError(t, err)
	in := s.Model().Input
	want := make([]uint8, 4*784)
	require.NoError(t, preprocess.Picture(want, x, 1, 28, 28, in.Mean, in.Std, in.Low, in.High))
	assert.Equal(t, want, r.Picture)
	wantMask := make([]uint8, 784)
	require.NoError(t, heatmap.Mask(wantMask, r.Relevance, 1, 28, 28, heatmap.Positive))
	assert.Equal(t, wantMask, r.Mask)

	rd, err := s.Render(r.Relevance, options(t, `{"sign":"negative"}`))
	require.NoError(t, err)
	require.NoError(t, heatmap.Mask(wantMask, r.Relevance, 1, 28, 28, heatmap.Negative))
	assert.Equal(t, wantMask, rd.Mask)
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
	require.NoError(t, err)
	_, err = NewSession(&model.File{Model: m, Format: "test"})
	assert.ErrorContains(t, err, "MiB allowed")
	w := open(t, "cnn").WorkingSet()
	assert.True(t, w >= 100<<10 && w <= 1<<20, "cnn working set %d bytes, want within [100 KiB, 1 MiB]", w)
}

// TestPackStrings packs results of one Session under composites whose
// rules differ, back and forth: the text of the strings, which the
// Session keeps between calls, is each time the one written afresh.
func TestPackStrings(t *testing.T) {
	s := open(t, "cnn")
	x := readCase(t, "cnn").Inputs[2]
	var texts []string
	for _, c := range []string{"epsilon_gamma_box", "gradient", "epsilon_gamma_box", "epsilon_plus_flat", "epsilon_plus_flat"} {
		r, err := s.Explain(Input{X: x}, options(t, `{"composite":"`+c+`"}`))
		require.NoError(t, err, c)
		require.NotNil(t, r.text, c)
		b := r.Pack(nil)
		got := string(b[32 : 32+binary.LittleEndian.Uint32(b[24:])])
		require.Equal(t, string(r.writeStrings(nil)), got, c)
		texts = append(texts, got)
	}
	assert.Equal(t, texts[0], texts[2])
	assert.NotEqual(t, texts[0], texts[1])
	assert.NotEqual(t, texts[1], texts[3])
	assert.Equal(t, texts[3], texts[4])
}
