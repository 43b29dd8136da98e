// Package preprocess turns user pixels into model input: a digit drawn on a
// canvas into an MNIST-style 28×28 image (Digit), a photo or webcam frame
// into a normalized CHW tensor (Image), and PNG, JPEG or GIF bytes into
// pixels (DecodeImage).
//
// Pixels are 8-bit RGBA, non-premultiplied, rows top to bottom — the layout
// of a canvas ImageData and of image.NRGBA. Transparent pixels are
// composited over white, so a transparent canvas reads as white paper.
//
// Digit runs on every pointer move while a user draws, so the work can reuse
// buffers: a Scratch holds them between calls and makes Digit and Image
// allocation-free in steady state. Every argument is validated; bad input is
// an error prefixed "preprocess: ", never a panic. The package does no I/O:
// DecodeImage reads from the io.Reader it is given.
package preprocess
