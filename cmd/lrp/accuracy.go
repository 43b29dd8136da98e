package main

import (
	"fmt"

	"github.com/lrpwasm/lrp/mnist"
	"github.com/lrpwasm/lrp/train"
)

func init() {
	register("accuracy", "measure a digit classifier's accuracy on the MNIST test split", runAccuracy)
}

func runAccuracy(args []string) error {
	fs := flags("accuracy", "[-model FILE] [-data DIR]", "Classifies the 2,000 MNIST test digits of scripts/fetch-mnist.sh (per class, the digits\nafter the first 800) with the model's weights as stored, through the explainer's forward\npass, and prints the accuracy per class and in all, as the last line:\n\n\taccuracy: 0.9870 (1974/2000)")
	path := fs.String("model", "model/mnist.safetensors", "model `file` (.safetensors or .onnx) with 28×28 input and 10 classes")
	dataDir := fs.String("data", "data/mnist", "`dir` with the MNIST digit files 0.json … 9.json")
	if _, err := parse(fs, args, func(p []string) bool { return len(p) == 0 }); err != nil {
		return err
	}
	f, err := loadModel(*path)
	if err != nil {
		return err
	}
	m := f.Model
	if m.InputLen() != mnist.Pixels || m.Classes() != mnist.Classes {
		return fmt.Errorf("%s: input %v and %d classes; an MNIST model takes 1×28×28 and has 10", *path, m.Input.Shape, m.Classes())
	}
	_, test, err := mnist.Load(*dataDir)
	if err != nil {
		return err
	}
	pred, err := train.Predict(m, test.Images, 0)
	if err != nil {
		return err
	}
	var correct, count [mnist.Classes]int
	for i, l := range test.Labels {
		count[l]++
		if pred[i] == l {
			correct[l]++
		}
	}
	total := 0
	for d := range mnist.Classes {
		fmt.Printf("class %d: %.4f (%d/%d)\n", d, float64(correct[d])/float64(count[d]), correct[d], count[d])
		total += correct[d]
	}
	fmt.Printf("accuracy: %.4f (%d/%d)\n", float64(total)/float64(test.Len()), total, test.Len())
	return nil
}
