//go:build js && wasm

package main

import (
	"encoding/binary"

	"github.com/lrpwasm/lrp/model"
)

// primeSize is the number of float16 weights that primeDecoder decodes:
// four of the decoder's blocks, enough for V8 to tier its loop up.
const primeSize = 1 << 16

// primeHeader is the header of a safetensors file of one dense layer,
// 256 → 256, with float16 weights (as model.EncodeSafetensors writes it).
const primeHeader = `{"__metadata__":{"lrp.graph":"{\"version\":1,\"name\":\"prime\",\"input\":{\"shape\":[256],\"low\":0,\"high\":1},` +
	`\"nodes\":[{\"name\":\"n0\",\"op\":\"dense\",\"inputs\":[\"input\"],\"in_features\":256,\"out_features\":256,\"weight\":\"n0.weight\"}]}"},` +
	`"n0.weight":{"dtype":"F16","shape":[256,256],"data_offsets":[0,131072]}}`

// primeDecoder decodes a small float16 model file once, at start. A wasm
// function runs in V8's baseline code until its calls have used up a
// budget; only then is it compiled with the optimizing compiler, in the
// background, and its later calls run the optimized code. The built-in
// model is too small for the float16 decoder to get there, so the first
// large model dropped on the page was decoded at the baseline's speed
// (a ResNet-18's 11.7M weights in 1.9–2.9 s against 1.1–2.1 s after this,
// in Node on a loaded machine). Decoding these 64K weights (zeros) takes
// a few milliseconds and leaves the optimizing compiler the page's idle
// time. A failure is ignored: the first real decode just runs slower.
func primeDecoder() {
	b := make([]byte, 8, 8+len(primeHeader)+2*primeSize)
	binary.LittleEndian.PutUint64(b, uint64(len(primeHeader)))
	b = append(b, primeHeader...)
	b = b[:cap(b)] // the weights: zeros
	_, _ = model.Load(b)
}
