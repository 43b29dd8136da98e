package train

import (
	"strconv"

	"github.com/lrpwasm/lrp/lrp"
)

// MNIST returns the architecture of the built-in digit classifier, with
// zero weights (see Net.Init). Input [1][28][28], pixels in [0, 1], no
// normalization; labels "0"…"9":
//
//	conv 3×3  1→8,  pad 1   [8][28][28]    56 k multiply-adds
//	relu, maxpool 2         [8][14][14]
//	conv 3×3  8→16, pad 1   [16][14][14]  226 k
//	relu, maxpool 2         [16][7][7]
//	conv 3×3 16→32, pad 1   [32][7][7]    226 k
//	relu, maxpool 2 (pad 1) [32][4][4]
//	flatten, dense 512→64, relu            33 k
//	dense 64→10                           0.6 k
//
// About 0.54 M multiply-adds per image and 39 k parameters (79 KB in
// float16): a live explanation in the browser costs a few milliseconds.
func MNIST() *lrp.Model {
	labels := make([]string, 10)
	for i := range labels {
		labels[i] = strconv.Itoa(i)
	}
	in := lrp.InputSpec{Shape: []int{1, 28, 28}, Low: 0, High: 1}
	var nodes []lrp.Node
	add := func(name string, l lrp.Layer) {
		nodes = append(nodes, lrp.Node{Name: name, Layer: l, Inputs: []int{len(nodes) - 1}})
	}
	pool := func(name string, pad int) { add(name, &lrp.MaxPool2D{KH: 2, KW: 2, SH: 2, SW: 2, PB: pad, PR: pad}) }
	add("conv1", conv3x3(1, 8))
	add("relu1", &lrp.ReLU{})
	pool("pool1", 0)
	add("conv2", conv3x3(8, 16))
	add("relu2", &lrp.ReLU{})
	pool("pool2", 0)
	add("conv3", conv3x3(16, 32))
	add("relu3", &lrp.ReLU{})
	pool("pool3", 1)
	add("flatten", &lrp.Flatten{})
	add("fc1", newDense(32*4*4, 64))
	add("relu4", &lrp.ReLU{})
	add("fc2", newDense(64, 10))
	m, err := lrp.NewModel("mnist", in, nodes, labels)
	if err != nil {
		panic(err) // the architecture above is fixed
	}
	return m
}

// conv3x3 is a 3×3 convolution with padding 1, which keeps the size.
func conv3x3(in, out int) *lrp.Conv2D {
	return &lrp.Conv2D{InC: in, OutC: out, KH: 3, KW: 3, SH: 1, SW: 1, DH: 1, DW: 1,
		PT: 1, PL: 1, PB: 1, PR: 1, Groups: 1,
		W: make([]float32, out*in*9), B: make([]float32, out)}
}

func newDense(in, out int) *lrp.Dense {
	return &lrp.Dense{In: in, Out: out, W: make([]float32, out*in), B: make([]float32, out)}
}
