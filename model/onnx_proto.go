package model

import (
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"

	"github.com/x448/float16"
	"google.golang.org/protobuf/encoding/protowire"
)

// This file reads the ONNX protobuf messages (onnx/onnx.proto) with
// protowire alone, into the few fields the converter needs. Every message
// parser takes the message bytes and the file offset where they start, so
// that a FormatError can name the byte it failed at.

// Limits on what a file may declare. Everything a limit bounds is also
// bounded by the file size; the limits keep a hostile file from asking for
// more than a browser tab can give.
const (
	onnxMaxNodes = 1 << 16 // nodes, initializers, graph inputs or outputs in one graph
	onnxMaxAttrs = 1 << 8  // attributes of one node
	onnxMaxRank  = 8       // dimensions of one tensor
	onnxMaxElems = 1 << 28 // values in one tensor
)

// TensorProto.DataType values.
const (
	onnxFloat   = 1
	onnxUint8   = 2
	onnxInt8    = 3
	onnxUint16  = 4
	onnxInt16   = 5
	onnxInt32   = 6
	onnxInt64   = 7
	onnxBool    = 9
	onnxFloat16 = 10
	onnxDouble  = 11
)

// AttributeProto.AttributeType values that the converter reads.
const (
	attrFloat   = 1
	attrInt     = 2
	attrString  = 3
	attrTensor  = 4
	attrFloats  = 6
	attrInts    = 7
	attrUnknown = 0 // IR version 1 files leave the type out
)

type onnxModel struct {
	irVersion int64
	producer  string
	version   string // producer_version
	opset     int64  // version of the default ("" or "ai.onnx") operator set, 0 if not listed
	graph     *onnxGraph
}

type onnxGraph struct {
	off     int64
	name    string
	nodes   []*onnxNode
	inits   []*onnxTensor
	inputs  []*onnxValueInfo
	outputs []*onnxValueInfo
}

type onnxNode struct {
	off             int64
	name, op        string
	domain          string
	inputs, outputs []string
	attrs           []*onnxAttr
}

type onnxAttr struct {
	off    int64
	name   string
	typ    int64
	f      float32
	i      int64
	s      []byte
	t      *onnxTensor
	floats []float32
	ints   []int64
}

// An onnxTensor holds the decoded values of a TensorProto: f for the float
// types (float, float16, double), i for the integer types and bool. A tensor
// of another data type keeps neither and is rejected where it is used.
type onnxTensor struct {
	off   int64
	name  string
	dims  []int64
	dtype int64
	n     int // number of values, the product of dims
	f     []float32
	i     []int64
}

type onnxValueInfo struct {
	off      int64
	name     string
	elem     int64 // element type of a tensor type, 0 for other types
	hasShape bool
	dims     []onnxDim
}

// An onnxDim is one TensorShapeProto.Dimension: a value, a symbolic name,
// or neither.
type onnxDim struct {
	value int64
	param string
	known bool
}

// A protoField is one field of a message as read off the wire.
type protoField struct {
	num protowire.Number
	typ protowire.Type
	off int64  // file offset of the value (of the payload, for bytes)
	v   uint64 // the value of varint, fixed32 and fixed64 fields
	b   []byte // the payload of bytes fields
}

func formatErr(off int64, format string, args ...any) error {
	return &FormatError{Offset: off, Msg: fmt.Sprintf(format, args...)}
}

