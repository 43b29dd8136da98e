package app

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

func settings(t testing.TB, js string) *Settings {
	t.Helper()
	st, err := ParseSettings([]byte(js))
	require.NoError(t, err, "ParseSettings(%s)", js)
	return st
}

func configure(t testing.TB, s *Session, js string) {
	t.Helper()
	require.NoError(t, s.Configure(settings(t, js)), "Configure(%s)", js)
}

func TestParseSettings(t *testing.T) {
	for _, tc := range []struct {
		js   string
		want Settings
	}{
		{``, Settings{}},
		{`null`, Settings{}},
		{`{}`, Settings{}},
		{`{"normalization": "imagenet"}`, Settings{Normalization: "imagenet"}},
		{`{"normalization": "none", "labels": "indices"}`, Settings{Normalization: "none", Labels: "indices"}},
		{`{"normalization": "default", "labels": "default"}`, Settings{Normalization: "default", Labels: "default"}},
		{`{"normalization": {"mean": [0.5], "std": [0.25]}}`, Settings{Normalization: "custom", Mean: []float32{0.5}, Std: []float32{0.25}}},
		{`{"labels": ["a", "b"]}`, Settings{Labels: "custom", LabelsFile: []byte(`["a", "b"]`)}},
		{`{"labelsFile": "a\nb\n"}`, Settings{Labels: "custom", LabelsFile: []byte("a\nb\n")}},
		{`{"normalization": null, "labels": null}`, Settings{}},
	} {
		st, err := ParseSettings([]byte(tc.js))
		require.NoError(t, err, tc.js)
		assert.Equal(t, tc.want, *st, tc.js)
	}
}

func TestParseSettingsErrors(t *testing.T) {
	for _, tc := range []struct{ js, want string }{
		{`[]`, "want an object"},
		{`{"normalisation": "none"}`, `unknown key "normalisation" (known: labels, labelsFile, normalization`},
		{`{"normalization": "imagenet"} {}`, "unexpected data after the settings object"},
		{`{"normalization": "ImageNet"}`, `normalization "ImageNet": want "default", "none", "imagenet"`},
		{`{"normalization": 1}`, "normalization: want"},
		{`{"normalization": {"mean": [0.5]}}`, "needs both mean and std"},
		{`{"normalization": {"mean": [0.5], "std": [1], "min": 0}}`, `unknown key "min"`},
		{`{"normalization": {"mean": ["0.5"], "std": [1]}}`, "normalization: want"},
		{`{"normalization": {"mean": [1e400], "std": [1]}}`, "normalization: want"},
		{`{"labels": "names"}`, `labels "names": want "default", "imagenet", "indices" or an array`},
		{`{"labels": {"0": "a"}}`, "labels: want"},
		{`{"labels": 1}`, "labels: want"},
		{`{"normalization": {"mean": [` + strings.Repeat("0,", 40000) + `0], "std": [1]}}`, "normalization: 80025 bytes, more than the 65536 allowed"},
		{`{"labels": ["a"], "labelsFile": "a"}`, "labels and labelsFile: give one"},
		{`{"labelsFile": ["a"]}`, "labelsFile: got a JSON array, want a string"},
		{`{"labels": "` + strings.Repeat("x", MaxSettings) + `"}`, "more than the"},
	} {
		_, err := ParseSettings([]byte(tc.js))
		require.Error(t, err, trimmed(tc.js))
		assert.True(t, strings.HasPrefix(err.Error(), "app: settings: "), "%s: %v", trimmed(tc.js), err)
		assert.Contains(t, err.Error(), tc.want, trimmed(tc.js))
	}
}

func trimmed(s string) string { return truncate(s) }

