package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/lrpwasm/lrp/app"
	"github.com/lrpwasm/lrp/heatmap"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/preprocess"
)

func init() {
	register("explain", "explain a model's decision on images: heatmap PNGs and a JSON report", runExplain)
}

// maxImagePixels bounds the images explain decodes (checked from the
// header, before decoding).
const maxImagePixels = 64 << 20

func runExplain(args []string) error {
	fs := flags("explain", "-model FILE [-composite NAME] [-start S] [-target C] [-colormap M] [-mean M -std S] [-labels FILE] IMAGES… -o DIR",
		"Explains the model's output for each image (PNG, JPEG or GIF, preprocessed to the model's\ninput) or JSON file (a flat array of model-input values) and writes, per input NAME,\nDIR/NAME.heatmap.png, DIR/NAME.overlay.png and DIR/NAME.json (logits, relevance,\ndiagnostics and the settings used). An image classifier with 1,000 classes and no\nnormalization or class names in its file gets ImageNet's (lrp info says so); -mean,\n-std and -labels set others.")
	modelPath := fs.String("model", "model/mnist.safetensors", "model `file` (.safetensors or .onnx)")
	composite := fs.String("composite", lrp.DefaultMethod, "composite or baseline `name`")
	start := fs.String("start", "onehot", "start relevance: onehot, logit, probability, logodds, contrastive")
	target := fs.Int("target", -1, "class to explain (-1: the predicted class)")
	cmap := fs.String("colormap", heatmap.DefaultColorMap, "colormap: "+strings.Join(heatmap.ColorMapNames(), ", "))
	sign := fs.String("sign", "all", "relevance shown: all, positive, negative")
	mode := fs.String("mode", "", "preprocessing of images: digit or image (default: digit for 1×28×28 models)")
	params := fs.String("params", "", "composite parameters as JSON, e.g. '{\"gamma\":0.5}'")
	alpha := fs.Float64("alpha", 0.6, "heatmap opacity in the overlay")
	scale := fs.Int("scale", 0, "upscaling factor of the PNGs (0: to at least 224 pixels)")
	set := addSettingsFlags(fs, "class names: a `file` (one name per line, or JSON), imagenet or indices (default: the model's; ImageNet's for 1,000 classes)")
	out := fs.String("o", "", "output `dir` (required)")
	inputs, err := parse(fs, args, func(p []string) bool { return len(p) != 0 && *out != "" })
	if err != nil {
		return err
	}
	data, err := os.ReadFile(*modelPath)
	if err != nil {
		return err
	}
	s, err := app.Open(data)
	if err != nil {
		return fmt.Errorf("%s: %w", *modelPath, err)
	}
	st, err := set.settings()
	if err != nil {
		return err
	}
	if err := s.Configure(st); err != nil {
		return err
	}
	if *scale, err = pngScale(s, *scale); err != nil {
		return err
	}
	settings := map[string]any{"composite": *composite, "start": *start, "target": *target, "colormap": *cmap, "sign": *sign}
	if *params != "" {
		var p map[string]float64
		if err := json.Unmarshal([]byte(*params), &p); err != nil {
			return fmt.Errorf("lrp: -params: %w", err)
		}
		settings["params"] = p
	}
	js, _ := json.Marshal(settings)
	opt, err := app.ParseOptions(js)
	if err != nil {
		return err
	}
	info := s.Info()
	settings["normalization"], settings["mean"], settings["std"], settings["labels"] = info.Normalization, info.Mean, info.Std, info.LabelsFrom
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	tty := isTerminal(os.Stderr)
	failed := 0
	for i, path := range inputs {
		if tty {
			fmt.Fprintf(os.Stderr, "\r[%d/%d] %s\033[K", i+1, len(inputs), printable(filepath.Base(path)))
		}
		if err := explainOne(s, opt, path, *out, *mode, float32(*alpha), *scale, settings); err != nil {
			if tty {
				fmt.Fprintln(os.Stderr)
			}
			fmt.Fprintf(os.Stderr, "%s: %s\n", printable(path), printable(err.Error()))
			failed++
		}
	}
	if tty {
		fmt.Fprintln(os.Stderr)
	}
	fmt.Printf("explained %d of %d inputs into %s\n", len(inputs)-failed, len(inputs), *out)
	if failed > 0 {
		return errExit
	}
	return nil
}

