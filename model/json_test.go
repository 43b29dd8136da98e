package model

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// jsonHeaders are headers for the comparisons with the oracle: every
// token error, every error inside a scalar, in each place of the schema.
var jsonHeaders = []string{
	``, ` `, `{}`, ` { } `, `{}  x`, `{}}`, `[]`, `"a"`, `1`, `null`, `{`, `{ `, `{"`, `{"a`, `{"a"`, `{"a" `, `{"a":`,
	`{,}`, `{1:2}`, `{"a" 1}`, `{"a":1 "b":2}`, `{"a":}`, `{"a":{},}`, `{]`, `{"a":{}]`, `{"a"x`, `{:}`,
	`{"__metadata__":{}}`, `{"__metadata__":{"a":"b","c":"d"}}`, `{"__metadata__":{"a":"b","a":"c"}}`,
	`{"__metadata__":{},"__metadata__":{}}`, `{"__metadata__":{"a":1}}`, `{"__metadata__":{"a":{}}}`,
	`{"__metadata__":{"a":[1]}}`, `{"__metadata__":{"a":null}}`, `{"__metadata__":{"a":true}}`,
	`{"__metadata__":[]}`, `{"__metadata__":"x"}`, `{"__metadata__":1.5e3}`, `{"__metadata__" : { "lrp.graph" : "x" } }`,
	`{"__metadata__":{"a":"\u0041\ud83d\ude00\ud800x\udc00\n\t\"\\\/\b\f\r"}}`,
	`{"__metadata__":{"a":"\x"}}`, `{"__metadata__":{"a":"\u12x4"}}`, `{"__metadata__":{"a":"` + "\x01" + `"}}`,
	`{"__metadata__":{"a":"b"`, `{"__metadata__":{"a":"b`, `{"__metadata__":{"a":"b\`, `{"__metadata__":{"a":"\u12`,
	`{"__metadata__":{"\u0061":"b","a":"c"}}`, `{"__meta\u0064ata__":{"a":"b"}}`,
	`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}`,
	`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[],"data_offsets":[4,8]}}`,
	`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"a":{}}`,
	`{"a":{"dtype":"F32","dtype":"F32"}}`, `{"a":{"dtype":1}}`, `{"a":{"dtype":{}}}`, `{"a":{"dtype":[]}}`,
	`{"a":{"shape":[1,2,3,4,5,6,7,8,9]}}`, `{"a":{"shape":[1,2,3,4,5,6,7,8 ,9]}}`, `{"a":{"shape":[1.5]}}`,
	`{"a":{"shape":[-1]}}`, `{"a":{"shape":[-0]}}`, `{"a":{"shape":[1e3]}}`, `{"a":{"shape":["1"]}}`,
	`{"a":{"shape":[null]}}`, `{"a":{"shape":[true]}}`, `{"a":{"shape":[false]}}`, `{"a":{"shape":[[1]]}}`,
	`{"a":{"shape":[{}]}}`, `{"a":{"shape":[99999999999999999999]}}`, `{"a":{"shape":{}}}`, `{"a":{"shape":1}}`,
	`{"a":{"shape":"["}}`, `{"a":{"shape":[1,]}}`, `{"a":{"shape":[,1]}}`, `{"a":{"shape":[1 2]}}`, `{"a":{"shape":[1}}`,
	`{"a":{"shape":[01]}}`, `{"a":{"shape":[-]}}`, `{"a":{"shape":[-x]}}`, `{"a":{"shape":[1.]}}`, `{"a":{"shape":[1.x]}}`,
	`{"a":{"shape":[1e]}}`, `{"a":{"shape":[1e+]}}`, `{"a":{"shape":[1ex]}}`, `{"a":{"shape":[1E-2]}}`, `{"a":{"shape":[1`,
	`{"a":{"shape":[tru]}}`, `{"a":{"shape":[trux]}}`, `{"a":{"shape":[fals]}}`, `{"a":{"shape":[nul`, `{"a":{"shape":[nulx]}}`,
	`{"a":{"shape":[x]}}`, `{"a":{"shape":[` + "\xc3\xa9" + `]}}`, `{"a":{"shape":[` + "\x7f" + `]}}`, `{"a":{"shape":['1']}}`,
	`{"a":{"data_offsets":[0]}}`, `{"a":{"data_offsets":[0,1,2]}}`, `{"a":{"data_offsets":[-4,0]}}`, `{"a":{"data_offsets":[]}}`,
	`{"a":{"dtype":"F32","shape":[1]}}`, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,8]}}`,
	`{"a":{"dtype":"BF16","shape":[1],"data_offsets":[0,2]}}`, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F16","shape":[1],"data_offsets":[4,6]}}`,
	`{"a":{"dtype":"F32","shape":[4611686018427387904,4],"data_offsets":[0,4]}}`, `{"a":{"other":1}}`, `{"a":{"":1}}`,
	`{"a":[]}`, `{"a":1}`, `{"a":"x"}`, `{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}} x`,
	`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}` + "\t\r\n ",
	"{\"a\"\t:\n{\"dtype\"\r:\"F32\" , \"shape\" : [ 1 ] , \"data_offsets\" : [ 0 , 4 ] } }",
	`{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}` + strings.Repeat(" ", 20) + `,"b":`,
	`{"` + strings.Repeat("k", 100) + `":{"x":1}}`, `{"a":{"shape":[` + strings.Repeat("9", 100) + `]}}`,
	`{"a":{"dtype":"` + strings.Repeat("\\n", 20) + `","shape":[1],"data_offsets":[0,4]}}`,
}

