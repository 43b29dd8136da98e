package model

import (
	"bytes"
	"cmp"
	"encoding/binary"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
	"github.com/x448/float16"
)

// -update rewrites the files in testdata/safetensors. Other test files of
// the package may define the same flag; the first definition wins.
func init() {
	if flag.Lookup("update") == nil {
		flag.Bool("update", false, "rewrite golden files in testdata")
	}
}

func stUpdating() bool {
	return flag.Lookup("update").Value.(flag.Getter).Get().(bool)
}

const safetensorsDir = "testdata/safetensors"

// stWeights returns a source of n deterministic weights in [-1, 1), and of
// n in [0.5, 1.5), passed through round.
func stWeights(rng *rand.Rand, round func(float32) float32) (w, pos func(n int) []float32) {
	gen := func(n int, f func(float64) float64) []float32 {
		v := make([]float32, n)
		for i := range v {
			v[i] = round(float32(f(rng.Float64()*2 - 1)))
		}
		return v
	}
	w = func(n int) []float32 { return gen(n, func(x float64) float64 { return x }) }
	pos = func(n int) []float32 { return gen(n, func(x float64) float64 { return math.Abs(x) + 0.5 }) }
	return w, pos
}

func stExact(v float32) float32 { return v }

func stRoundF16(v float32) float32 { return float16.Fromfloat32(v).Float32() }

// stMLP is input [8] → dense 8→16 → relu → dense 16→3, with labels.
func stMLP(t testing.TB, round func(float32) float32) *lrp.Model {
	w, _ := stWeights(rand.New(rand.NewPCG(1, 2)), round)
	m, err := lrp.NewModel("mlp", lrp.InputSpec{Shape: []int{8}, Low: -1, High: 1}, []lrp.Node{
		{Name: "fc1", Layer: &lrp.Dense{In: 8, Out: 16, W: w(128), B: w(16)}, Inputs: []int{lrp.Input}},
		{Name: "relu", Layer: &lrp.ReLU{}, Inputs: []int{0}},
		{Name: "fc2", Layer: &lrp.Dense{In: 16, Out: 3, W: w(48)}, Inputs: []int{1}},
	}, []string{"cat", "dog", "bird"})
	require.NoError(t, err)
	return m
}

// stCNN uses every layer type and every attribute: a dilated, strided,
// asymmetrically padded conv, batchnorm, relu6, a grouped conv in a residual
// block, maxpool, avgpool with and without count_include_pad, a 1×1 conv
// without bias, global average pooling, flatten and dense.
func stCNN(t testing.TB, round func(float32) float32) *lrp.Model {
	w, pos := stWeights(rand.New(rand.NewPCG(3, 4)), round)
	in := lrp.InputSpec{Shape: []int{3, 9, 10}, Low: 0, High: 1,
		Mean: []float32{0.485, 0.456, 0.406}, Std: []float32{0.229, 0.224, 0.225}}
	m, err := lrp.NewModel("cnn", in, []lrp.Node{
		{Name: "conv1", Layer: &lrp.Conv2D{InC: 3, OutC: 4, KH: 3, KW: 2, SH: 1, SW: 2, DH: 2, DW: 1,
			PT: 1, PL: 0, PB: 2, PR: 1, Groups: 1, W: w(4 * 3 * 3 * 2), B: w(4)}, Inputs: []int{lrp.Input}}, // [4 8 5]
		{Name: "bn1", Layer: &lrp.BatchNorm{Mean: w(4), Var: pos(4), Gamma: w(4), Beta: w(4), Eps: 1e-5}, Inputs: []int{0}},
		{Name: "act1", Layer: &lrp.ReLU6{}, Inputs: []int{1}},
		{Name: "conv2", Layer: &lrp.Conv2D{InC: 4, OutC: 4, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
			PT: 1, PL: 1, PB: 1, PR: 1, Groups: 2, W: w(4 * 2 * 3 * 3), B: w(4)}, Inputs: []int{2}},
		{Name: "res", Layer: &lrp.Add{}, Inputs: []int{2, 3}},
		{Name: "act2", Layer: &lrp.ReLU{}, Inputs: []int{4}},
		{Name: "pool1", Layer: &lrp.MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PB: 1, PR: 1}, Inputs: []int{5}}, // [4 4 3]
		{Name: "pool2", Layer: &lrp.AvgPool2D{KH: 2, KW: 2, SH: 1, SW: 1, PT: 1, PL: 1, CountIncludePad: true}, Inputs: []int{6}},
		{Name: "pool3", Layer: &lrp.AvgPool2D{KH: 3, KW: 3, SH: 1, SW: 1, PT: 1, PL: 1, PB: 1, PR: 1}, Inputs: []int{7}},
		{Name: "conv3", Layer: &lrp.Conv2D{InC: 4, OutC: 6, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1, W: w(24)}, Inputs: []int{8}},
		{Name: "gap", Layer: &lrp.GlobalAvgPool{}, Inputs: []int{9}},
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{10}},
		{Name: "fc", Layer: &lrp.Dense{In: 6, Out: 5, W: w(30), B: w(5)}, Inputs: []int{11}},
	}, []string{"a", "b", "c", "d", "e"})
	require.NoError(t, err)
	return m
}

