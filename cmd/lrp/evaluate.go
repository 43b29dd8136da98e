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
	register("evaluate", "measure heatmap faithfulness by region perturbation (AOPC) or ROAD on MNIST test digits", runEvaluate)
}

func runEvaluate(args []string) error {
	fs := flags("evaluate", "-model FILE [-methods a,b,c] [-n 200] [-steps L] [-patch k] [-fill uniform] [-against random,gradient] -o DIR",
		"Removes patches of each test digit in the order of its heatmap, most relevant first\n(MoRF) and least relevant first (LeRF), and reports the area over the perturbation\ncurve (AOPC) of the target logit per method (Samek et al. 2017). With -fill road the\nremoved pixels are imputed from their neighbours instead, at 10 %, 20 %, …, 90 % of\nthe pixels (ROAD, Rong et al. 2022), and the combined score is its headline. Writes\nDIR/aopc.json, DIR/aopc.md (the tables, with paired comparisons against random and\ngradient, or -against) and DIR/curves.png. The digits are the MNIST test split of\nscripts/fetch-mnist.sh, taken round-robin over the classes.")
	modelPath := fs.String("model", "model/mnist.safetensors", "model `file`")
	methods := fs.String("methods", "", "comma-separated methods (default: every composite and baseline, and random)")
	n := fs.Int("n", 200, "number of test digits")
	steps := fs.Int("steps", 0, "points per curve after the input, L (0: all patches; road: 9, i.e. 10 % … 90 %)")
	patch := fs.Int("patch", 0, "patch side k (0: 4 for 28×28 inputs, 9 for large ones; road: 1)")
	fill := fs.String("fill", "uniform", "replacement of a removed patch: zero, mean, uniform or road")
	seed := fs.Uint64("seed", 1, "seed of the random order, tie breaking and the noise of uniform and road")
	dataDir := fs.String("data", "data/mnist", "`dir` with the MNIST digit files 0.json … 9.json")
	out := fs.String("o", "", "output `dir` (required)")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel workers")
	against := fs.String("against", eval.RandomMethod+",gradient", "comma-separated methods that every other is compared with, input by input (those among -methods)")
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
		filepath.Base(*modelPath), len(inputs), p.Patch(), p.Patch(), p.Patches(), p.Steps(), fl, *seed, took.Round(time.Second), *workers)
	table(&md, names, sums)
	xs, xLabel := axis(p, fl)
	if p.Steps() <= 10 {
		points(&md, names, sums, xs, xLabel)
	}
	for _, ref := range strings.Split(*against, ",") {
		paired(&md, names, sums, ref)
	}
	if err := os.WriteFile(filepath.Join(*out, "aopc.md"), []byte(md.String()), 0o644); err != nil {
		return err
	}
	if err := plotCurves(filepath.Join(*out, "curves.png"), names, sums, xs, xLabel); err != nil {
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

// byMoRF returns the indices of sums, best MoRF AOPC first.
func byMoRF(sums []eval.Summary) []int {
	idx := make([]int, len(sums))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return sums[idx[a]].AOPCMoRF > sums[idx[b]].AOPCMoRF })
	return idx
}

// table writes the markdown table of results, best MoRF AOPC first.
func table(w io.Writer, names []string, sums []eval.Summary) {
	fmt.Fprintln(w, "| method | AOPC MoRF (logit) ↑ | AOPC LeRF (logit) ↓ | LeRF − MoRF | combined (logit) ↑ | AOPC MoRF (prob.) | combined (prob.) ↑ |")
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, i := range byMoRF(sums) {
		s := sums[i]
		fmt.Fprintf(w, "| %s | %.3f | %.3f | %.3f | %.3f | %.3f | %.3f |\n", names[i], s.AOPCMoRF, s.AOPCLeRF, -s.Gap(), s.Combined, s.AOPCMoRFProb, s.CombinedProb)
	}
}

// axis returns the x value of every curve point and its label: the patches
// removed, or for ROAD the percentage of them, k/(L+1), that n_k rounds
// down.
func axis(p *eval.Perturber, fill eval.Fill) ([]float64, string) {
	n := p.Removed()
	xs := make([]float64, len(n))
	for k, v := range n {
		xs[k] = float64(v)
		if fill == eval.FillROAD {
			xs[k] = 100 * float64(k) / float64(p.Steps()+1)
		}
	}
	switch {
	case fill != eval.FillROAD:
		return xs, "patches removed"
	case p.Patch() == 1:
		return xs, "% of pixels removed"
	}
	return xs, "% of patches removed"
}