// TestHeaderReaderOracle reads jsonHeaders and the testdata files with
// both header readers.
func TestHeaderReaderOracle(t *testing.T) {
	for _, h := range jsonHeaders {
		checkHeaderReader(t, stRaw(h, nil))
	}
	files, err := filepath.Glob(filepath.Join(safetensorsDir, "*.safetensors"))
	require.NoError(t, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		checkHeaderReader(t, b)
	}
}

func FuzzHeaderReader(f *testing.F) {
	for _, h := range jsonHeaders {
		f.Add(h)
	}
	f.Fuzz(func(t *testing.T, h string) { checkHeaderReader(t, stRaw(h, nil)) })
}

// checkHeaderReader requires parseHeader and oracleParseHeader to read
// file b to the same error or the same metadata and tensors.
func checkHeaderReader(t *testing.T, b []byte) {
	t.Helper()
	got, want := newSTDecoder(b), newSTDecoder(b)
	gotErr, wantErr := got.parseHeader(), want.oracleParseHeader()
	require.Equal(t, errorText(wantErr), errorText(gotErr), "header %q", headerOf(b))
	if wantErr == nil {
		require.Equal(t, want.meta, got.meta, "header %q: metadata", headerOf(b))
		require.Equal(t, want.metaAt, got.metaAt, "header %q: metadata offsets", headerOf(b))
		require.Equal(t, want.tensors, got.tensors, "header %q: tensors", headerOf(b))
		require.Equal(t, want.dtype, got.dtype, "header %q: dtype", headerOf(b))
	}
}

func headerOf(b []byte) string {
	if len(b) < 8 || binary.LittleEndian.Uint64(b) > uint64(len(b)-8) {
		return string(b)
	}
	return string(b[8 : 8+binary.LittleEndian.Uint64(b)])
}

// errorText is err with its type and, for a *FormatError, its offset.
func errorText(err error) string {
	if err == nil {
		return "<nil>"
	}
	return fmt.Sprintf("%s %v", reflect.TypeOf(err), err)
}

