package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/lrp/eval"
	"github.com/lrpwasm/lrp/mnist"
)

func init() {
	register("evaluate", "measure heatmap faithfulness by region perturbation (AOPC) on MNIST test digits", runEvaluate)
}

func runEvaluate(args []string) error {
	fs := flags("evaluate", "-model FILE [-methods a,b,c] [-n 200] [-steps L] [-patch k] [-fill uniform] -o DIR",
		"Removes patches of each test digit in the order of its heatmap, most relevant first\n(MoRF) and least relevant first (LeRF), and reports the area over the perturbation\ncurve (AOPC) of the target logit per method (Samek et al. 2017). Writes DIR/aopc.json,\nDIR/aopc.md and DIR/curves.png. The digits are the MNIST test split of\nscripts/fetch-mnist.sh, taken round-robin over the classes.")
	modelPath := fs.String("model", "model/mnist.safetensors", "model `file`")
	methods := fs.String("methods", "", "comma-separated methods (default: every composite and baseline, and random)")
	n := fs.Int("n", 200, "number of test digits")
	steps := fs.Int("steps", 0, "patches removed per curve, L (0: all)")
	patch := fs.Int("patch", 0, "patch side k (0: 4 for 28×28 inputs, 9 for large ones)")
	fill := fs.String("fill", "uniform", "replacement of a removed patch: zero, mean or uniform")
	seed := fs.Uint64("seed", 1, "seed of the random order, tie breaking and uniform fill")
	dataDir := fs.String("data", "data/mnist", "`dir` with the MNIST digit files 0.json … 9.json")
	out := fs.String("o", "", "output `dir` (required)")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel workers")
	pos, err := parse(fs, args)
	if err != nil {
		return err
	}
	if len(pos) != 0 || *out == "" || *n < 1 {
		fs.Usage()
		return errExit
	}
	f, _, err := readModel(*modelPath)
	if err != nil {
		return err
	}
	fl, err := eval.ParseFill(*fill)
	if err != nil {
		return err
	}
	names := append(lrp.Methods(), eval.RandomMethod)
	if *methods != "" {
		names = strings.Split(*methods, ",")
	}
	_, test, err := mnist.Load(*dataDir)
	if err != nil {
		return fmt.Errorf("%w (run scripts/fetch-mnist.sh first)", err)
	}
	inputs := roundRobin(&test, *n)
	if f.Model.InputLen() != mnist.Pixels {
		return fmt.Errorf("lrp: model input %v is not a 28×28 digit", f.Model.Input.Shape)
	}
	cfg := eval.Config{Patch: *patch, Steps: *steps, Fill: fl, Seed: *seed}
	start := time.Now()
	sums, err := eval.Evaluate(f.Model, inputs, names, cfg, lrp.Options{Target: lrp.Predicted}, *workers)
	if err != nil {
		return err
	}
	took := time.Since(start)
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	byName := map[string]eval.Summary{}
	for i, s := range sums {
		byName[names[i]] = s
	}
	js, _ := json.MarshalIndent(byName, "", "  ")
	if err := os.WriteFile(filepath.Join(*out, "aopc.json"), js, 0o644); err != nil {
		return err
	}
	p, _ := eval.NewPerturber(lrp.NewExplainer(f.Model), cfg)
	var md strings.Builder
	fmt.Fprintf(&md, "Model `%s`, %d MNIST test digits, %d×%d patches (%d per digit), L = %d, fill %s, seed %d; %s on %d workers.\n\n",
		filepath.Base(*modelPath), len(inputs), or(*patch, eval.DefaultPatch(28)), or(*patch, eval.DefaultPatch(28)), p.Patches(), p.Steps(), fl, *seed, took.Round(time.Second), *workers)
	table(&md, names, sums)
	if err := os.WriteFile(filepath.Join(*out, "aopc.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	if err := plotCurves(filepath.Join(*out, "curves.png"), names, sums); err != nil {
		return err
	}
	fmt.Print(md.String())
	fmt.Printf("\nwrote %s/aopc.json, aopc.md, curves.png\n", *out)
	return nil
}

func or(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}

// roundRobin takes n images of s, cycling through the classes in order so
// that every class is equally represented.
func roundRobin(s *mnist.Set, n int) [][]float32 {
	byClass := make([][]int, mnist.Classes)
	for i, l := range s.Labels {
		byClass[l] = append(byClass[l], i)
	}
	var out [][]float32
	for k := 0; len(out) < n; k++ {
		added := false
		for c := range byClass {
			if k < len(byClass[c]) && len(out) < n {
				out = append(out, s.Image(byClass[c][k]))
				added = true
			}
		}
		if !added {
			break
		}
	}
	return out
}

// table writes the markdown table of results, best MoRF AOPC first.
func table(w io.Writer, names []string, sums []eval.Summary) {
	idx := make([]int, len(names))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sums[idx[a]].AOPCMoRF > sums[idx[b]].AOPCMoRF })
	fmt.Fprintln(w, "| method | AOPC MoRF (logit) ↑ | AOPC LeRF (logit) ↓ | LeRF − MoRF | AOPC MoRF (prob.) |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: |")
	for _, i := range idx {
		s := sums[i]
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.3f |\n", names[i], s.AOPCMoRF, s.AOPCLeRF, -s.Gap(), s.AOPCMoRFProb)
	}
}

// plotCurves draws the mean MoRF curve of every method.
func plotCurves(path string, names []string, sums []eval.Summary) error {
	p := plot.New()
	p.Title.Text = "Region perturbation, most relevant first"
	p.X.Label.Text = "patches removed"
	p.Y.Label.Text = "mean target logit"
	p.Legend.Top = true
	for i, s := range sums {
		pts := make(plotter.XYs, len(s.CurveMoRF))
		for k, v := range s.CurveMoRF {
			pts[k] = plotter.XY{X: float64(k), Y: v}
		}
		l, err := plotter.NewLine(pts)
		if err != nil {
			return err
		}
		l.Color = palette(i)
		l.Width = vg.Points(1.5)
		if names[i] == eval.RandomMethod {
			l.Dashes = []vg.Length{vg.Points(4), vg.Points(3)}
			l.Color = color.Black
		}
		p.Add(l)
		p.Legend.Add(names[i], l)
	}
	return p.Save(10*vg.Inch, 7*vg.Inch, path)
}

func palette(i int) color.Color {
	cs := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
		{140, 86, 75, 255}, {227, 119, 194, 255}, {127, 127, 127, 255}, {188, 189, 34, 255}, {23, 190, 207, 255}}
	c := cs[i%len(cs)]
	if i >= len(cs) {
		c.R, c.G, c.B = c.R/2, c.G/2, c.B/2
	}
	return c
}