// stArch uses every layer kind of issue 19 and its attributes: a Concat of
// three inputs (one read twice), a squeeze-and-excitation gate (Mul), the
// activations with and without parameters, an unfolded BatchNorm, and
// pooling in ceil mode.
func stArch(t testing.TB, round func(float32) float32) *lrp.Model {
	w, pos := stWeights(rand.New(rand.NewPCG(5, 6)), round)
	conv := func(in, out, k, pad int) *lrp.Conv2D {
		return &lrp.Conv2D{InC: in, OutC: out, KH: k, KW: k, SH: 1, SW: 1, DH: 1, DW: 1, PT: pad, PL: pad, PB: pad, PR: pad, Groups: 1, W: w(out * in * k * k), B: w(out)}
	}
	m, err := lrp.NewModel("arch", lrp.InputSpec{Shape: []int{3, 7, 7}, Low: 0, High: 1}, []lrp.Node{
		{Name: "stem", Layer: conv(3, 4, 3, 1), Inputs: []int{lrp.Input}},
		{Name: "silu", Layer: &lrp.SiLU{}, Inputs: []int{0}},
		{Name: "e1", Layer: conv(4, 2, 1, 0), Inputs: []int{1}},
		{Name: "hswish", Layer: &lrp.HardSwish{}, Inputs: []int{2}},
		{Name: "cat", Layer: &lrp.Concat{}, Inputs: []int{3, 1, 3}}, // [8 7 7]
		{Name: "squeeze", Layer: &lrp.GlobalAvgPool{}, Inputs: []int{4}},
		{Name: "fc1", Layer: conv(8, 2, 1, 0), Inputs: []int{5}},
		{Name: "gelu", Layer: &lrp.GELU{}, Inputs: []int{6}},
		{Name: "fc2", Layer: conv(2, 8, 1, 0), Inputs: []int{7}},
		{Name: "hsig", Layer: &lrp.HardSigmoid{Alpha: 1.0 / 6, Beta: 0.5}, Inputs: []int{8}},
		{Name: "scale", Layer: &lrp.Mul{}, Inputs: []int{4, 9}},
		{Name: "bn", Layer: &lrp.BatchNorm{Mean: w(8), Var: pos(8), Gamma: w(8), Beta: w(8), Eps: 1e-5}, Inputs: []int{10}},
		{Name: "leaky", Layer: &lrp.LeakyReLU{Alpha: 0.01}, Inputs: []int{11}},
		{Name: "conv", Layer: conv(8, 4, 3, 1), Inputs: []int{12}},
		{Name: "elu", Layer: &lrp.ELU{Alpha: 1.5}, Inputs: []int{13}},
		{Name: "tanh", Layer: &lrp.Tanh{}, Inputs: []int{14}},
		{Name: "sigmoid", Layer: &lrp.Sigmoid{}, Inputs: []int{15}},
		{Name: "maxpool", Layer: &lrp.MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, Ceil: true}, Inputs: []int{16}}, // [4 4 4]
		{Name: "avgpool", Layer: &lrp.AvgPool2D{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1, CountIncludePad: true, Ceil: true}, Inputs: []int{17}},
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{18}},
		{Name: "fc", Layer: &lrp.Dense{In: 4 * 3 * 3, Out: 3, W: w(108), B: w(3)}, Inputs: []int{19}},
	}, nil)
	require.NoError(t, err)
	return m
}

// stChannels uses every channel kind of issue 19 and its attributes: a
// channel split into two slices (one strided), a shuffle, a LayerNorm,
// and Scales with and without a bias.
func stChannels(t testing.TB, round func(float32) float32) *lrp.Model {
	w, pos := stWeights(rand.New(rand.NewPCG(7, 8)), round)
	m, err := lrp.NewModel("channels", lrp.InputSpec{Shape: []int{3, 5, 5}, Low: 0, High: 1}, []lrp.Node{
		{Name: "stem", Layer: &lrp.Conv2D{InC: 3, OutC: 6, KH: 1, KW: 1, SH: 1, SW: 1, DH: 1, DW: 1, Groups: 1, W: w(18), B: w(6)}, Inputs: []int{lrp.Input}},
		{Name: "half", Layer: &lrp.Slice{Start: 0, Stop: 3, Step: 1}, Inputs: []int{0}},
		{Name: "odd", Layer: &lrp.Slice{Start: 1, Stop: 6, Step: 2}, Inputs: []int{0}},
		{Name: "cat", Layer: &lrp.Concat{}, Inputs: []int{1, 2}},
		{Name: "shuffle", Layer: &lrp.Shuffle{Groups: 2}, Inputs: []int{3}},
		{Name: "norm", Layer: &lrp.LayerNorm{Gamma: pos(6), Beta: w(6), Eps: 1e-6}, Inputs: []int{4}},
		{Name: "scale", Layer: &lrp.Scale{W: w(6)}, Inputs: []int{5}},
		{Name: "shift", Layer: &lrp.Scale{W: pos(6), B: w(6)}, Inputs: []int{6}},
		{Name: "flat", Layer: &lrp.Flatten{}, Inputs: []int{7}},
		{Name: "fc", Layer: &lrp.Dense{In: 150, Out: 2, W: w(300), B: w(2)}, Inputs: []int{8}},
	}, nil)
	require.NoError(t, err)
	return m
}

var stCard = map[string]string{"description": "test model", "accuracy": "0.5"}

