package model

import (
	"encoding/binary"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

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