// jsonGraphs are lrp.graph documents for the comparisons with the oracle:
// every kind of value in every field, keys that match a field under case
// folding, repeated fields, nulls, and the errors of each pass the oracle
// made.
var jsonGraphs = []string{
	``, ` `, `"`, ` "a`, `-`, `tr`, `"\u12`, `{}`, `[]`, `1`, `"a"`, `true`, `null`, `{} `, `{}x`, `{} {}`, `{}]`, `{"version":1} 2`, `{`, `{"version":1`, `{"version":tru`,
	`{"version":1}`, `{"version":2}`, `{"version":null}`, `{"version":1.0}`, `{"version":"1"}`, `{"version":[1]}`,
	`{"version":{}}`, `{"version":true}`, `{"version":1e400}`, `{"version":-1e400}`, `{"version":1e300}`, `{"version":99999999999999999999}`,
	`{"Version":1}`, `{"VERSION":1,"version":2}`, `{"version":1,"Version":null}`, `{"version":null,"Version":1}`,
	`{"version":1,"version":1}`, `{"version":"x","VERSION":[]}`, `{"layers":[],"version":2}`, `{"version":1,"layers":[]}`,
	`{"version":1,"name":"x","Name":"y"}`, `{"version":1,"name":1}`, `{"version":1,"name":null}`, `{"version":1,"name":{"a":[1]}}`,
	`{"version":1,"input":{"shape":[1,2],"low":0,"high":1.5,"mean":[0.5],"std":[1e-3]}}`,
	`{"version":1,"input":{"shape":[1,2,3],"Shape":[4],"SHAPE":[5,null,null,null,null]}}`,
	`{"version":1,"input":{"shape":[1,2,3],"shape ":[]}}`, `{"version":1,"input":{"shape":null}}`, `{"version":1,"input":{"shape":[]}}`,
	`{"version":1,"input":{"shape":["1"]}}`, `{"version":1,"input":{"shape":[1.5]}}`, `{"version":1,"input":{"shape":[true]}}`,
	`{"version":1,"input":{"shape":{}}}`, `{"version":1,"input":{"shape":1}}`, `{"version":1,"input":{"low":1e39}}`,
	`{"version":1,"input":{"low":-1e39}}`, `{"version":1,"input":{"low":1e-50}}`, `{"version":1,"input":{"low":"0"}}`,
	`{"version":1,"input":{"mean":[1,null,3],"Mean":[4,5]}}`, `{"version":1,"input":{"std":[1e40]}}`, `{"version":1,"input":{"x":1}}`,
	`{"version":1,"input":null}`, `{"version":1,"input":[]}`, `{"version":1,"input":3}`, `{"version":1,"input":"x"}`, `{"version":1,"input":false}`,
	`{"version":1,"input":{"low":1},"Input":{"high":2}}`, `{"version":1,"ſhape":1}`, `{"version":1,"input":{"ſhape":[1]}}`,
	`{"version":1,"labels":["a","b"]}`, `{"version":1,"labels":[]}`, `{"version":1,"labels":null}`, `{"version":1,"labels":[null,"b"],"Labels":["c"]}`,
	`{"version":1,"labels":[1]}`, `{"version":1,"labels":"a"}`, `{"version":1,"labels":{}}`,
	`{"version":1,"card":{"a":"b"}}`, `{"version":1,"card":{}}`, `{"version":1,"card":null}`, `{"version":1,"card":{"a":"b"},"Card":{"c":"d"}}`,
	`{"version":1,"card":{"a":1}}`, `{"version":1,"card":{"a":null}}`, `{"version":1,"card":{"a":{}}}`, `{"version":1,"card":[]}`, `{"version":1,"card":"x"}`,
	`{"version":1,"card":{"a":"b","a":"c"}}`,
	`{"version":1,"nodes":[]}`, `{"version":1,"nodes":null}`, `{"version":1,"nodes":{}}`, `{"version":1,"nodes":[1]}`, `{"version":1,"nodes":[null]}`,
	`{"version":1,"nodes":[[]]}`, `{"version":1,"nodes":["x"]}`, `{"version":1,"nodes":[{"x":1}]}`,
	`{"version":1,"nodes":[{"name":"a","op":"relu","inputs":["input"]},{"name":"b","op":"dense","inputs":["a"],"in_features":3,"out_features":2,"weight":"w","bias":"b"}]}`,
	`{"version":1,"nodes":[{"name":"a","weight":"w"},{"name":"b"}],"Nodes":[{"name":"c"}],"NODES":[{"op":"x"},{"op":"y"},null]}`,
	`{"version":1,"nodes":[{"name":"c","op":"conv2d","in_channels":1,"out_channels":2,"kernel":[3,3],"stride":[1,1],"dilation":[1,1],"padding":[0,0,0,0],"groups":1}]}`,
	`{"version":1,"nodes":[{"name":"p","op":"avgpool2d","count_include_pad":true,"Count_Include_Pad":null}]}`,
	`{"version":1,"nodes":[{"name":"p","count_include_pad":1}]}`, `{"version":1,"nodes":[{"name":"p","count_include_pad":"true"}]}`,
	`{"version":1,"nodes":[{"name":"n","op":"batchnorm","channels":2,"eps":1e-5,"mean":"m","var":"v"}]}`,
	`{"version":1,"nodes":[{"name":"p","op":"maxpool2d","ceil_mode":true,"Ceil_Mode":false},{"name":"h","op":"hardsigmoid","alpha":0.2,"beta":0.5,"ALPHA":null}]}`,
	`{"version":1,"nodes":[{"name":"c","op":"concat","inputs":["input","input","a"]},{"name":"g","op":"mul","inputs":["c","s"]}]}`,
	`{"version":1,"nodes":[{"alpha":1e39}]}`, `{"version":1,"nodes":[{"beta":"0.5"}]}`, `{"version":1,"nodes":[{"ceil_mode":1}]}`,
	`{"version":1,"nodes":[{"eps":-0}]}`, `{"version":1,"nodes":[{"eps":1e39}]}`, `{"version":1,"nodes":[{"groups":1.5}]}`,
	`{"version":1,"nodes":[{"groups":9223372036854775808}]}`, `{"version":1,"nodes":[{"groups":-9223372036854775808}]}`,
	`{"version":1,"nodes":[{"inputs":"a"}]}`, `{"version":1,"nodes":[{"inputs":[1]}]}`, `{"version":1,"nodes":[{"inputs":[["a"]]}]}`,
	`{"version":1,"nodes":[{"kernel":[1,"2"]}]}`, `{"version":1,"nodes":[{"kernel":{"a":1}}]}`, `{"version":1,"nodes":[{"Weight":"w","wEIGHT":"v"}]}`,
	`{"version":1,"nodes":[{"name":"a"},{"name":"a","name":"b"}]}`, `{"version":1,"nodes":[{"name":"\u0061","\u006eame":"b"}]}`,
	`{"version":1,"nodes":[{"name":"\ud800\udc00\ud800\u0041\"\\\/\b\f\n\r\t"}]}`, `{"version":1,"nodes":[{"name":"` + "\xff\xfe" + `"}]}`,
	`{"version":1,"nodes":[{"name":"\x"}]}`, `{"version":1,"nodes":[{"name":"a` + "\n" + `"}]}`, `{"version":1,"nodes":[{"name":1e400}]}`,
	`{"version":1,"x":1e400}`, `{"version":1,"x":[1e308,1.8e308]}`, `{"version":1,"x":-` + strings.Repeat("9", 400) + `}`,
	`{"version":1,"x":` + strings.Repeat("9", 300) + `}`, `{"version":1,"x":0.` + strings.Repeat("9", 400) + `}`,
	`{"version":1,"x":` + strings.Repeat("[", 15) + strings.Repeat("]", 15) + `}`,
	`{"version":1,"x":` + strings.Repeat("[", 16) + strings.Repeat("]", 16) + `}`,
	strings.Repeat("[", 17) + strings.Repeat("]", 17), strings.Repeat("{\"a\":", 17) + "1" + strings.Repeat("}", 17),
	`{"version":1,"x":{"a":1,"a":2}}`, `{"version":1,"x":[{"a":1},{"a":2}]}`, `{"version":1,"version":1}`,
	`{"version":2,"x":{"a":1,"a":2}}`, `{"nodes":[1],"version":"a"}`, `{"nodes":[1],"version":2}`, `{"nodes":[1],"version":1,"y":2}`,
	`{"version":1,"nodes":[{"name":"a","op":"relu","inputs":["input"]}],"x":1}`, `{"version":1,"y":2,"nodes":[1]}`,
	manyKeys(40, false), manyKeys(40, true), manyKeys(16, true), manyKeys(17, true),
}

