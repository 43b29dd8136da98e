// Package train fits the weights of a sequential lrp.Model by minibatch
// gradient descent on the softmax cross-entropy, in pure Go. It is how the
// project makes its built-in MNIST classifier (see MNIST and the lrp train
// command) without Python.
//
// A Net wraps a chain of Conv2D, ReLU, MaxPool2D, Flatten and Dense layers
// of an lrp.Model and trains the layers' own weight slices in place, so the
// trained model is the lrp.Model the explainer runs. Each layer is a pair,
// forward and backward; the backward pass gives the gradients of the
// weights and biases (and of the layer input, for the layers below). The
// kernels are float32 and written for training batches: a convolution is
// im2col into a [K][P] patch matrix (K = InC·KH·KW, P = OH·OW) followed by
// row-by-row products whose inner loops run over P. The engine's own forward
// pass (lrp.Explainer.Forward), which accumulates in float64, is the oracle
// in the tests and the one that measures accuracy.
//
// Train is deterministic for a fixed Config: a batch is cut into shards of
// fixed size whose gradients are summed in a fixed order, whatever the
// number of goroutines, and every random draw (initialization, shuffling,
// augmentation) comes from the seed. Results can differ across CPU
// architectures where Go fuses multiply-adds.
package train
