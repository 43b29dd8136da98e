package main

import (
	"fmt"
	"io"
	"os"
	"sort"
	"strings"

	"github.com/lrpwasm/lrp/app"
	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

func init() {
	register("info", "show a model file's card and check that it is valid and supported", runInfo)
}

// A modelFile is a model file as the commands use it: decoded, with its
// BatchNorm layers folded, as a session of the page folds them.
type modelFile struct {
	*model.File
	size   int // bytes of the file
	folded int // BatchNorm layers folded into the layer before
}

// loadModel is readModel for the commands that explain, evaluate or
// convert: it refuses a model that a session of the page refuses, one
// that needs more than app.MemoryLimit to explain (app.Check).
func loadModel(path string) (*modelFile, error) {
	f, err := readModel(path)
	if err != nil {
		return nil, err
	}
	if err := app.Check(f.Model); err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return f, nil
}

// readModel reads and decodes a .safetensors or .onnx file and folds its
// BatchNorm layers.
func readModel(path string) (*modelFile, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	f, err := model.Load(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	folded, err := f.Model.FoldBatchNorm()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return &modelFile{f, len(data), folded}, nil
}

func runInfo(args []string) error {
	fs := flags("info", "FILE", "Prints the model card of a .safetensors or .onnx file (graph, parameters, input,\nlabels), the memory a session needs to explain it, and the validation result. Exits 0\nfor a valid, supported model that fits the memory limit (docs/JS_API.md, \"Memory\").")
	pos, err := parse(fs, args, func(p []string) bool { return len(p) == 1 })
	if err != nil {
		return err
	}
	f, err := readModel(pos[0])
	if err != nil {
		return err
	}
	if !printInfo(os.Stdout, f) {
		return errExit
	}
	return nil
}

// printInfo prints the model card of f and whether the model is valid,
// which it reports.
func printInfo(w io.Writer, f *modelFile) bool {
	m := f.Model
	fmt.Fprintf(w, "model:      %s\n", printable(m.Name))
	fmt.Fprintf(w, "format:     %s %s, %d bytes\n", f.Format, f.DType, f.size)
	fmt.Fprintf(w, "input:      %v, pixel range [%g, %g]\n", m.Input.Shape, m.Input.Low, m.Input.High)
	assumed := app.Assume(m)
	mean, std := m.Input.Mean, m.Input.Std
	switch {
	case mean != nil:
		fmt.Fprintf(w, "normalize:  from the file: x = (pixel − %v) / %v\n", mean, std)
	case assumed.Normalization:
		mean, std = model.ImageNetNormalization()
		fmt.Fprintf(w, "normalize:  none in the file; ImageNet's assumed: x = (pixel − %v) / %v\n", mean, std)
	default:
		fmt.Fprintln(w, "normalize:  none")
	}
	lo, hi := boundsOf(m, mean, std)
	fmt.Fprintf(w, "zᴮ bounds:  %v to %v (the input range after normalization, per channel)\n", lo, hi)
	switch {
	case m.Labels != nil:
		fmt.Fprintf(w, "classes:    %d, names from the file: %s\n", m.Classes(), someLabels(m.Labels))
	case assumed.Labels:
		fmt.Fprintf(w, "classes:    %d, ImageNet class names assumed: %s\n", m.Classes(), someLabels(model.ImageNetClasses()))
	default:
		fmt.Fprintf(w, "classes:    %d, no names (shown as their indices)\n", m.Classes())
	}
	fmt.Fprintf(w, "parameters: %d\n", m.Params())
	fmt.Fprintf(w, "batchnorm:  %d folded into the layer before\n", f.folded)
	fmt.Fprintf(w, "layers:     %d\n", len(m.Nodes))
	for i, nd := range m.Nodes {
		ins := make([]string, len(nd.Inputs))
		for k, j := range nd.Inputs {
			ins[k] = "input"
			if j != lrp.Input {
				ins[k] = fmt.Sprint(j)
			}
		}
		fmt.Fprintf(w, "  %3d  %-16s %-18s ← %-10s %v\n", i, nd.Layer.Kind(), trim(printable(nd.Name), 18), strings.Join(ins, ","), m.Shape(i))
	}
	if len(f.Card) > 0 {
		fmt.Fprintln(w, "card:")
		keys := make([]string, 0, len(f.Card))
		for k := range f.Card {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s: %s\n", printable(k), printable(f.Card[k]))
		}
	}
	need, most, err := memory(m)
	if err != nil {
		fmt.Fprintf(w, "valid:      no: %s\n", printable(err.Error()))
		return false
	}
	fmt.Fprintf(w, "memory:     %d MiB to explain with %s, up to %d MiB (%s); the limit is %d MiB\n",
		app.MiB(need), lrp.DefaultMethod, app.MiB(most.bytes), most.method, app.MemoryLimit>>20)
	if err := app.Check(m); err != nil {
		fmt.Fprintf(w, "valid:      no: %s\n", printable(err.Error()))
		return false
	}
	fmt.Fprintln(w, "valid:      yes (all layers supported)")
	return true
}

// shownLabels is how many class names info prints.
const shownLabels = 10

// someLabels returns the first names of labels, escaped, and how many
// there are when it does not show all.
func someLabels(labels []string) string {
	n := min(len(labels), shownLabels)
	shown := make([]string, n)
	for i, l := range labels[:n] {
		shown[i] = printable(l)
	}
	s := strings.Join(shown, ", ")
	if n < len(labels) {
		s += fmt.Sprintf(", … (%d names)", len(labels))
	}
	return s
}

// boundsOf returns the zᴮ bounds of m's input with the normalization
// mean and std (lrp.Model.Bounds).
func boundsOf(m *lrp.Model, mean, std []float32) (lo, hi []float32) {
	in := m.Input
	defer func() { m.Input = in }()
	m.Input.Mean, m.Input.Std = mean, std
	return m.Bounds()
}

// methodNeed is the memory a session needs to explain with one method.
type methodNeed struct {
	method string
	bytes  int64
}

// memory returns the bytes a session of m needs to explain with the
// default composite, and the method that needs the most (app.Need).
func memory(m *lrp.Model) (int64, methodNeed, error) {
	need, err := app.Need(m, lrp.Options{})
	if err != nil {
		return 0, methodNeed{}, err
	}
	most := methodNeed{lrp.DefaultMethod, need}
	for _, name := range lrp.Methods() {
		n, err := app.Need(m, lrp.Options{Method: name})
		if err != nil {
			return 0, methodNeed{}, err
		}
		if n > most.bytes {
			most = methodNeed{name, n}
		}
	}
	return need, most, nil
}

// trim shortens s, when longer than n bytes, to at most n−1 bytes (whole
// runes) and an ellipsis.
func trim(s string, n int) string {
	if len(s) > n {
		return prefix(s, n-1) + "…"
	}
	return s
}