// jsonGraphsLarge are documents with more nodes than a model may have:
// the reader keeps only lrp.MaxNodes+1 of them.
var jsonGraphsLarge = []string{
	manyNodes(lrp.MaxNodes, ""), manyNodes(lrp.MaxNodes+1, ""), manyNodes(lrp.MaxNodes+2, ""),
	manyNodes(lrp.MaxNodes+5, `,"Nodes":[{"name":"a"}]`), manyNodes(lrp.MaxNodes+5, `,"Nodes":null`),
	manyNodes(lrp.MaxNodes+5, `,"Nodes":7`), manyNodes(lrp.MaxNodes+5, `,"x":1`),
	strings.Replace(manyNodes(lrp.MaxNodes+3, ""), "{}]", `{"name":1}]`, 1),
}

// manyNodes is a document of n empty nodes, then more.
func manyNodes(n int, more string) string {
	return `{"version":1,"nodes":[` + strings.Repeat("{},", n-1) + "{}]" + more + "}"
}

// manyKeys is a document with an object of n keys, the last a repeat of
// the first if dup.
func manyKeys(n int, dup bool) string {
	var b strings.Builder
	b.WriteString(`{"version":1,"card":{`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		k := i
		if dup && i == n-1 {
			k = 0
		}
		fmt.Fprintf(&b, `"k%d":"v"`, k)
	}
	b.WriteString("}}")
	return b.String()
}