// pngScale returns the upscaling factor of the PNGs of s's heatmaps for
// -scale (0: to at least 224 pixels), or an error if the two PNGs of an
// input (heatmap and overlay, made one after the other) would not fit
// within app.MemoryLimit with the session: checked before they are made,
// for any scale.
func pngScale(s *app.Session, scale int) (int, error) {
	w, h := s.Info().Width, s.Info().Height
	if scale <= 0 {
		scale = max(1, (224+max(w, h)-1)/max(w, h))
	}
	n, err := heatmap.UpscaledSize(w, h, scale)
	if err != nil {
		return 0, fmt.Errorf("lrp: -scale %d: %w", scale, err)
	}
	if held := s.WorkingSet(); 2*int64(n) > app.MemoryLimit-held {
		return 0, fmt.Errorf("lrp: -scale %d makes %d×%d PNGs of %d MiB each, two of which with the model's %d MiB need more than the %d MiB allowed",
			scale, w*scale, h*scale, app.MiB(int64(n)), app.MiB(held), app.MemoryLimit>>20)
	}
	return scale, nil
}

func isTerminal(f *os.File) bool {
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// readInput reads an image or a JSON array of model-input values.
func readInput(path, mode string) (app.Input, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return app.Input{}, err
	}
	if strings.EqualFold(filepath.Ext(path), ".json") {
		var x []float32
		if err := json.Unmarshal(data, &x); err != nil {
			return app.Input{}, fmt.Errorf("lrp: JSON input must be a flat array of numbers: %w", err)
		}
		return app.Input{X: x}, nil
	}
	rgba, w, h, err := preprocess.DecodeImage(bytes.NewReader(data), maxImagePixels)
	if err != nil {
		return app.Input{}, err
	}
	return app.Input{RGBA: rgba, Width: w, Height: h, Mode: mode}, nil
}

func explainOne(s *app.Session, opt *app.Options, path, out, mode string, alpha float32, scale int, settings map[string]any) error {
	in, err := readInput(path, mode)
	if err != nil {
		return err
	}
	r, err := s.Explain(in, opt)
	if err != nil {
		return err
	}
	base := strings.TrimSuffix(filepath.Base(path), filepath.Ext(path))
	w, h := r.Width, r.Height
	shape := s.Model().Input.Shape
	c := 1
	if len(shape) == 3 {
		c = shape[0]
	}
	gray := make([]uint8, 4*w*h)
	if err := heatmap.Gray(gray, r.Input, c, h, w, 0, 0); err != nil {
		return err
	}
	over := make([]uint8, 4*w*h)
	if err := heatmap.Overlay(over, r.Heatmap, gray, alpha); err != nil {
		return err
	}
	for _, img := range []struct {
		name string
		rgba []uint8
	}{{"heatmap", r.Heatmap}, {"overlay", over}} {
		big := make([]uint8, 4*w*h*scale*scale)
		if err := heatmap.Upscale(big, img.rgba, w, h, scale); err != nil {
			return err
		}
		f, err := os.Create(filepath.Join(out, base+"."+img.name+".png"))
		if err != nil {
			return err
		}
		if err := heatmap.EncodePNG(f, big, w*scale, h*scale); err != nil {
			f.Close()
			return err
		}
		if err := f.Close(); err != nil {
			return err
		}
	}
	// The result's own JSON (app.Result.Meta) writes a non-finite number
	// as null, as the arrays here do (app.Floats).
	var meta map[string]json.RawMessage
	if err := json.Unmarshal(r.Meta(), &meta); err != nil {
		return err
	}
	report := map[string]any{
		"input": path, "model": s.Info().Name, "settings": settings,
		"logits": app.Floats(r.Logits), "probabilities": app.Floats(r.Probabilities),
		"predicted": r.Predicted, "target": r.Target, "label": r.Top[0].Label,
		"relevance": app.Floats(r.Relevance), "range": meta["range"], "diagnostics": meta["diagnostics"],
	}
	js, err := json.MarshalIndent(report, "", " ")
	if err != nil {
		return err
	}
	if r.Diagnostics.NaN {
		fmt.Fprintf(os.Stderr, "lrp: warning: %s: the logits or the relevance hold NaN or ±Inf (written as null)\n", printable(path))
	}
	return os.WriteFile(filepath.Join(out, base+".json"), js, 0o644)
}