// stSameModel reports the first difference between two models, or "".
func stSameModel(got, want *lrp.Model) string {
	switch {
	case got.Name != want.Name:
		return fmt.Sprintf("name %q, want %q", got.Name, want.Name)
	case !reflect.DeepEqual(got.Input, want.Input):
		return fmt.Sprintf("input %+v, want %+v", got.Input, want.Input)
	case !reflect.DeepEqual(got.Labels, want.Labels):
		return fmt.Sprintf("labels %q, want %q", got.Labels, want.Labels)
	case len(got.Nodes) != len(want.Nodes):
		return fmt.Sprintf("%d nodes, want %d", len(got.Nodes), len(want.Nodes))
	}
	for i := range got.Nodes {
		if g, w := got.Nodes[i], want.Nodes[i]; !reflect.DeepEqual(g, w) {
			return fmt.Sprintf("node %d:\n got %s %v %+v\nwant %s %v %+v", i, g.Name, g.Inputs, g.Layer, w.Name, w.Inputs, w.Layer)
		}
	}
	return ""
}

func TestSafetensorsRoundTrip(t *testing.T) {
	for _, tc := range []struct {
		name  string
		model func(testing.TB, func(float32) float32) *lrp.Model
		dtype string
		round func(float32) float32
	}{
		{"mlp/F32", stMLP, "F32", stExact},
		{"mlp/F16", stMLP, "F16", stRoundF16},
		{"cnn/F32", stCNN, "F32", stExact},
		{"cnn/F16", stCNN, "F16", stRoundF16},
		{"arch/F32", stArch, "F32", stExact},
		{"arch/F16", stArch, "F16", stRoundF16},
		{"channels/F32", stChannels, "F32", stExact},
		{"channels/F16", stChannels, "F16", stRoundF16},
	} {
		t.Run(tc.name, func(t *testing.T) {
			b, err := EncodeSafetensors(tc.model(t, stExact), stCard, tc.dtype)
			require.NoError(t, err)
			n := binary.LittleEndian.Uint64(b)
			assert.Zero(t, (8+n)%8, "data section starts at %d, want a multiple of 8", 8+n)
			f, err := DecodeSafetensors(b)
			require.NoError(t, err)
			assert.Equal(t, "safetensors", f.Format, "format")
			assert.Equal(t, tc.dtype, f.DType, "dtype")
			assert.Equal(t, stCard, f.Card, "card")
			// F16 weights must be the float32 weights rounded to nearest even.
			assert.Empty(t, stSameModel(f.Model, tc.model(t, tc.round)))
		})
	}
}

// TestSafetensorsF16Error checks the float16 rounding bound on the model
// as a whole: every weight within half an ulp of float16.
func TestSafetensorsF16Error(t *testing.T) {
	want := stCNN(t, stExact)
	b, err := EncodeSafetensors(want, nil, "F16")
	require.NoError(t, err)
	f, err := DecodeSafetensors(b)
	require.NoError(t, err)
	var worst float64
	bad, first := 0, ""
	for i, nd := range f.Model.Nodes {
		got, ws := stLayerWeights(nd.Layer), stLayerWeights(want.Nodes[i].Layer)
		for k := range got {
			for j := range got[k] {
				// Half an ulp: 2^-11 relative for normals, 2^-25 absolute below 2^-14.
				tol := max(math.Abs(float64(ws[k][j]))*0x1p-11, 0x1p-25)
				d := math.Abs(float64(got[k][j] - ws[k][j]))
				worst = max(worst, d/tol)
				if d > tol {
					if bad == 0 {
						first = fmt.Sprintf("node %s weight %d.%d = %v, want %v ± %v", nd.Name, k, j, got[k][j], ws[k][j], tol)
					}
					bad++
				}
			}
		}
	}
	t.Logf("largest error: %.3f of half an ulp", worst)
	assert.Zero(t, bad, "weights more than half an ulp off; the first: %s", first)
}

func stLayerWeights(l lrp.Layer) [][]float32 {
	switch l := l.(type) {
	case *lrp.Dense:
		return [][]float32{l.W, l.B}
	case *lrp.Conv2D:
		return [][]float32{l.W, l.B}
	case *lrp.BatchNorm:
		return [][]float32{l.Mean, l.Var, l.Gamma, l.Beta}
	}
	return nil
}

func TestEncodeSafetensorsErrors(t *testing.T) {
	big := stMLP(t, stExact)
	big.Nodes[0].Layer.(*lrp.Dense).W[5] = 70000
	nan := stMLP(t, stExact)
	nan.Nodes[2].Layer.(*lrp.Dense).W[0] = float32(math.NaN())
	dup := stMLP(t, stExact)
	dup.Nodes[2].Name = "fc1"
	for _, tc := range []struct {
		name  string
		m     *lrp.Model
		dtype string
		want  string
	}{
		{"overflow", big, "F16", "fc1.weight value 5 is 70000"},
		{"overflow ok in F32", big, "F32", ""},
		{"NaN F16", nan, "F16", "fc2.weight value 0 is NaN"},
		{"NaN F32", nan, "F32", "fc2.weight value 0 is NaN"},
		{"dtype", big, "BF16", "unsupported"},
		{"duplicate name", dup, "F32", `name "fc1" is used twice`},
		{"nil", nil, "F32", "nil model"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := EncodeSafetensors(tc.m, nil, tc.dtype)
			if tc.want == "" {
				require.NoError(t, err)
				return
			}
			assert.ErrorContains(t, err, tc.want)
		})
	}
}

