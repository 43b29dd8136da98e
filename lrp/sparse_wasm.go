//go:build wasm

package lrp

const sparse = 0.3