// Configure refuses what does not fit the model, and changes nothing then.
func TestConfigureErrors(t *testing.T) {
	s, err := Open(readFile(t, resnet18))
	require.NoError(t, err)
	before := *s.Info()
	committed := s.committed
	nan := float32(math.NaN())
	inf := float32(math.Inf(1))
	for _, tc := range []struct {
		name string
		st   Settings
		want string
	}{
		{"NaN mean", Settings{Normalization: "custom", Mean: []float32{nan, 0, 0}, Std: []float32{1, 1, 1}}, "normalization channel 0: mean NaN"},
		{"NaN std", Settings{Normalization: "custom", Mean: []float32{0, 0, 0}, Std: []float32{1, nan, 1}}, "normalization channel 1"},
		{"infinite mean", Settings{Normalization: "custom", Mean: []float32{0, 0, inf}, Std: []float32{1, 1, 1}}, "normalization channel 2: mean +Inf"},
		{"zero std", Settings{Normalization: "custom", Mean: []float32{0, 0, 0}, Std: []float32{1, 0, 1}}, "std 0"},
		{"negative std", Settings{Normalization: "custom", Mean: []float32{0, 0, 0}, Std: []float32{-1, 1, 1}}, "std -1"},
		{"tiny std", Settings{Normalization: "custom", Mean: []float32{0, 0, 0}, Std: []float32{1e-7, 1, 1}}, "1e-6 ≤ std"},
		{"huge mean", Settings{Normalization: "custom", Mean: []float32{2e6, 0, 0}, Std: []float32{1, 1, 1}}, "|mean| ≤ 1e6"},
		{"one channel", Settings{Normalization: "custom", Mean: []float32{0}, Std: []float32{1}}, "1 means and 1 stds for an input of 3 channels"},
		{"huge arrays", Settings{Normalization: "custom", Mean: make([]float32, 1<<20), Std: make([]float32, 1<<20)}, "1048576 means"},
		{"unknown normalization", Settings{Normalization: "caffe"}, `unknown normalization "caffe"`},
		{"too few names", Settings{Labels: "custom", Names: []string{"a"}}, "app: labels: 1 names, the model has 1000 classes"},
		{"bad names file", Settings{Normalization: "none", Labels: "custom", LabelsFile: []byte("a\nb\n")}, "app: labels: the file has 2 lines, the model has 1000 classes"},
		{"unknown labels", Settings{Labels: "wordnet"}, `unknown labels "wordnet"`},
	} {
		err := s.Configure(&tc.st)
		require.Error(t, err, tc.name)
		assert.True(t, strings.HasPrefix(err.Error(), "app: "), "%s: %v", tc.name, err)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.Equal(t, before, *s.Info(), "%s: the info changed", tc.name)
		assert.Equal(t, committed, s.committed, "%s: the memory account changed", tc.name)
	}

	digits := mnist(t)
	for _, tc := range []struct{ js, want string }{
		{`{"labels": [0, 1, 2, 3, 4, 5, 6, 7, 8, 9]}`, "app: labels: name 0: want a string, got a number"},
		{`{"labels": ["a", "b"]}`, "app: labels: 2 names, the model has 10 classes"},
		{`{"normalization": "imagenet"}`, "ImageNet's normalization needs a [3, H, W] input, model mnist has [1 28 28]"},
		{`{"labels": "imagenet"}`, "ImageNet's class names need a model with 1000 classes, model mnist has 10"},
	} {
		err := digits.Configure(settings(t, tc.js))
		assert.ErrorContains(t, err, tc.want, tc.js)
	}
	m, err := lrp.NewModel("flat", lrp.InputSpec{Shape: []int{4}, Low: 0, High: 1},
		[]lrp.Node{{Name: "fc", Layer: &lrp.Dense{In: 4, Out: 2, W: make([]float32, 8)}, Inputs: []int{lrp.Input}}}, nil)
	require.NoError(t, err)
	flat, err := NewSession(&model.File{Model: m, Format: "test"})
	require.NoError(t, err)
	err = flat.Configure(&Settings{Normalization: "custom", Mean: []float32{0}, Std: []float32{1}})
	assert.ErrorContains(t, err, "app: settings: a normalization needs a [C, H, W] input, model flat has [4]")
}

