package app

import (
	"bytes"
	"encoding/json"
	"os"
	"runtime"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/model"
)

func TestParseLabels(t *testing.T) {
	abc := []string{"a cat", "b", "c"}
	for _, tc := range []struct{ name, in string }{
		{"text", "a cat\nb\nc"},
		{"text with a final newline", "a cat\nb\nc\n"},
		{"text with blank lines at the end", "a cat\nb\nc\n\n \r\n"},
		{"CRLF", "a cat\r\nb\r\nc\r\n"},
		{"byte-order mark", "\ufeffa cat\nb\nc\n"},
		{"surrounding spaces", "  a cat\t\n b \nc  \n"},
		{"JSON array", `["a cat", "b", "c"]`},
		{"JSON array after white space", "\ufeff \n [\"a cat\",\"b\",\"c\"]\n"},
		{"JSON object", `{"2": "c", "0": "a cat", "1": "b"}`},
		{"Keras class index", `{"0": ["n01", "a cat"], "1": ["n02", "b"], "2": ["n03", "c"]}`},
		{"Hugging Face config", `{"architectures": ["X"], "id2label": {"0": "a cat", "1": "b", "2": "c"}, "label2id": {"a cat": 0}, "x": {"0": "no"}}`},
		{"JSON escapes", `["a\u0020cat", "\u0062", "c"]`},
	} {
		got, err := ParseLabels([]byte(tc.in), 3)
		if assert.NoError(t, err, tc.name) {
			assert.Equal(t, abc, got, tc.name)
		}
	}
	got, err := ParseLabels([]byte("[\"naïve\", \"猫\", \"🐟 goldfish\"]"), 3)
	require.NoError(t, err)
	assert.Equal(t, []string{"naïve", "猫", "🐟 goldfish"}, got)
}

// The list the app ships reads back as a names file.
func TestParseLabelsImageNetFile(t *testing.T) {
	data, err := os.ReadFile("../model/imagenet_classes.txt")
	require.NoError(t, err)
	got, err := ParseLabels(data, 1000)
	require.NoError(t, err)
	assert.Equal(t, model.ImageNetClasses(), got)
}

func TestParseLabelsErrors(t *testing.T) {
	long := strings.Repeat("x", MaxLabel+1)
	for _, tc := range []struct{ name, in, want string }{
		{"empty", "", "the file has no names, the model has 3 classes"},
		{"blank", " \n\r\n", "the file has no names"},
		{"too few lines", "a\nb\n", "the file has 2 lines, the model has 3 classes"},
		{"too many lines", "a\nb\nc\nd\n", "the file has 4 lines, the model has 3 classes"},
		{"blank line inside", "a\n\nc\n", "line 2: an empty name"},
		{"blank first line", "\na\nb\n", "line 1: an empty name"},
		{"escape sequence", "a\n\x1b[2Jb\nc", `line 2: the name "\x1b[2Jb" has the character U+001B`},
		{"carriage return inside", "a\nb\rb\nc", "line 2: the name"},
		{"tab inside", "a\nb\tb\nc", "U+0009"},
		{"C1 control", "a\nb\u009bb\nc", "U+009B"},
		{"bidi override", "a\n\u202egpj.exe\nc", "U+202E"},
		{"bidi isolate", "a\nb\u2066\nc", "U+2066"},
		{"line separator", "a\nb\u2028c\nc", "U+2028"},
		{"not UTF-8", "a\nb\xff\nc", "line 2: a name that is not valid UTF-8"},
		{"too long", "a\n" + long + "\nc", "line 2: a name of 257 bytes, more than the 256 allowed"},
		{"far too long", "a\n" + strings.Repeat("x", 5*MaxLabel) + "\nc", "line 2: a name of 1280 bytes"},
		{"JSON: too few", `["a", "b"]`, "labels: 2 names, the model has 3 classes"},
		{"JSON: too many", `["a", "b", "c", "d", "e"]`, "labels: more than 3 names"},
		{"JSON: not a string", `["a", 2, "c"]`, "name 1: want a string, got a number"},
		{"JSON: null", `["a", null, "c"]`, "name 1: want a string, got null"},
		{"JSON: nested array", `["a", ["b"], "c"]`, "name 1: want a string, got an array"},
		{"JSON: control in a name", `["a", "b\u001b", "c"]`, "name 1: the name"},
		{"JSON: empty name", `["a", " ", "c"]`, "name 1: an empty name"},
		{"JSON: trailing data", `["a", "b", "c"] x`, "unexpected data after the JSON value"},
		{"JSON: second value", `["a", "b", "c"] []`, "unexpected data after the JSON value"},
		{"JSON: cut short", `["a", "b", "c"`, "the JSON ends early"},
		{"JSON: syntax", `["a", "b",, "c"]`, "not valid JSON at byte"},
		{"object: missing class", `{"0": "a", "2": "c"}`, "class 1 has no name"},
		{"object: twice", `{"0": "a", "1": "b", "1": "b", "2": "c"}`, "class 1 is named twice"},
		{"object: out of range", `{"0": "a", "1": "b", "3": "c"}`, `class "3": the model has classes 0 to 2`},
		{"object: leading zero", `{"0": "a", "01": "b", "2": "c"}`, "an object of class indices has other keys"},
		{"object: negative", `{"-1": "a"}`, "a JSON object needs class indices as keys"},
		{"object: huge index", `{"99999999999999999999": "a"}`, "a JSON object needs class indices"},
		{"object: other keys", `{"0": "a", "1": "b", "2": "c", "n": 3}`, "an object of class indices has other keys"},
		{"object: wrong value", `{"0": "a", "1": {"b": 1}, "2": "c"}`, "class 1: want a string, got an object"},
		{"object: long array", `{"0": "a", "1": ["1", "2", "3", "4", "5"], "2": "c"}`, "class 1: want a name or an array of up to 4 strings"},
		{"object: array of numbers", `{"0": "a", "1": [1], "2": "c"}`, "class 1: want a name or an array"},
		{"object: empty", `{}`, "a JSON object needs class indices"},
		{"config without names", `{"architectures": ["X"]}`, "a JSON object needs class indices"},
		{"config: id2label not an object", `{"id2label": ["a", "b", "c"]}`, `"id2label" must be an object`},
		{"config: id2label twice", `{"id2label": {"0": "a", "1": "b", "2": "c"}, "id2label": {}}`, "twice"},
		{"config: indices beside", `{"id2label": {"0": "a", "1": "b", "2": "c"}, "0": "a"}`, `class indices next to "id2label"`},
		{"config: nested key", `{"id2label": {"0": "a", "1": "b", "2": "c", "x": "d"}}`, `key "x" is not a class index`},
		{"config: nested config", `{"id2label": {"id2label": {}}}`, `key "id2label" is not a class index`},
		{"too large", strings.Repeat("a\n", MaxLabelsFile/2+1), "the file has 4194306 bytes, more than the 4194304 allowed"},
	} {
		_, err := ParseLabels([]byte(tc.in), 3)
		require.Error(t, err, tc.name)
		assert.True(t, strings.HasPrefix(err.Error(), "app: labels: "), "%s: %v", tc.name, err)
		assert.Contains(t, err.Error(), tc.want, tc.name)
		assert.LessOrEqual(t, len(err.Error()), 300, "%s: the message quotes too much", tc.name)
	}
	_, err := ParseLabels([]byte("a"), 0)
	assert.ErrorContains(t, err, "a model with 0 classes has no names")
}

