package model

import "encoding/binary"

// Load decodes a model file of either format, told apart by its first
// bytes: a safetensors file starts with its header length (8 bytes,
// little-endian) followed by '{'; an ONNX file is a ModelProto, whose first
// byte is the tag of one of its fields (PyTorch writes ir_version, 0x08,
// first). A safetensors file whose header length is wrong (beyond the
// file or the limit) gets the safetensors decoder's error; anything that
// is neither is a *FormatError at offset 0.
func Load(data []byte) (*File, error) {
	switch {
	case len(data) == 0:
		return nil, &FormatError{0, "empty file"}
	case isSafetensors(data):
		return DecodeSafetensors(data)
	case isONNX(data):
		return DecodeONNX(data)
	}
	return nil, &FormatError{0, "neither a safetensors file (header length, then '{') nor an ONNX model (protobuf)"}
}

// isSafetensors reports whether data looks like a safetensors file: '{'
// after the 8 bytes of the header length, whose top bytes are zero (no
// header is anywhere near 2⁴⁰ bytes). The ONNX files PyTorch writes do not
// look so (their bytes 5 to 8 are the producer's name).
func isSafetensors(data []byte) bool {
	return len(data) >= 9 && data[8] == '{' && binary.LittleEndian.Uint64(data) < 1<<40
}

// isONNX reports whether data starts with the tag of a ModelProto field:
// ir_version 1, opset_import 8, producer_name 2, producer_version 3,
// domain 4, model_version 5, doc_string 6, graph 7, metadata_props 14,
// training_info 20, functions 25 — each with its wire type (0 varint,
// 2 bytes). Field 20 and up take two tag bytes.
func isONNX(data []byte) bool {
	tag := uint64(data[0])
	if tag&0x80 != 0 {
		if len(data) < 2 || data[1]&0x80 != 0 {
			return false
		}
		tag = tag&0x7f | uint64(data[1])<<7
	}
	field, wire := tag>>3, tag&7
	switch field {
	case 1, 5:
		return wire == 0
	case 2, 3, 4, 6, 7, 8, 14, 20, 25:
		return wire == 2
	}
	return false
}