// TestGraphReaderOracle reads jsonGraphs and the documents of the
// testdata files with both graph readers.
func TestGraphReaderOracle(t *testing.T) {
	for _, doc := range append(jsonGraphs, jsonGraphsLarge...) {
		checkGraphReader(t, doc)
	}
	files, err := filepath.Glob(filepath.Join(safetensorsDir, "*.safetensors"))
	require.NoError(t, err)
	for _, name := range files {
		b, err := os.ReadFile(name)
		require.NoError(t, err)
		d := newSTDecoder(b)
		if d.oracleParseHeader() == nil {
			if doc, ok := d.meta[graphKey]; ok {
				checkGraphReader(t, doc)
			}
		}
	}
}

func FuzzGraphReader(f *testing.F) {
	for _, doc := range jsonGraphs {
		f.Add(doc)
	}
	f.Fuzz(checkGraphReader)
}

// checkGraphReader requires parseGraph and oracleParseGraph to read doc
// to the same error or the same graphJSON.
func checkGraphReader(t *testing.T, doc string) {
	t.Helper()
	d := &graphDecoder{at: 100}
	got, gotErr := d.parseGraph(doc)
	want, wantErr := d.oracleParseGraph(doc)
	if wantErr == nil && len(want.Nodes) > lrp.MaxNodes { // model's first check
		want, wantErr = nil, d.tooManyNodes(len(want.Nodes))
	}
	require.Equal(t, errorText(wantErr), errorText(gotErr), "document %q", doc)
	require.Equal(t, want, got, "document %q", doc)
}

// TestNodeAttrs checks nodeJSON.attrs against reflection: each attribute
// field set alone, to a value that is not zero, is the only one set.
func TestNodeAttrs(t *testing.T) {
	var n nodeJSON
	require.Len(t, n.attrs(), reflect.TypeFor[nodeJSON]().NumField()-3, "attributes against the fields of nodeJSON")
	for i := range n.attrs() {
		var n nodeJSON
		f := reflect.ValueOf(&n).Elem().Field(3 + i)
		switch f.Kind() {
		case reflect.Int:
			f.SetInt(-1)
		case reflect.Slice:
			f.Set(reflect.MakeSlice(f.Type(), 0, 0))
		case reflect.Bool:
			f.SetBool(true)
		case reflect.Float32:
			f.SetFloat(0.5)
		case reflect.String:
			f.SetString("x")
		default:
			t.Fatalf("field %s: kind %s", nodeFields[3+i], f.Kind())
		}
		want := n.attrs()
		clear(want[:])
		want[i] = true
		require.False(t, f.IsZero(), "field %s", nodeFields[3+i])
		require.Equal(t, want, n.attrs(), "field %s set", nodeFields[3+i])
	}
}

// TestJSONCount checks the look-ahead count of array elements, which must
// be exact for valid arrays.
func TestJSONCount(t *testing.T) {
	for _, tc := range []struct {
		array string
		n     int
	}{
		{`[]`, 0}, {`[ ]`, 0}, {"[\n\t]", 0}, {`[1]`, 1}, {`[ 1 ]`, 1}, {`[1,2]`, 2}, {`[[],{}]`, 2},
		{`[[1,2],{"a":[3,4],"b":5},"x,y]","\"],[",null]`, 5}, {`[{"a":"\\"},"]"]`, 2}, {`["\u005d,"]`, 1},
	} {
		s := jsonScanner{s: tc.array + " ,1]"}
		tok, err := s.next()
		require.NoError(t, err)
		require.Equal(t, jsonBeginArray, tok)
		require.Equal(t, tc.n, s.count(), "array %s", tc.array)
		require.Equal(t, 1, s.pos, "count moved the scanner")
	}
}

// TestGraphManyNodesMemory: a 6 MB document of 2,000,000 empty nodes
// fails with the count of them all, having kept only lrp.MaxNodes+1
// (it used to take 1.6 GB in wasm).
func TestGraphManyNodesMemory(t *testing.T) {
	b := stRaw(`{"__metadata__":{"lrp.graph":"`+strings.ReplaceAll(manyNodes(2_000_000, ""), `"`, `\"`)+`"}}`, nil)
	var before, after runtime.MemStats
	runtime.GC()
	runtime.ReadMemStats(&before)
	_, err := DecodeSafetensors(b)
	runtime.ReadMemStats(&after)
	require.ErrorContains(t, err, "lrp.graph: 2000000 nodes, more than the 131072 allowed")
	assert.Less(t, after.TotalAlloc-before.TotalAlloc, uint64(len(b))+(lrp.MaxNodes+1)*uint64(reflect.TypeFor[nodeJSON]().Size())+32<<20)
}
