package model

import (
	_ "embed"
	"strings"
)

// imagenetClasses is the file imagenet_classes.txt: ImageNet-1k's class
// names, one a line, in index order (see ImageNetClasses).
//
//go:embed imagenet_classes.txt
var imagenetClasses string

// ImageNetClassCount is the number of classes of ImageNet-1k (ILSVRC
// 2012), the output size of torchvision's and Keras's image classifiers.
const ImageNetClassCount = 1000

// ImageNetClasses returns the 1,000 class names of ImageNet-1k in index
// order, the short names torchvision gives them ("tench", "goldfish", …,
// "tabby", …, "toilet tissue"), in a new slice. They are
// torchvision.models._meta._IMAGENET_CATEGORIES of torchvision 0.14.1
// (Debian's python3-torchvision 0.14.1-2), BSD-3-Clause, written one a
// line to imagenet_classes.txt (README.md, "ImageNet class names").
func ImageNetClasses() []string {
	return strings.Split(strings.TrimSuffix(imagenetClasses, "\n"), "\n")
}

// ImageNetNormalization returns the per-channel mean and standard
// deviation of ImageNet's training images (R, G, B, pixels in [0, 1]) that
// torchvision's and most PyTorch image classifiers expect their input
// normalized by, x = (pixel − mean[c]) / std[c], in new slices.
func ImageNetNormalization() (mean, std []float32) {
	return []float32{0.485, 0.456, 0.406}, []float32{0.229, 0.224, 0.225}
}