// walkFields calls fn for each field of the message b, which starts at file
// offset base. Groups (deprecated, unused by ONNX) are skipped whole.
func walkFields(b []byte, base int64, fn func(f *protoField) error) error {
	pos := 0
	for pos < len(b) {
		off := base + int64(pos)
		num, typ, n := protowire.ConsumeTag(b[pos:])
		if n < 0 {
			return formatErr(off, "bad field tag: %v", wireErr(n))
		}
		pos += n
		f := protoField{num: num, typ: typ, off: base + int64(pos)}
		switch typ {
		case protowire.VarintType:
			f.v, n = protowire.ConsumeVarint(b[pos:])
		case protowire.Fixed32Type:
			var v uint32
			v, n = protowire.ConsumeFixed32(b[pos:])
			f.v = uint64(v)
		case protowire.Fixed64Type:
			f.v, n = protowire.ConsumeFixed64(b[pos:])
		case protowire.BytesType:
			var m int
			_, m = protowire.ConsumeVarint(b[pos:])
			f.b, n = protowire.ConsumeBytes(b[pos:])
			if n >= 0 {
				f.off += int64(m)
			}
		case protowire.StartGroupType:
			n = protowire.ConsumeFieldValue(num, typ, b[pos:])
		default:
			n = -1
		}
		if n < 0 {
			return formatErr(f.off, "field %d (wire type %d): %v", num, typ, wireErr(n))
		}
		pos += n
		if typ == protowire.StartGroupType {
			continue
		}
		if err := fn(&f); err != nil {
			return err
		}
	}
	return nil
}

// wireErr describes the protowire error code n < 0.
func wireErr(n int) string {
	err := protowire.ParseError(n)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return "truncated: the value runs past the end of its message"
	}
	return err.Error()
}

// expect reports a field whose wire type is not the one its number requires.
func (f *protoField) expect(t protowire.Type) error {
	if f.typ != t {
		return formatErr(f.off, "field %d has wire type %d, want %d", f.num, f.typ, t)
	}
	return nil
}

func (f *protoField) str() (string, error) {
	if err := f.expect(protowire.BytesType); err != nil {
		return "", err
	}
	return string(f.b), nil
}

func (f *protoField) varint() (int64, error) {
	if err := f.expect(protowire.VarintType); err != nil {
		return 0, err
	}
	return int64(f.v), nil
}

// appendVarints appends a repeated integer field, packed or not. Each value
// takes at least one byte of the file, so the slice grows with the input.
func (f *protoField) appendVarints(dst []int64) ([]int64, error) {
	switch f.typ {
	case protowire.VarintType:
		return append(dst, int64(f.v)), nil
	case protowire.BytesType:
		for b, pos := f.b, 0; pos < len(b); {
			v, n := protowire.ConsumeVarint(b[pos:])
			if n < 0 {
				return nil, formatErr(f.off+int64(pos), "packed field %d: %v", f.num, wireErr(n))
			}
			dst = append(dst, int64(v))
			pos += n
		}
		return dst, nil
	}
	return nil, f.expect(protowire.VarintType)
}

// appendFloats appends a repeated float field, packed or not.
func (f *protoField) appendFloats(dst []float32) ([]float32, error) {
	switch f.typ {
	case protowire.Fixed32Type:
		return append(dst, math.Float32frombits(uint32(f.v))), nil
	case protowire.BytesType:
		if len(f.b)%4 != 0 {
			return nil, formatErr(f.off, "packed float field %d has %d bytes, not a multiple of 4", f.num, len(f.b))
		}
		for k := 0; k < len(f.b); k += 4 {
			dst = append(dst, math.Float32frombits(binary.LittleEndian.Uint32(f.b[k:])))
		}
		return dst, nil
	}
	return nil, f.expect(protowire.Fixed32Type)
}

// appendDoubles appends a repeated double field, packed or not.
func (f *protoField) appendDoubles(dst []float64) ([]float64, error) {
	switch f.typ {
	case protowire.Fixed64Type:
		return append(dst, math.Float64frombits(f.v)), nil
	case protowire.BytesType:
		if len(f.b)%8 != 0 {
			return nil, formatErr(f.off, "packed double field %d has %d bytes, not a multiple of 8", f.num, len(f.b))
		}
		for k := 0; k < len(f.b); k += 8 {
			dst = append(dst, math.Float64frombits(binary.LittleEndian.Uint64(f.b[k:])))
		}
		return dst, nil
	}
	return nil, f.expect(protowire.Fixed64Type)
}

