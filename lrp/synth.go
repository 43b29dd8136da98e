package lrp

import (
	"fmt"
	"math"
	"math/rand/v2"
)

// SyntheticResNet18 returns a ResNet-18 (He et al. 2016) with the real
// topology at 3×224×224 and random weights, for benchmarks that need an
// ImageNet-size model without a download. BatchNorm is taken as folded:
// every conv has a bias. Weights are He-normal, N(0, 2/fan_in), biases
// N(0, 0.01²) and the classifier N(0, 1/512); the same seed gives the same
// model. The input spec is ImageNet's: pixels in [0, 1] normalized by the
// usual mean and std.
//
//	conv 7×7/2 (64) → ReLU → maxpool 3×3/2 pad 1
//	4 stages of 2 BasicBlocks (64, 128, 256, 512 channels; stages 2–4 start
//	with stride 2 and a 1×1/2 downsample conv on the shortcut)
//	global average pool → flatten → dense 512 → 1000
//
// A BasicBlock is y = ReLU(conv3×3(ReLU(conv3×3(x))) + shortcut(x)).
func SyntheticResNet18(seed uint64) *Model { return SyntheticResNet(seed, 64, 224) }

// SyntheticResNet is SyntheticResNet18 with width channels in the first
// stage (64 in ResNet-18; the stages have 1, 2, 4 and 8 times that) and a
// 3×size×size input, for a smaller model that runs the same code. It
// panics if width < 1 or size < 32 (the stages halve it five times).
func SyntheticResNet(seed uint64, width, size int) *Model {
	if width < 1 || size < 32 {
		panic(fmt.Sprintf("lrp: SyntheticResNet(%d, %d, %d): width < 1 or size < 32", seed, width, size))
	}
	b := synth{rng: rand.New(rand.NewPCG(seed, 0x7e5e718))}
	x := b.conv("conv1", Input, 3, width, 7, 2, 3)
	x = b.add("relu", &ReLU{}, x)
	x = b.add("maxpool", &MaxPool2D{KH: 3, KW: 3, SH: 2, SW: 2, PT: 1, PL: 1, PB: 1, PR: 1}, x)
	in := width
	for s, out := range []int{width, 2 * width, 4 * width, 8 * width} {
		for k := range 2 {
			stride := 1
			if s > 0 && k == 0 {
				stride = 2
			}
			p := fmt.Sprintf("layer%d.%d.", s+1, k)
			y := b.conv(p+"conv1", x, in, out, 3, stride, 1)
			y = b.add(p+"relu1", &ReLU{}, y)
			y = b.conv(p+"conv2", y, out, out, 3, 1, 1)
			short := x
			if stride != 1 || in != out {
				short = b.conv(p+"downsample", x, in, out, 1, stride, 0)
			}
			y = b.add(p+"add", &Add{}, y, short)
			x = b.add(p+"relu2", &ReLU{}, y)
			in = out
		}
	}
	x = b.add("avgpool", &GlobalAvgPool{}, x)
	x = b.add("flatten", &Flatten{}, x)
	fc := &Dense{In: in, Out: 1000, W: b.normal(in*1000, math.Sqrt(1.0/float64(in))), B: make([]float32, 1000)}
	b.add("fc", fc, x)
	name := "synthetic-resnet18"
	if width != 64 || size != 224 {
		name = fmt.Sprintf("synthetic-resnet18-w%d-%d", width, size)
	}
	m, err := NewModel(name, InputSpec{
		Shape: []int{3, size, size},
		Low:   0, High: 1,
		Mean: []float32{0.485, 0.456, 0.406},
		Std:  []float32{0.229, 0.224, 0.225},
	}, b.nodes, nil)
	if err != nil {
		panic(err) // the topology above is valid for the sizes checked
	}
	return m
}

// synth builds a model node by node.
type synth struct {
	rng   *rand.Rand
	nodes []Node
}

// add appends a node reading ins and returns its index.
func (b *synth) add(name string, l Layer, ins ...int) int {
	b.nodes = append(b.nodes, Node{Name: name, Layer: l, Inputs: ins})
	return len(b.nodes) - 1
}

// conv appends a k×k convolution with the given stride and padding.
func (b *synth) conv(name string, x, in, out, k, stride, pad int) int {
	fan := in * k * k
	return b.add(name, &Conv2D{
		InC: in, OutC: out, KH: k, KW: k, SH: stride, SW: stride, DH: 1, DW: 1,
		PT: pad, PL: pad, PB: pad, PR: pad, Groups: 1,
		W: b.normal(out*fan, math.Sqrt(2/float64(fan))),
		B: b.normal(out, 0.01),
	}, x)
}

// normal returns n samples of N(0, std²).
func (b *synth) normal(n int, std float64) []float32 {
	v := make([]float32, n)
	for i := range v {
		v[i] = float32(b.rng.NormFloat64() * std)
	}
	return v
}
