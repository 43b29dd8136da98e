package main

import (
	"encoding/json"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"

	"github.com/lrpwasm/lrp/app"
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
	if _, err := parse(fs, args, func(p []string) bool { return len(p) == 0 && *out != "" && *n >= 1 }); err != nil {
		return err
	}
	f, err := loadModel(*modelPath)
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
	cfg := eval.Config{Patch: *patch, Steps: *steps, Fill: fl, Seed: *seed}
	if err := checkWorkers(f.Model, names, cfg, *workers); err != nil {
		return err
	}
	_, test, err := mnist.Load(*dataDir)
	if err != nil {
		return err
	}
	inputs := roundRobin(&test, *n)
	if f.Model.InputLen() != mnist.Pixels {
		return fmt.Errorf("lrp: model input %v is not a 28×28 digit", f.Model.Input.Shape)
	}
	start := time.Now()
	sums, err := eval.Evaluate(f.Model, inputs, names, cfg, lrp.Options{}, *workers)
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

// checkWorkers returns an error if workers Explainers, each explaining
// with every method of names (as eval.Evaluate does), would need more than
// app.MemoryLimit together.
func checkWorkers(m *lrp.Model, names []string, cfg eval.Config, workers int) error {
	var os []lrp.Options
	for _, n := range names {
		if n != eval.RandomMethod {
			os = append(os, lrp.Options{Method: n})
		}
	}
	one, err := lrp.WorkingSet(m, os...)
	if err != nil {
		return err
	}
	one += eval.Need(m, cfg, len(names))
	if total := int64(max(workers, 1)) * one; total > app.MemoryLimit {
		return fmt.Errorf("lrp: %d workers evaluating %d methods need %d MiB (%d MiB each), more than the %d MiB allowed: use fewer -workers or -methods",
			workers, len(names), app.MiB(total), app.MiB(one), app.MemoryLimit>>20)
	}
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

// plotCurves draws the mean MoRF and LeRF curves of every method side by
// side on one y scale, with one legend right of both (so it never covers a
// curve): LRP composites solid, the other explainers dashed, the controls
// that explain nothing (single_pixel, uniform) dotted, the random order
// thick black.
func plotCurves(path string, names []string, sums []eval.Summary) error {
	const w, h, legendW = 13 * vg.Inch, 6 * vg.Inch, 2.6 * vg.Inch
	panels := []*plot.Plot{plot.New(), plot.New()}
	panels[0].Title.Text = "Most relevant first (MoRF): steeper is better"
	panels[1].Title.Text = "Least relevant first (LeRF): flatter is better"
	legend := plot.NewLegend()
	legend.Top, legend.Left = true, true
	legend.ThumbnailWidth = 0.45 * vg.Inch
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range sums {
		for _, v := range append(slices.Clone(s.CurveMoRF), s.CurveLeRF...) {
			lo, hi = min(lo, v), max(hi, v)
		}
	}
	for _, p := range panels {
		p.X.Label.Text = "patches removed"
		p.Y.Label.Text = "mean target logit"
		p.Y.Min, p.Y.Max = lo-0.02*(hi-lo), hi+0.02*(hi-lo)
		p.Y.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick { return ticks(min, max, 8) })
		p.X.Tick.Marker = plot.TickerFunc(func(min, max float64) []plot.Tick { return ticks(min, max, 10) })
		p.Add(plotter.NewGrid())
	}
	kind := map[string]string{}
	for _, m := range app.Methods() {
		kind[m.Name] = m.Kind
	}
	// Colours in table order (best MoRF AOPC first); random drawn last, on top.
	order := make([]int, len(sums))
	for i := range order {
		order[i] = i
	}
	sort.SliceStable(order, func(a, b int) bool {
		if (names[order[a]] == eval.RandomMethod) != (names[order[b]] == eval.RandomMethod) {
			return names[order[b]] == eval.RandomMethod
		}
		return sums[order[a]].AOPCMoRF > sums[order[b]].AOPCMoRF
	})
	colored := 0
	for _, i := range order {
		s := sums[i]
		var ls []*plotter.Line
		for pi, curve := range [][]float64{s.CurveMoRF, s.CurveLeRF} {
			pts := make(plotter.XYs, len(curve))
			for k, v := range curve {
				pts[k] = plotter.XY{X: float64(k), Y: v}
			}
			l, err := plotter.NewLine(pts)
			if err != nil {
				return err
			}
			l.Width = vg.Points(1.4)
			panels[pi].Add(l)
			ls = append(ls, l)
		}
		style := ls[0].LineStyle
		switch name := names[i]; {
		case name == eval.RandomMethod:
			style.Color, style.Width, style.Dashes = color.Black, vg.Points(2.5), []vg.Length{vg.Points(6), vg.Points(3)}
		case name == "single_pixel" || name == "uniform":
			style.Color, style.Dashes = color.Gray{Y: 110}, []vg.Length{vg.Points(1.5), vg.Points(2.5)}
			if name == "uniform" {
				style.Color = color.Gray{Y: 170}
			}
		case kind[name] == "lrp":
			style.Color = palette(colored)
			colored++
		default:
			style.Color, style.Dashes = palette(colored), []vg.Length{vg.Points(5), vg.Points(2)}
			colored++
		}
		for _, l := range ls {
			l.LineStyle = style
		}
		legend.Add(names[i], ls[0])
	}
	img := vgimg.New(w, h)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 1, Cols: 2, PadTop: vg.Points(6), PadBottom: vg.Points(6), PadLeft: vg.Points(6), PadX: vg.Points(18)}
	cs := plot.Align([][]*plot.Plot{panels}, tiles, draw.Crop(dc, 0, -legendW, 0, 0))
	for i, p := range panels {
		p.Draw(cs[0][i])
	}
	legend.Draw(draw.Crop(dc, w-legendW+vg.Points(10), 0, 0, -vg.Points(28)))
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// ticks returns labelled ticks 1, 2 or 5 × 10ᵏ apart, about n of them over
// min…max.
func ticks(min, max float64, n int) []plot.Tick {
	raw := (max - min) / float64(n)
	if !(raw > 0) {
		return nil
	}
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	step := 10 * p
	for _, f := range []float64{1, 2, 5} {
		if f*p >= raw {
			step = f * p
			break
		}
	}
	var t []plot.Tick
	for k := math.Ceil(min / step); k*step <= max; k++ {
		v := k*step + 0 // not −0
		t = append(t, plot.Tick{Value: v, Label: strconv.FormatFloat(v, 'g', 10, 64)})
	}
	return t
}

// palette is Tableau's ten colours and eight more that stay apart from
// them (the gray of the ten is left to the controls).
func palette(i int) color.Color {
	cs := []color.RGBA{{31, 119, 180, 255}, {255, 127, 14, 255}, {44, 160, 44, 255}, {214, 39, 40, 255}, {148, 103, 189, 255},
		{140, 86, 75, 255}, {227, 119, 194, 255}, {188, 189, 34, 255}, {23, 190, 207, 255},
		{0, 0, 128, 255}, {128, 128, 0, 255}, {255, 20, 147, 255}, {0, 100, 0, 255}, {139, 0, 0, 255},
		{0, 139, 139, 255}, {210, 105, 30, 255}, {75, 0, 130, 255}, {154, 205, 50, 255}}
	return cs[i%len(cs)]
}
