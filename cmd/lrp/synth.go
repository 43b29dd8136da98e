package main

import (
	"fmt"
	"os"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

func init() {
	register("synth", "write a synthetic ResNet-18 (random weights, for benchmarks)", runSynth)
}

func runSynth(args []string) error {
	fs := flags("synth", "-o OUT.safetensors [-seed N] [-dtype F16|F32] [-width W -size S]", "Writes lrp.SyntheticResNet18: the ResNet-18 topology at 3×224×224 with random\nHe-normal weights (BatchNorm folded into conv biases), the same for the same seed.\nFor benchmarks of ImageNet-size models without a download. -width and -size\nmake a narrower or smaller one (lrp.SyntheticResNet).")
	out := fs.String("o", "", "output `file` (required)")
	seed := fs.Uint64("seed", 1, "random seed")
	dtype := fs.String("dtype", "F16", "weight type: F16 or F32")
	width := fs.Int("width", 64, "channels of the first stage")
	size := fs.Int("size", 224, "input height and width, at least 32")
	if _, err := parse(fs, args, func(p []string) bool { return len(p) == 0 && *out != "" && *width >= 1 && *size >= 32 }); err != nil {
		return err
	}
	m := lrp.SyntheticResNet(*seed, *width, *size)
	card := map[string]string{"description": fmt.Sprintf("synthetic ResNet-18, random weights (seed %d), for benchmarks", *seed)}
	data, err := model.EncodeSafetensors(m, card, *dtype)
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("%s: %s, %d params, %d bytes (%s)\n", *out, m.Name, m.Params(), len(data), *dtype)
	return nil
}
