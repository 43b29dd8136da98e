// Package model reads and writes model files for package lrp: the project's
// own float16 safetensors format and ONNX files exported from PyTorch or
// Keras. Every decoder treats its input as hostile: sizes are checked,
// overflow-safe, before anything is allocated, and bad input returns a
// *FormatError or an UnsupportedError, never a panic.
//
// Decoders return the graph as the file has it: BatchNorm layers stay
// nodes of their own. Folding them into the layer before
// (lrp.Model.FoldBatchNorm) is one step that the caller takes once, so
// that it can report the count (app.NewSession does both).
//
// The package does no file I/O; callers pass bytes.
package model