// A file at the size limit that claims far more names than the model has
// classes is refused after reading one name too many, without allocating
// in proportion to the file.
func TestParseLabelsStopsEarly(t *testing.T) {
	var b bytes.Buffer
	b.WriteByte('[')
	for b.Len() < MaxLabelsFile-8 {
		b.WriteString(`"x",`)
	}
	b.WriteString(`"x"]`)
	data := b.Bytes()
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := ParseLabels(data, 10)
	runtime.ReadMemStats(&after)
	assert.ErrorContains(t, err, "labels: more than 10 names")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(256<<10), "bytes allocated")
}

// FuzzParseLabels checks that ParseLabels never panics, and that what it
// accepts is what a names file may hold: as many names as classes, each
// trimmed, valid and short, which read back the same as text and as JSON.
func FuzzParseLabels(f *testing.F) {
	for _, s := range []string{
		"a\nb\nc\n", "\ufeffa\r\nb\r\n", `["a", "b"]`, `{"0": "a", "1": ["n", "b"]}`,
		`{"id2label": {"1": "b", "0": "a"}, "x": [1, {"y": null}]}`, "a\n\x1b\n", `["a", "\u202e"]`,
		`{"0": "a", "0": "b"}`, "[", "{", `["a"] x`, "x\xff", `["[a", "{b"]`,
	} {
		for k := uint8(1); k <= 3; k++ {
			f.Add([]byte(s), k)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, k uint8) {
		classes := int(k%8) + 1
		names, err := ParseLabels(data, classes)
		if err != nil {
			require.True(t, strings.HasPrefix(err.Error(), "app: labels: "), "error %q", err)
			return
		}
		require.Len(t, names, classes)
		for i, n := range names {
			require.True(t, utf8.ValidString(n), "name %d %q", i, n)
			require.NotEmpty(t, n)
			require.LessOrEqual(t, len(n), MaxLabel)
			require.Equal(t, trimSpace(n), n)
			for _, r := range n {
				require.False(t, badInName(r), "name %d %q has %U", i, n, r)
			}
		}
		// A text whose first name starts with [ or { reads as JSON.
		if c := names[0][0]; c != '[' && c != '{' {
			text, err := ParseLabels([]byte(strings.Join(names, "\n")), classes)
			require.NoError(t, err, "the names as text")
			require.Equal(t, names, text)
		}
		js, err := json.Marshal(names)
		require.NoError(t, err)
		back, err := ParseLabels(js, classes)
		require.NoError(t, err, "the names as JSON")
		require.Equal(t, names, back)
	})
}
