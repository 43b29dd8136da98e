package model

import "fmt"

// A FormatError reports that the input is not a valid model file. Offset is
// the byte offset in the file where the problem was found.
type FormatError struct {
	Offset int64
	Msg    string
}

func (e *FormatError) Error() string {
	return fmt.Sprintf("model: invalid format at byte %d: %s", e.Offset, e.Msg)
}

// An UnsupportedError reports that the input is a valid file that uses a
// feature this package does not implement (an ONNX operator, a dtype).
type UnsupportedError string

func (e UnsupportedError) Error() string { return "model: unsupported: " + string(e) }