// parseONNXModel reads a ModelProto.
func parseONNXModel(data []byte) (*onnxModel, error) {
	if len(data) == 0 {
		return nil, formatErr(0, "empty file")
	}
	m := &onnxModel{}
	err := walkFields(data, 0, func(f *protoField) error {
		var err error
		switch f.num {
		case 1: // ir_version
			m.irVersion, err = f.varint()
		case 2: // producer_name
			m.producer, err = f.str()
		case 3: // producer_version
			m.version, err = f.str()
		case 7: // graph
			if err = f.expect(protowire.BytesType); err != nil {
				return err
			}
			if m.graph != nil {
				return formatErr(f.off, "more than one graph")
			}
			m.graph, err = parseONNXGraph(f.b, f.off)
		case 8: // opset_import
			if err = f.expect(protowire.BytesType); err != nil {
				return err
			}
			var domain string
			var version int64
			err = walkFields(f.b, f.off, func(f *protoField) error {
				var err error
				switch f.num {
				case 1:
					domain, err = f.str()
				case 2:
					version, err = f.varint()
				}
				return err
			})
			if err == nil && (domain == "" || domain == "ai.onnx") {
				m.opset = version
			}
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if m.graph == nil {
		return nil, formatErr(int64(len(data)), "no graph: not an ONNX model")
	}
	return m, nil
}

// parseONNXGraph reads a GraphProto.
func parseONNXGraph(b []byte, base int64) (*onnxGraph, error) {
	g := &onnxGraph{off: base}
	err := walkFields(b, base, func(f *protoField) error {
		var err error
		switch f.num {
		case 2: // name
			g.name, err = f.str()
			return err
		case 1, 5, 11, 12, 13, 15:
		default:
			return nil
		}
		if err := f.expect(protowire.BytesType); err != nil {
			return err
		}
		if len(g.nodes) >= onnxMaxNodes || len(g.inits) >= onnxMaxNodes || len(g.inputs) >= onnxMaxNodes || len(g.outputs) >= onnxMaxNodes {
			return formatErr(f.off, "more than %d nodes, initializers, inputs or outputs", onnxMaxNodes)
		}
		switch f.num {
		case 1: // node
			var n *onnxNode
			n, err = parseONNXNode(f.b, f.off)
			g.nodes = append(g.nodes, n)
		case 5: // initializer
			var t *onnxTensor
			t, err = parseONNXTensor(f.b, f.off)
			g.inits = append(g.inits, t)
		case 11: // input
			var v *onnxValueInfo
			v, err = parseONNXValueInfo(f.b, f.off)
			g.inputs = append(g.inputs, v)
		case 12: // output
			var v *onnxValueInfo
			v, err = parseONNXValueInfo(f.b, f.off)
			g.outputs = append(g.outputs, v)
		case 13: // value_info: intermediate shapes, not needed
		case 15: // sparse_initializer
			err = UnsupportedError("sparse initializers")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// parseONNXNode reads a NodeProto.
func parseONNXNode(b []byte, base int64) (*onnxNode, error) {
	n := &onnxNode{off: base}
	err := walkFields(b, base, func(f *protoField) error {
		var s string
		var err error
		switch f.num {
		case 1: // input
			s, err = f.str()
			n.inputs = append(n.inputs, s)
		case 2: // output
			s, err = f.str()
			n.outputs = append(n.outputs, s)
		case 3:
			n.name, err = f.str()
		case 4:
			n.op, err = f.str()
		case 7:
			n.domain, err = f.str()
		case 5: // attribute
			if err = f.expect(protowire.BytesType); err != nil {
				return err
			}
			if len(n.attrs) >= onnxMaxAttrs {
				return formatErr(f.off, "more than %d attributes", onnxMaxAttrs)
			}
			var a *onnxAttr
			a, err = parseONNXAttr(f.b, f.off)
			n.attrs = append(n.attrs, a)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if n.op == "" {
		return nil, formatErr(base, "node %q has no op_type", n.name)
	}
	return n, nil
}

// parseONNXAttr reads an AttributeProto. Graph, string-list and tensor-list
// values are skipped: no supported operator has them.
func parseONNXAttr(b []byte, base int64) (*onnxAttr, error) {
	a := &onnxAttr{off: base}
	err := walkFields(b, base, func(f *protoField) error {
		var err error
		switch f.num {
		case 1:
			a.name, err = f.str()
		case 2: // f
			if err = f.expect(protowire.Fixed32Type); err == nil {
				a.f = math.Float32frombits(uint32(f.v))
			}
		case 3:
			a.i, err = f.varint()
		case 4:
			if err = f.expect(protowire.BytesType); err == nil {
				a.s = f.b
			}
		case 5:
			if err = f.expect(protowire.BytesType); err == nil {
				a.t, err = parseONNXTensor(f.b, f.off)
			}
		case 7:
			a.floats, err = f.appendFloats(a.floats)
		case 8:
			a.ints, err = f.appendVarints(a.ints)
		case 20:
			a.typ, err = f.varint()
		case 21: // ref_attr_name
			err = UnsupportedError("attribute references (ONNX functions)")
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}

// parseONNXValueInfo reads a ValueInfoProto: the name, and for a tensor type
// its element type and shape.
func parseONNXValueInfo(b []byte, base int64) (*onnxValueInfo, error) {
	v := &onnxValueInfo{off: base}
	err := walkFields(b, base, func(f *protoField) error {
		switch f.num {
		case 1:
			var err error
			v.name, err = f.str()
			return err
		case 2: // type: TypeProto
			if err := f.expect(protowire.BytesType); err != nil {
				return err
			}
			return walkFields(f.b, f.off, func(f *protoField) error {
				if f.num != 1 { // tensor_type
					return nil
				}
				if err := f.expect(protowire.BytesType); err != nil {
					return err
				}
				return v.parseTensorType(f.b, f.off)
			})
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// parseTensorType reads a TypeProto.Tensor.
func (v *onnxValueInfo) parseTensorType(b []byte, base int64) error {
	return walkFields(b, base, func(f *protoField) error {
		var err error
		switch f.num {
		case 1:
			v.elem, err = f.varint()
		case 2: // shape: TensorShapeProto
			if err = f.expect(protowire.BytesType); err != nil {
				return err
			}
			v.hasShape, v.dims = true, nil
			err = walkFields(f.b, f.off, func(f *protoField) error {
				if f.num != 1 { // dim
					return nil
				}
				if err := f.expect(protowire.BytesType); err != nil {
					return err
				}
				if len(v.dims) >= onnxMaxRank {
					return formatErr(f.off, "value %q has more than %d dimensions", v.name, onnxMaxRank)
				}
				var d onnxDim
				err := walkFields(f.b, f.off, func(f *protoField) error {
					var err error
					switch f.num {
					case 1:
						d.value, err = f.varint()
						d.known, d.param = true, ""
					case 2:
						d.param, err = f.str()
						d.known, d.value = false, 0
					}
					return err
				})
				v.dims = append(v.dims, d)
				return err
			})
		}
		return err
	})
}

// parseONNXTensor reads a TensorProto and decodes its values. The number of
// values is the product of dims, checked against onnxMaxElems, and must
// match the data exactly: raw_data holds n·size bytes, a typed field n
// values. So no slice is sized from dims before the data backs it.
func parseONNXTensor(b []byte, base int64) (*onnxTensor, error) {
	t := &onnxTensor{off: base}
	var (
		raw      []byte
		hasRaw   bool
		floats   []float32
		doubles  []float64
		ints     []int64 // int32_data or int64_data
		typed    int     // how many typed data fields are used
		external bool
	)
	err := walkFields(b, base, func(f *protoField) error {
		var err error
		switch f.num {
		case 1: // dims
			t.dims, err = f.appendVarints(t.dims)
			if len(t.dims) > onnxMaxRank {
				return formatErr(f.off, "tensor has more than %d dimensions", onnxMaxRank)
			}
		case 2:
			t.dtype, err = f.varint()
		case 3: // segment
			err = UnsupportedError("segmented tensors")
		case 4:
			floats, err = f.appendFloats(floats)
			typed |= 1
		case 5, 7: // int32_data, int64_data
			ints, err = f.appendVarints(ints)
			typed |= 1 << (f.num - 4)
		case 10:
			doubles, err = f.appendDoubles(doubles)
			typed |= 1 << 6
		case 8:
			t.name, err = f.str()
		case 9:
			if err = f.expect(protowire.BytesType); err == nil {
				raw, hasRaw = f.b, true
			}
		case 13: // external_data
			external = true
		case 14: // data_location: 1 is EXTERNAL
			var loc int64
			loc, err = f.varint()
			external = external || loc != 0
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	if external {
		return nil, UnsupportedError(fmt.Sprintf("tensor %q stores its data in an external file; only self-contained ONNX files can be read", t.name))
	}
	n := 1
	for _, d := range t.dims {
		if d < 0 || d > onnxMaxElems || n*int(d) > onnxMaxElems {
			return nil, formatErr(base, "tensor %q has dims %v: negative or more than %d values", t.name, t.dims, onnxMaxElems)
		}
		n *= int(d)
	}
	t.n = n
	if typed != 0 && hasRaw || typed&(typed-1) != 0 {
		return nil, formatErr(base, "tensor %q has its data in more than one field", t.name)
	}

	size := 0
	switch t.dtype {
	case onnxFloat, onnxInt32:
		size = 4
	case onnxInt64, onnxDouble:
		size = 8
	case onnxFloat16, onnxInt16, onnxUint16:
		size = 2
	case onnxInt8, onnxUint8, onnxBool:
		size = 1
	default:
		return t, nil // kept without values; an error where it is used
	}
	if hasRaw {
		if len(raw) != n*size {
			return nil, formatErr(base, "tensor %q: raw_data has %d bytes, dims %v need %d", t.name, len(raw), t.dims, n*size)
		}
	} else {
		got := len(floats) + len(doubles) + len(ints)
		if got != n {
			return nil, formatErr(base, "tensor %q has %d values, dims %v need %d", t.name, got, t.dims, n)
		}
		want := map[int64]int{onnxFloat: 1, onnxDouble: 1 << 6, onnxInt64: 1 << 3}[t.dtype]
		if want == 0 {
			want = 1 << 1 // everything else is in int32_data
		}
		if n > 0 && typed != want {
			return nil, formatErr(base, "tensor %q of data type %d has its values in the wrong field", t.name, t.dtype)
		}
	}

	le := binary.LittleEndian
	switch t.dtype {
	case onnxFloat:
		t.f = floats
		if hasRaw {
			t.f = make([]float32, n)
			for k := range t.f {
				t.f[k] = math.Float32frombits(le.Uint32(raw[4*k:]))
			}
		}
	case onnxFloat16:
		t.f = make([]float32, n)
		for k := range t.f {
			var h uint16
			if hasRaw {
				h = le.Uint16(raw[2*k:])
			} else {
				h = uint16(ints[k])
			}
			t.f[k] = float16.Frombits(h).Float32()
		}
	case onnxDouble:
		t.f = make([]float32, n)
		for k := range t.f {
			v := 0.0
			if hasRaw {
				v = math.Float64frombits(le.Uint64(raw[8*k:]))
			} else {
				v = doubles[k]
			}
			t.f[k] = float32(v)
		}
	default:
		t.i = ints
		if hasRaw {
			t.i = make([]int64, n)
			for k := range t.i {
				switch t.dtype {
				case onnxInt64:
					t.i[k] = int64(le.Uint64(raw[8*k:]))
				case onnxInt32:
					t.i[k] = int64(int32(le.Uint32(raw[4*k:])))
				case onnxInt16:
					t.i[k] = int64(int16(le.Uint16(raw[2*k:])))
				case onnxUint16:
					t.i[k] = int64(le.Uint16(raw[2*k:]))
				case onnxInt8:
					t.i[k] = int64(int8(raw[k]))
				default: // uint8, bool
					t.i[k] = int64(raw[k])
				}
			}
		}
	}
	for k, v := range t.f {
		if math.IsNaN(float64(v)) || math.IsInf(float64(v), 0) {
			return nil, formatErr(base, "tensor %q holds %v at index %d; weights must be finite", t.name, v, k)
		}
	}
	return t, nil
}