// The base of the invalid files: fc1 (dense 3→2, bias) → relu → fc2
// (dense 2→2, no bias), F32. The data section holds fc1.weight at [0, 24),
// fc1.bias at [24, 32) and fc2.weight at [32, 48).
func stTiny(t testing.TB) *lrp.Model {
	m, err := lrp.NewModel("tiny", lrp.InputSpec{Shape: []int{3}, Low: 0, High: 1}, []lrp.Node{
		{Name: "fc1", Layer: &lrp.Dense{In: 3, Out: 2, W: []float32{1, 2, 3, 4, 5, 6}, B: []float32{-1, 1}}, Inputs: []int{lrp.Input}},
		{Name: "relu", Layer: &lrp.ReLU{}, Inputs: []int{0}},
		{Name: "fc2", Layer: &lrp.Dense{In: 2, Out: 2, W: []float32{1, -1, -1, 1}}, Inputs: []int{1}},
	}, nil)
	require.NoError(t, err)
	return m
}

// stRaw returns a safetensors file with the given header text and data.
func stRaw(header string, data []byte) []byte {
	b := binary.LittleEndian.AppendUint64(nil, uint64(len(header)))
	return append(append(b, header...), data...)
}

// stSplit returns the header, as generic JSON, and the data of file b.
func stSplit(t testing.TB, b []byte) (map[string]any, []byte) {
	n := binary.LittleEndian.Uint64(b)
	var h map[string]any
	dec := json.NewDecoder(bytes.NewReader(b[8 : 8+n]))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&h))
	return h, b[8+n:]
}

// stEdit returns b with its header and lrp.graph document changed by f; g is
// nil if f deletes the document.
func stEdit(t testing.TB, b []byte, f func(h, g map[string]any)) []byte {
	h, data := stSplit(t, b)
	meta := h["__metadata__"].(map[string]any)
	var g map[string]any
	dec := json.NewDecoder(strings.NewReader(meta[graphKey].(string)))
	dec.UseNumber()
	require.NoError(t, dec.Decode(&g))
	meta[graphKey] = g
	f(h, g)
	if m, ok := h["__metadata__"].(map[string]any); ok && m[graphKey] != nil {
		g, ok := m[graphKey].(map[string]any)
		if !ok {
			return stRaw(mustJSON(t, h), data) // f replaced the document
		}
		doc, err := json.Marshal(g)
		require.NoError(t, err)
		m[graphKey] = string(doc)
	}
	return stRaw(mustJSON(t, h), data)
}

func mustJSON(t testing.TB, v any) string {
	b, err := json.Marshal(v)
	require.NoError(t, err)
	return string(b)
}

func stNode(g map[string]any, i int) map[string]any { return g["nodes"].([]any)[i].(map[string]any) }

func stTensor(h map[string]any, key string) map[string]any { return h[key].(map[string]any) }

// stInvalidCase is one testdata/safetensors/invalid-NAME.safetensors file:
// how to make it and the error it must give.
type stInvalidCase struct {
	name        string
	make        func(t testing.TB, base, base16 []byte) []byte
	want        string // substring of the error
	unsupported bool   // an UnsupportedError rather than a *FormatError
}

func stHeader(text string, data []byte) func(testing.TB, []byte, []byte) []byte {
	return func(testing.TB, []byte, []byte) []byte { return stRaw(text, data) }
}

func stGraphEdit(f func(h, g map[string]any)) func(testing.TB, []byte, []byte) []byte {
	return func(t testing.TB, base, _ []byte) []byte { return stEdit(t, base, f) }
}

// stCNNEdit is stGraphEdit on the file of stCNN.
func stCNNEdit(f func(h, g map[string]any)) func(testing.TB, []byte, []byte) []byte {
	return func(t testing.TB, _, _ []byte) []byte {
		b, err := EncodeSafetensors(stCNN(t, stExact), nil, "F32")
		require.NoError(t, err)
		return stEdit(t, b, f)
	}
}

// stChannelsEdit is stGraphEdit on the file of stChannels.
func stChannelsEdit(f func(h, g map[string]any)) func(testing.TB, []byte, []byte) []byte {
	return func(t testing.TB, _, _ []byte) []byte {
		b, err := EncodeSafetensors(stChannels(t, stExact), nil, "F32")
		require.NoError(t, err)
		return stEdit(t, b, f)
	}
}

// stArchEdit is stGraphEdit on the file of stArch.
func stArchEdit(f func(h, g map[string]any)) func(testing.TB, []byte, []byte) []byte {
	return func(t testing.TB, _, _ []byte) []byte {
		b, err := EncodeSafetensors(stArch(t, stExact), nil, "F32")
		require.NoError(t, err)
		return stEdit(t, b, f)
	}
}

