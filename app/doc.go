// Package app is the glue between the engine and its front ends, the
// WebAssembly module (wasm/) and the command-line tool: it loads a model
// file of either format (model.Load) into a Session, parses the JSON
// options of docs/JS_API.md (ParseOptions), and runs one explain call —
// preprocessing, the explanation, the heatmap — with reusable buffers,
// returning the arrays and a JSON object for everything else (Result.Meta).
//
// The package is pure Go: nothing here touches syscall/js, so everything a
// user of the page or the tool reaches is tested with go test.
package app
