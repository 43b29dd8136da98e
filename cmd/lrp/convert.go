package main

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"strings"

	"github.com/lrpwasm/lrp/app"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

func init() {
	register("convert", "convert an ONNX (or safetensors) model to the float16 safetensors format", runConvert)
}

func runConvert(args []string) error {
	fs := flags("convert", "MODEL -o OUT.safetensors [-labels FILE] [-mean M -std S] [-range LO,HI]", "Converts a model to the project's safetensors format (float16 weights by default) and\nprints the size before and after and the largest logit deviation of the converted\nmodel from the original on random inputs in the pixel range. -mean, -std and -labels\nwrite the input normalization and the class names into the file.")
	out := fs.String("o", "", "output `file` (required)")
	set := addSettingsFlags(fs, "class names: a `file` (one name per line, or JSON: an array, {\"0\": name, …}, a config with id2label), or imagenet")
	rng := fs.String("range", "", "raw pixel range `lo,hi` (default: the model's, [0,1] for ONNX)")
	name := fs.String("name", "", "model name (default: the file's)")
	dtype := fs.String("dtype", "F16", "weight type: F16 or F32")
	samples := fs.Int("samples", 64, "random inputs for the deviation check")
	desc := fs.String("description", "", "a model-card description")
	pos, err := parse(fs, args, func(p []string) bool { return len(p) == 1 && *out != "" })
	if err != nil {
		return err
	}
	f, err := loadModel(pos[0])
	if err != nil {
		return err
	}
	m := f.Model
	if *name != "" {
		m.Name = *name
	}
	if *rng != "" {
		lo, hi, err := parseRange(*rng)
		if err != nil {
			return err
		}
		m.Input.Low, m.Input.High = lo, hi
	}
	st, err := set.settings()
	if err != nil {
		return err
	}
	if err := app.Apply(m, pos[0], st); err != nil {
		return err
	}
	card := map[string]string{}
	for k, v := range f.Card {
		card[k] = v
	}
	card["converted_from"] = f.Format
	if *desc != "" {
		card["description"] = *desc
	}
	data, err := model.EncodeSafetensors(m, card, *dtype)
	if err != nil {
		return err
	}
	back, err := model.Load(data)
	if err != nil {
		return fmt.Errorf("lrp: converted file does not read back: %w", err)
	}
	dev, agree, err := deviation(m, back.Model, *samples)
	if err != nil {
		return err
	}
	if math.IsNaN(dev) || math.IsInf(dev, 0) {
		return fmt.Errorf("lrp: convert: the converted model's logits deviate by %v from the original's on random inputs (NaN or ±Inf logits); %s not written", dev, printable(*out))
	}
	if err := os.WriteFile(*out, data, 0o644); err != nil {
		return err
	}
	params := m.Params()
	fmt.Printf("%s: %d bytes (%s %s) → %s: %d bytes (%s), %.3f× the float32 parameter bytes (%d parameters)\n",
		printable(pos[0]), f.size, f.Format, f.DType, printable(*out), len(data), *dtype, float64(len(data))/float64(4*params), params)
	fmt.Printf("max |logit deviation| over %d random inputs: %.3g; top-1 agrees on %d/%d\n", *samples, dev, agree, *samples)
	a := app.Assume(m)
	if a.Normalization {
		fmt.Printf("note: %s has no input normalization; the app assumes ImageNet's (-mean imagenet writes it)\n", printable(*out))
	}
	if a.Labels {
		fmt.Printf("note: %s has no class names; the app assumes ImageNet's (-labels imagenet writes them)\n", printable(*out))
	}
	return nil
}

// deviation runs both models on n seeded random inputs in a's pixel range
// and returns the largest logit difference and how often the argmax agrees.
func deviation(a, b *lrp.Model, n int) (float64, int, error) {
	ea, eb := lrp.NewExplainer(a), lrp.NewExplainer(b)
	rng := rand.New(rand.NewPCG(1, 2))
	x := make([]float32, a.InputLen())
	lo, hi := a.Bounds()
	var dev float64
	agree := 0
	for range n {
		for i := range x {
			c := i * len(lo) / len(x)
			x[i] = lo[c] + rng.Float32()*(hi[c]-lo[c])
		}
		la, err := ea.Forward(x)
		if err != nil {
			return 0, 0, err
		}
		lb, err := eb.Forward(x)
		if err != nil {
			return 0, 0, err
		}
		for i := range la {
			dev = math.Max(dev, math.Abs(float64(la[i]-lb[i])))
		}
		if lrp.Argmax(la) == lrp.Argmax(lb) {
			agree++
		}
	}
	return dev, agree, nil
}

func parseRange(s string) (lo, hi float32, err error) {
	parts := strings.Split(s, ",")
	if len(parts) == 2 {
		a, err1 := strconv.ParseFloat(strings.TrimSpace(parts[0]), 32)
		b, err2 := strconv.ParseFloat(strings.TrimSpace(parts[1]), 32)
		if err1 == nil && err2 == nil && a < b {
			return float32(a), float32(b), nil
		}
	}
	return 0, 0, fmt.Errorf("lrp: -range wants lo,hi with lo < hi, got %q", s)
}