var stInvalidCases = []stInvalidCase{
	{"empty", func(testing.TB, []byte, []byte) []byte { return nil }, "too short", false},
	{"truncated-4", func(_ testing.TB, b, _ []byte) []byte { return b[:4] }, "too short", false},
	{"truncated-header", func(_ testing.TB, b, _ []byte) []byte { return b[:40] }, "exceeds the 32 bytes after it", false},
	{"truncated-data", func(_ testing.TB, b, _ []byte) []byte { return b[:len(b)-3] }, "past the end of the file", false},
	{"truncated-tensor", func(_ testing.TB, b, _ []byte) []byte { return b[:len(b)-16] }, "past the end of the file", false},
	{"header-length-max", func(testing.TB, []byte, []byte) []byte {
		return append(bytes.Repeat([]byte{0xff}, 8), "{}"...)
	}, "header length 18446744073709551615 exceeds the limit", false},
	{"header-length-17MiB", func(testing.TB, []byte, []byte) []byte {
		return binary.LittleEndian.AppendUint64(nil, 17<<20)
	}, "exceeds the limit of 16777216", false},
	{"header-larger-than-file", func(testing.TB, []byte, []byte) []byte {
		return append(binary.LittleEndian.AppendUint64(nil, 100), "{}"...)
	}, "header length 100 exceeds the 2 bytes after it", false},
	{"header-empty", stHeader("", nil), "unexpected end", false},
	{"header-not-json", stHeader("safetensors!", nil), "invalid character 's'", false},
	{"header-not-object", stHeader(`[{"a":1}]`, nil), "want \"{\" at the header", false},
	{"header-unterminated", stHeader(`{"__metadata__":{"lrp.graph":"{}"`, nil), "unexpected end", false},
	{"header-trailing-text", stHeader(`{}  x`, nil), "text after the header object", false},
	{"header-two-objects", stHeader(`{}{}`, nil), "text after the header object", false},
	{"duplicate-tensor", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`, make([]byte, 4)), `duplicate key "a"`, false},
	{"duplicate-metadata", stHeader(`{"__metadata__":{},"__metadata__":{}}`, nil), `duplicate key "__metadata__"`, false},
	{"duplicate-metadata-key", stHeader(`{"__metadata__":{"lrp.graph":"{}","lrp.graph":"{}"}}`, nil), `duplicate key "lrp.graph"`, false},
	{"duplicate-field", stHeader(`{"a":{"dtype":"F32","shape":[1],"dtype":"F16","data_offsets":[0,4]}}`, make([]byte, 4)), `duplicate key "dtype"`, false},
	{"duplicate-graph-key", stHeader(`{"__metadata__":{"lrp.graph":"{\"version\":1,\"nodes\":[],\"version\":1}"}}`, nil), `lrp.graph: duplicate key "version"`, false},
	{"metadata-not-string", stHeader(`{"__metadata__":{"lrp.graph":{"version":1}}}`, nil), "is not a string", false},
	{"tensor-unknown-field", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4],"extra":0}}`, make([]byte, 4)), `unknown field "extra"`, false},
	{"tensor-missing-field", stHeader(`{"a":{"dtype":"F32","shape":[1]}}`, nil), "needs dtype, shape and data_offsets", false},
	{"tensor-float-dim", stHeader(`{"a":{"dtype":"F32","shape":[1.5],"data_offsets":[0,4]}}`, make([]byte, 4)), "1.5 is not a 64-bit integer", false},
	{"tensor-too-many-dims", stHeader(`{"a":{"dtype":"F32","shape":[1,1,1,1,1,1,1,1,1],"data_offsets":[0,4]}}`, make([]byte, 4)), "more than 8 values", false},
	{"unknown-dtype", stGraphEdit(func(h, g map[string]any) { stTensor(h, "fc1.bias")["dtype"] = "Q7" }), `dtype "Q7"`, true},
	{"bf16-dtype", stGraphEdit(func(h, g map[string]any) { stTensor(h, "fc1.bias")["dtype"] = "BF16" }), `dtype "BF16"`, true},
	{"mixed-dtypes", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[2],"data_offsets":[4,8]}}`, make([]byte, 8)), "mixed dtypes", true},
	{"negative-dim", stGraphEdit(func(h, g map[string]any) { stTensor(h, "fc1.weight")["shape"] = []int{-2, -3} }), "negative dimension -2", false},
	{"negative-offset", stGraphEdit(func(h, g map[string]any) { stTensor(h, "fc1.weight")["data_offsets"] = []int{-24, 0} }), "negative data offset", false},
	{"shape-overflow", stGraphEdit(func(h, g map[string]any) { stTensor(h, "fc1.weight")["shape"] = []int{1 << 32, 1 << 32} }), "overflows", false},
	{"shape-overflow-int64", stHeader(`{"a":{"dtype":"F32","shape":[9223372036854775807,2],"data_offsets":[0,4]}}`, make([]byte, 4)), "overflows", false},
	{"shape-offsets-mismatch", stGraphEdit(func(h, g map[string]any) { stTensor(h, "fc1.weight")["shape"] = []int{2, 2} }), "hold 24 bytes, shape [2 2] of F32 needs 16", false},
	{"offsets-reversed", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,0]}}`, make([]byte, 4)), "data_offsets [4, 0]", false},
	{"offsets-three", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4,8]}}`, make([]byte, 4)), "more than 2 values", false},
	{"offsets-gap", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}`, make([]byte, 12)), `gap of 4 bytes in the data section before tensor "b"`, false},
	{"offsets-not-from-zero", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[4,8]}}`, make([]byte, 8)), `gap of 4 bytes`, false},
	{"offsets-overlap", stHeader(`{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}`, make([]byte, 12)), `tensor "b" overlaps`, false},
	{"offsets-shared", stGraphEdit(func(h, g map[string]any) { stTensor(h, "fc1.bias")["data_offsets"] = []int{0, 8} }), "overlaps", false},
	{"offsets-past-end", stHeader(`{"a":{"dtype":"F32","shape":[1],"data_offsets":[1000000000000,1000000000004]}}`, make([]byte, 4)), "past the end of the file", false},
	{"trailing-bytes", func(_ testing.TB, b, _ []byte) []byte { return append(bytes.Clone(b), 0, 0, 0, 0) }, "4 trailing bytes after the last tensor", false},
	{"data-without-tensors", stHeader(`{}`, make([]byte, 3)), "3 trailing bytes", false},
	{"nan-weight", func(_ testing.TB, b, _ []byte) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint32(b[len(b)-48+4:], 0x7fc00000)
		return b
	}, `tensor "fc1.weight" value 1 is NaN`, false},
	{"inf-weight-f16", func(_ testing.TB, _, b []byte) []byte {
		b = bytes.Clone(b)
		binary.LittleEndian.PutUint16(b[len(b)-2:], 0xfc00)
		return b
	}, `tensor "fc2.weight" value 3 is -Inf`, false},
	{"missing-graph", stGraphEdit(func(h, g map[string]any) { h["__metadata__"] = map[string]any{"format": "pt"} }), "missing lrp.graph", false},
	{"missing-metadata", stGraphEdit(func(h, g map[string]any) { delete(h, "__metadata__") }), "missing lrp.graph", false},
	{"graph-not-json", stGraphEdit(func(h, g map[string]any) { h["__metadata__"] = map[string]any{graphKey: "{nodes"} }), "lrp.graph: invalid character", false},
	{"graph-too-deep", stGraphEdit(func(h, g map[string]any) {
		h["__metadata__"] = map[string]any{graphKey: strings.Repeat("[", 1000) + strings.Repeat("]", 1000)}
	}), "nested deeper than 16 levels", false},
	{"graph-unknown-version", stGraphEdit(func(h, g map[string]any) { g["version"] = 2 }), "lrp.graph version 2", true},
	{"graph-no-version", stGraphEdit(func(h, g map[string]any) { delete(g, "version") }), "lrp.graph: no version", false},
	{"graph-unknown-field", stGraphEdit(func(h, g map[string]any) { g["layers"] = []int{} }), `unknown field "layers"`, false},
	{"graph-missing-tensor", stGraphEdit(func(h, g map[string]any) { stNode(g, 2)["weight"] = "fc3.weight" }), `names tensor "fc3.weight", which the file does not have`, false},
	{"graph-unused-tensor", stGraphEdit(func(h, g map[string]any) { delete(stNode(g, 0), "bias") }), `tensor "fc1.bias" is not used by the graph`, false},
	{"graph-tensor-used-twice", stGraphEdit(func(h, g map[string]any) {
		n := stNode(g, 2)
		n["weight"], n["in_features"], n["out_features"] = "fc1.weight", 3, 2
	}), `"fc1.weight" is used by two nodes`, false},
	{"graph-wrong-shape", stGraphEdit(func(h, g map[string]any) { stNode(g, 0)["in_features"] = 4 }), `tensor "fc1.weight" has shape [2 3], the graph needs [2 4]`, false},
	{"graph-no-weight", stGraphEdit(func(h, g map[string]any) { delete(stNode(g, 2), "weight") }), "names no tensor for a required weight", false},
	{"graph-cycle", stGraphEdit(func(h, g map[string]any) { stNode(g, 0)["inputs"] = []string{"fc2"} }), `reads "fc2", which is not an earlier node`, false},
	{"graph-self-loop", stGraphEdit(func(h, g map[string]any) { stNode(g, 1)["inputs"] = []string{"relu"} }), "not an earlier node", false},
	{"graph-unknown-input", stGraphEdit(func(h, g map[string]any) { stNode(g, 1)["inputs"] = []string{"fc0"} }), `reads unknown input "fc0"`, false},
	{"graph-too-many-inputs", stGraphEdit(func(h, g map[string]any) { stNode(g, 1)["inputs"] = []string{"fc1", "fc1", "input"} }), "has 3 inputs, want 1", false},
	{"graph-duplicate-name", stGraphEdit(func(h, g map[string]any) { stNode(g, 1)["name"] = "fc1" }), `name "fc1" is used twice`, false},
	{"graph-node-named-input", stGraphEdit(func(h, g map[string]any) { stNode(g, 1)["name"] = "input" }), `name "input" is used twice or reserved`, false},
	{"graph-unknown-op", stGraphEdit(func(h, g map[string]any) { stNode(g, 1)["op"] = "softmax" }), `op "softmax"`, true},
	{"graph-pointwise-wide-padding", stCNNEdit(func(h, g map[string]any) { stNode(g, 9)["padding"] = []int{1024, 1024, 1024, 1024} }),
		"node 9 (conv3, conv2d): padding [1024 1024 1024 1024] is not smaller than the 1x1 window", false},
	{"graph-stray-attribute", stGraphEdit(func(h, g map[string]any) { stNode(g, 1)["kernel"] = []int{2, 2} }), `attribute "kernel" does not apply`, false},
	{"graph-huge-features", stGraphEdit(func(h, g map[string]any) { stNode(g, 0)["out_features"] = 1 << 40 }), "out_features 1099511627776 out of range", false},
	{"graph-negative-features", stGraphEdit(func(h, g map[string]any) { stNode(g, 0)["in_features"] = -3 }), "in_features -3 out of range", false},
	{"graph-features-overflow-int", stGraphEdit(func(h, g map[string]any) { stNode(g, 0)["in_features"] = json.Number("1e400") }), "lrp.graph: json: cannot unmarshal", false},
	{"graph-input-mismatch", stGraphEdit(func(h, g map[string]any) { g["input"].(map[string]any)["shape"] = []int{4} }), "dense layer needs a flat input of 3", false},
	{"graph-input-too-large", stGraphEdit(func(h, g map[string]any) { g["input"].(map[string]any)["shape"] = []int{3, 1 << 20, 1 << 20} }), "more than", false},
	{"graph-empty-range", stGraphEdit(func(h, g map[string]any) { g["input"].(map[string]any)["high"] = 0 }), "pixel range [0, 0] is empty", false},
	{"graph-labels-count", stGraphEdit(func(h, g map[string]any) { g["labels"] = []string{"a", "b", "c"} }), "3 labels for 2 outputs", false},
	{"graph-concat-no-inputs", stArchEdit(func(h, g map[string]any) { stNode(g, 4)["inputs"] = []string{} }), `node "cat" (concat) has 0 inputs, want 1 to 1024`, false},
	{"graph-concat-shapes", stArchEdit(func(h, g map[string]any) { stNode(g, 2)["stride"] = []int{2, 2} }),
		"node 4 (cat, concat): concat input 1 has shape [4 7 7], input 0 [2 4 4]: they must agree but on the first axis", false},
	{"graph-gate-shape", stArchEdit(func(h, g map[string]any) { stNode(g, 10)["inputs"] = []string{"cat", "stem"} }),
		"node 10 (scale, mul): mul of a signal [8 7 7] and a gate [4 7 7]: want a gate of one value per channel, [8 1 1]", false},
	{"graph-alpha-on-tanh", stArchEdit(func(h, g map[string]any) { stNode(g, 15)["alpha"] = 2 }), `node "tanh" (tanh): attribute "alpha" does not apply`, false},
	{"graph-ceil-on-conv", stArchEdit(func(h, g map[string]any) { stNode(g, 0)["ceil_mode"] = true }), `node "stem" (conv2d): attribute "ceil_mode" does not apply`, false},
	{"graph-slice-range-length", stChannelsEdit(func(h, g map[string]any) { stNode(g, 1)["range"] = []int{0, 3} }), `node "half": range has 2 values, want 3 (start, stop, step)`, false},
	{"graph-slice-range-negative", stChannelsEdit(func(h, g map[string]any) { stNode(g, 1)["range"] = []int{-1, 3, 1} }), `node "half": range [-1 3 1] out of range`, false},
	{"graph-slice-step-huge", stChannelsEdit(func(h, g map[string]any) { stNode(g, 1)["range"] = []int{0, 3, 1 << 40} }), `node "half": range [0 3 1099511627776] out of range`, false},
	{"graph-slice-past-channels", stChannelsEdit(func(h, g map[string]any) { stNode(g, 2)["range"] = []int{1, 7, 2} }), "node 2 (odd, slice): slice 1:7:2 of 6 channels", false},
	{"graph-shuffle-groups", stChannelsEdit(func(h, g map[string]any) { stNode(g, 4)["groups"] = 4 }), "node 4 (shuffle, shuffle): shuffle of 6 channels in 4 groups", false},
	{"graph-shuffle-no-groups", stChannelsEdit(func(h, g map[string]any) { delete(stNode(g, 4), "groups") }), `node "shuffle": groups 0 out of range`, false},
	{"graph-layernorm-eps", stChannelsEdit(func(h, g map[string]any) { delete(stNode(g, 5), "eps") }), `node "norm": eps 0 must be positive`, false},
	{"graph-layernorm-no-bias", stChannelsEdit(func(h, g map[string]any) { delete(stNode(g, 5), "bias") }), `node "norm" (layernorm) names no tensor for a required weight`, false},
	{"graph-range-on-scale", stChannelsEdit(func(h, g map[string]any) { stNode(g, 6)["range"] = []int{0, 1, 1} }), `node "scale" (scale): attribute "range" does not apply`, false},
	{"graph-no-nodes", stHeader(`{"__metadata__":{"lrp.graph":"{\"version\":1,\"input\":{\"shape\":[3],\"low\":0,\"high\":1},\"nodes\":[]}"}}`, nil), "model has no layers", false},
}

// TestSafetensorsTestdata writes the testdata files with -update, then
// checks that every valid file decodes to its model and every invalid file
// fails with its error.
func TestSafetensorsTestdata(t *testing.T) {
	tiny, err := EncodeSafetensors(stTiny(t), nil, "F32")
	require.NoError(t, err)
	tiny16, err := EncodeSafetensors(stTiny(t), nil, "F16")
	require.NoError(t, err)
	valid := []struct {
		name  string
		model *lrp.Model // the encoded model
		want  *lrp.Model // the decoded model
		dtype string
	}{
		{"valid-tiny-f32", stTiny(t), stTiny(t), "F32"},
		{"valid-mlp-f32", stMLP(t, stExact), stMLP(t, stExact), "F32"},
		{"valid-mlp-f16", stMLP(t, stExact), stMLP(t, stRoundF16), "F16"},
		{"valid-cnn-f32", stCNN(t, stExact), stCNN(t, stExact), "F32"},
		{"valid-cnn-f16", stCNN(t, stExact), stCNN(t, stRoundF16), "F16"},
		{"valid-arch-f32", stArch(t, stExact), stArch(t, stExact), "F32"},
		{"valid-channels-f32", stChannels(t, stExact), stChannels(t, stExact), "F32"},
	}
	if stUpdating() {
		require.NoError(t, os.MkdirAll(safetensorsDir, 0o755))
		for _, v := range valid {
			b, err := EncodeSafetensors(v.model, stCard, v.dtype)
			require.NoError(t, err)
			stWrite(t, v.name, b)
		}
		for _, c := range stInvalidCases {
			stWrite(t, "invalid-"+c.name, c.make(t, tiny, tiny16))
		}
	}
	for _, v := range valid {
		t.Run(v.name, func(t *testing.T) {
			f, err := DecodeSafetensors(stRead(t, v.name))
			require.NoError(t, err)
			assert.Empty(t, stSameModel(f.Model, v.want))
			assert.Equal(t, v.dtype, f.DType, "dtype")
			assert.Equal(t, stCard, f.Card, "card")
		})
	}
	for _, c := range stInvalidCases {
		t.Run(c.name, func(t *testing.T) {
			b := stRead(t, "invalid-"+c.name)
			f, err := DecodeSafetensors(b)
			if err == nil {
				require.FailNowf(t, "no error", "got model %v, want error %q", f.Model.Name, c.want)
			}
			assert.ErrorContains(t, err, c.want)
			var fe *FormatError
			var ue UnsupportedError
			if c.unsupported {
				assert.ErrorAs(t, err, &ue, "got %T, want UnsupportedError", err)
			} else if assert.ErrorAs(t, err, &fe, "got %T, want *FormatError", err) {
				assert.True(t, fe.Offset >= 0 && fe.Offset <= int64(len(b)), "error offset %d outside the %d-byte file", fe.Offset, len(b))
			}
		})
	}
	// Every file in the directory is in one of the tables.
	files, _ := filepath.Glob(filepath.Join(safetensorsDir, "*.safetensors"))
	assert.Len(t, files, len(valid)+len(stInvalidCases), "%s: files against the tables (run with -update)", safetensorsDir)
}

func stWrite(t testing.TB, name string, b []byte) {
	require.NoError(t, os.WriteFile(filepath.Join(safetensorsDir, name+".safetensors"), b, 0o644))
}

func stRead(t testing.TB, name string) []byte {
	b, err := os.ReadFile(filepath.Join(safetensorsDir, name+".safetensors"))
	require.NoError(t, err)
	return b
}

// TestSafetensorsHugeClaims checks that headers claiming huge tensors fail
// before anything of their size is allocated.
func TestSafetensorsHugeClaims(t *testing.T) {
	for _, stHeader := range []string{
		// The data offsets match the shape but reach far past the file.
		`{"a":{"dtype":"F32","shape":[1073741824,1024],"data_offsets":[0,4398046511104]}}`,
		// The shape is huge, the offsets small.
		`{"a":{"dtype":"F16","shape":[1073741824,1073741824],"data_offsets":[0,8]}}`,
		// A graph that asks for a huge layer from a small tensor.
		`{"__metadata__":{"lrp.graph":"{\"version\":1,\"input\":{\"shape\":[3],\"low\":0,\"high\":1},\"nodes\":[{\"name\":\"fc\",\"op\":\"dense\",\"inputs\":[\"input\"],\"in_features\":3,\"out_features\":100000000,\"weight\":\"w\"}]}"},` +
			`"w":{"dtype":"F32","shape":[2],"data_offsets":[0,8]}}`,
	} {
		b := stRaw(stHeader, make([]byte, 8))
		var before, after runtime.MemStats
		runtime.GC()
		runtime.ReadMemStats(&before)
		_, err := DecodeSafetensors(b)
		runtime.ReadMemStats(&after)
		require.Error(t, err, "header %s", stHeader)
		assert.LessOrEqual(t, after.TotalAlloc-before.TotalAlloc, uint64(64<<10), "header %.40s...: bytes allocated before failing (%v)", stHeader, err)
		assert.LessOrEqual(t, testing.AllocsPerRun(10, func() { DecodeSafetensors(b) }), 1000.0, "header %.40s...: allocations before failing", stHeader)
	}
}

func FuzzDecodeSafetensors(f *testing.F) {
	files, err := filepath.Glob(filepath.Join(safetensorsDir, "*.safetensors"))
	require.NoError(f, err)
	require.NotEmpty(f, files, "no seed files in %s", safetensorsDir)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(f, err)
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		file, err := DecodeSafetensors(b)
		if err != nil {
			var fe *FormatError
			var ue UnsupportedError
			require.True(t, errors.As(err, &fe) || errors.As(err, &ue), "error %v is %T, want *FormatError or UnsupportedError", err, err)
			if fe != nil {
				require.True(t, fe.Offset >= 0 && fe.Offset <= int64(len(b)), "error offset %d outside the %d-byte file: %v", fe.Offset, len(b), err)
			}
			return
		}
		// What decodes must encode again, in its own dtype, to the same model.
		dtype := cmp.Or(file.DType, "F32")
		b2, err := EncodeSafetensors(file.Model, file.Card, dtype)
		require.NoError(t, err, "re-encoding")
		file2, err := DecodeSafetensors(b2)
		require.NoError(t, err, "decoding the re-encoded file")
		require.Empty(t, stSameModel(file2.Model, file.Model))
	})
}