// points writes the mean MoRF and LeRF logit at every point of the curves
// after the first, one table each, in the order of table.
func points(w io.Writer, names []string, sums []eval.Summary, xs []float64, label string) {
	unit := ""
	if strings.HasPrefix(label, "%") {
		unit = " %"
	}
	for _, c := range []struct {
		name  string
		curve func(eval.Summary) []float64
	}{{"MoRF", func(s eval.Summary) []float64 { return s.CurveMoRF }}, {"LeRF", func(s eval.Summary) []float64 { return s.CurveLeRF }}} {
		fmt.Fprintf(w, "\nMean target logit, %s, by %s (%.3f before):\n\n| method |", c.name, label, sums[0].CurveMoRF[0])
		for _, x := range xs[1:] {
			fmt.Fprintf(w, " %.4g%s |", x, unit)
		}
		fmt.Fprint(w, "\n| --- |"+strings.Repeat(" ---: |", len(xs)-1)+"\n")
		for _, i := range byMoRF(sums) {
			fmt.Fprintf(w, "| %s |", names[i])
			for _, v := range c.curve(sums[i])[1:] {
				fmt.Fprintf(w, " %.3f |", v)
			}
			fmt.Fprintln(w)
		}
	}
}

// paired writes every method's scores minus those of ref on the same
// inputs, mean ± standard error, and on how many inputs the method is
// better; nothing if ref is not among names.
func paired(w io.Writer, names []string, sums []eval.Summary, ref string) {
	r := slices.Index(names, ref)
	if r < 0 {
		return
	}
	fmt.Fprintf(w, "\nPaired against %s on the same inputs (mean ± standard error; inputs where the method is better):\n\n", ref)
	fmt.Fprintf(w, "| method | MoRF − %[1]s ↑ | better | LeRF − %[1]s ↓ | better | combined − %[1]s ↑ | better |\n", ref)
	fmt.Fprintln(w, "| --- | ---: | ---: | ---: | ---: | ---: | ---: |")
	for _, i := range byMoRF(sums) {
		if i == r || len(sums[i].Inputs) != len(sums[r].Inputs) {
			continue
		}
		fmt.Fprintf(w, "| %s |", names[i])
		for _, c := range []struct {
			score func(eval.Score) float64
			sign  float64 // +1: larger is better
		}{{func(s eval.Score) float64 { return s.AOPCMoRF }, 1}, {func(s eval.Score) float64 { return s.AOPCLeRF }, -1}, {func(s eval.Score) float64 { return s.Combined }, 1}} {
			d := make([]float64, len(sums[i].Inputs))
			better := 0
			for k := range d {
				d[k] = c.score(sums[i].Inputs[k]) - c.score(sums[r].Inputs[k])
				if c.sign*d[k] > 0 {
					better++
				}
			}
			mean, se := meanSE(d)
			fmt.Fprintf(w, " %+.2f ± %.2f | %d / %d |", mean, se, better, len(d))
		}
		fmt.Fprintln(w)
	}
}

// meanSE returns the mean of d and its standard error s/√n, s the sample
// standard deviation.
func meanSE(d []float64) (mean, se float64) {
	n := float64(len(d))
	for _, v := range d {
		mean += v / n
	}
	if len(d) < 2 {
		return mean, 0
	}
	var ss float64
	for _, v := range d {
		ss += (v - mean) * (v - mean)
	}
	return mean, math.Sqrt(ss / (n - 1) / n)
}

// plotCurves draws the mean MoRF and LeRF curves of every method side by
// side on one y scale, with one legend right of both (so it never covers a
// curve): LRP composites solid, the other explainers dashed, the controls
// that explain nothing (single_pixel, uniform) dotted, the random order
// thick black.
func plotCurves(path string, names []string, sums []eval.Summary, xs []float64, xLabel string) error {
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
		p.X.Label.Text = xLabel
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
				pts[k] = plotter.XY{X: xs[k], Y: v}
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