// Changing the normalization changes the zᴮ bounds, drops what was cached
// for the old ones, and keeps the memory account right: the session then
// explains, to the bit, as a new session given the same normalization
// before its first call.
func TestConfigureNormalization(t *testing.T) {
	data := readFile(t, resnet18)
	rgba := photo(224, 224)
	in := Input{RGBA: rgba, Width: 224, Height: 224}
	o := options(t, `{"composite": "epsilon_gamma_box"}`) // zᴮ on the first layer
	explain := func(s *Session) []float32 {
		r, err := s.Explain(in, o)
		require.NoError(t, err)
		return append([]float32(nil), r.Relevance...)
	}
	fresh := func(js string) *Session {
		s, err := Open(data)
		require.NoError(t, err)
		configure(t, s, js)
		return s
	}

	s := fresh(`{}`)
	assumed := explain(s) // builds the zᴮ caches for ImageNet's bounds
	for _, js := range []string{
		`{"normalization": "none"}`,
		`{"normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.25, 0.125]}}`,
		`{"normalization": "imagenet"}`,
	} {
		configure(t, s, js)
		want := fresh(js)
		assert.Equal(t, want.Info().Bounds.Low, s.Info().Bounds.Low, js)
		assert.Equal(t, want.committed, s.committed, "%s: memory committed against a new session's", js)
		assert.Equal(t, want.WorkingSet(), s.WorkingSet(), js)
		assert.Equal(t, explain(want), explain(s), "%s: relevance against a new session's", js)
	}
	assert.Equal(t, assumed, explain(s), "ImageNet's again: the first relevance")

	configure(t, s, `{"normalization": "none"}`)
	info := s.Info()
	assert.Equal(t, "none", info.Normalization)
	assert.Empty(t, info.NormalizationAssumed)
	assert.Nil(t, info.Mean)
	assert.Equal(t, []float32{0, 0, 0}, info.Bounds.Low)
	assert.Equal(t, []float32{1, 1, 1}, info.Bounds.High)
	x, err := s.Preprocess(rgba, 224, 224, "")
	require.NoError(t, err)
	assert.Equal(t, float32(rgba[4*5+1])/255, x[224*224+5], "no normalization: p/255")
	assert.NotEqual(t, assumed, explain(s), "the relevance without normalization")

	configure(t, s, `{"normalization": {"mean": [0.5, 0.5, 0.5], "std": [0.5, 0.25, 0.125]}}`)
	info = s.Info()
	assert.Equal(t, "custom", info.Normalization)
	assert.Equal(t, []float32{-1, -2, -4}, info.Bounds.Low)
	assert.Equal(t, []float32{1, 2, 4}, info.Bounds.High)

	configure(t, s, `{"normalization": "imagenet"}`)
	assert.Equal(t, "imagenet", s.Info().Normalization)
	assert.Empty(t, s.Info().NormalizationAssumed, "chosen, not assumed")
	configure(t, s, `{"normalization": "default"}`)
	assert.Equal(t, "imagenet", s.Info().NormalizationAssumed, "the default is assumed again")
	assert.Equal(t, assumed, explain(s))
}

// Names change what results show and what the session's memory account
// holds for them.
func TestConfigureLabels(t *testing.T) {
	s, err := Open(readFile(t, resnet18))
	require.NoError(t, err)
	own := func() int64 { return weightBytes(s.m) + sessionBytes(s.m) }
	require.Equal(t, own(), s.own)
	in := Input{X: make([]float32, s.m.InputLen())}

	names := make([]string, 1000)
	var file strings.Builder
	for i := range names {
		names[i] = strings.Repeat("n", MaxLabel-3) + string(rune('a'+i%26)) + "\u00e9"
		file.WriteString(" " + names[i] + " \r\n")
	}
	st := &Settings{Labels: "custom", LabelsFile: []byte(file.String())}
	before := s.committed
	require.NoError(t, s.Configure(st))
	info := s.Info()
	assert.Equal(t, "custom", info.LabelsFrom)
	assert.Empty(t, info.LabelsAssumed)
	assert.Equal(t, names, info.Labels)
	assert.Equal(t, own(), s.own, "the session's own bytes with the new names")
	assert.Equal(t, before+s.own-weightBytes(s.m)-sessionBytesWith(s, model.ImageNetClasses()), s.committed)
	r, err := s.Explain(in, nil)
	require.NoError(t, err)
	assert.Equal(t, names[r.Top[0].Index], r.Top[0].Label)

	configure(t, s, `{"labels": "indices"}`)
	assert.Equal(t, "indices", s.Info().LabelsFrom)
	assert.Equal(t, "281", s.Info().Labels[281])
	r, err = s.Explain(in, nil)
	require.NoError(t, err)
	assert.Equal(t, "7", r.Top[slicesIndex(r.Top, 7)].Label)

	configure(t, s, `{"labels": "imagenet"}`)
	assert.Equal(t, "imagenet", s.Info().LabelsFrom)
	assert.Empty(t, s.Info().LabelsAssumed, "chosen, not assumed")
	configure(t, s, `{"labels": "default"}`)
	assert.Equal(t, "imagenet", s.Info().LabelsAssumed)
	assert.Equal(t, "tabby", s.Info().Labels[281])
	assert.Equal(t, own(), s.own)

	digits := mnist(t)
	configure(t, digits, `{"labels": ["zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"]}`)
	assert.Equal(t, "seven", digits.Info().Labels[7])
	configure(t, digits, `{"labels": "default"}`)
	assert.Equal(t, "file", digits.Info().LabelsFrom)
	assert.Equal(t, "7", digits.Info().Labels[7])
}

// sessionBytesWith is sessionBytes of s's model with the given names.
func sessionBytesWith(s *Session, names []string) int64 {
	old := s.m.Labels
	defer func() { s.m.Labels = old }()
	s.m.Labels = names
	return sessionBytes(s.m)
}

func slicesIndex(top []Class, k int) int {
	for i, c := range top {
		if c.Index == k {
			return i
		}
	}
	return -1
}
