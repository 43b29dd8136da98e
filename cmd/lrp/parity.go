package main

import (
	"fmt"
	"math"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/parity"
)

func runParity(args []string) error {
	fs := flags("parity", "[-tol T] [DIR]", "Compares the logits and runs every config of every NAME.cases.json in DIR and the\nfolders below it (the fixtures' format; the model is NAME.onnx when present, else\nNAME.layers.json) and prints max|ours − ref| / max|ref| per (model, logits or config).\nExits 1 if any check is above the tolerance, fails or names a config the engine does\nnot know. Without DIR it checks the repository's own Zennit reference sets\n(testdata/zennit).")
	tol := fs.Float64("tol", 1e-5, "tolerance on max|ours − ref| / max|ref|")
	jsonOnly := fs.Bool("json", false, "read NAME.layers.json even where NAME.onnx exists")
	pos, err := parse(fs, args, func(p []string) bool { return len(p) <= 1 })
	if err != nil {
		return err
	}
	if len(pos) == 0 {
		dir, err := refdata.Dir()
		if err != nil {
			return err
		}
		pos = []string{dir}
	}
	src := parity.PreferONNX
	if *jsonOnly {
		src = parity.LayersJSON
	}
	lines, err := parity.Run(pos[0], src)
	if err != nil {
		return err
	}
	width := 10
	for _, l := range lines {
		width = max(width, len(printable(l.Model)))
	}
	// ok and n count the configs, then the logits.
	var ok, n [2]int
	worst, worstAt := -1.0, ""
	for _, l := range lines {
		k := 0
		if l.Logits {
			k = 1
		}
		n[k]++
		status := "ok"
		switch {
		case l.Unknown:
			status = "UNKNOWN config"
		case l.Fail != nil:
			status = "ERROR " + l.Fail.Error()
		case !(l.Err <= *tol):
			status = "FAIL"
		default:
			ok[k]++
		}
		fmt.Printf("%-*s %-28s %10.3g  %-20s %-26s %s\n", width, printable(l.Model), printable(l.Config), l.Err, printable(l.Source), printable(l.Reference), printable(status))
		e := l.Err
		if l.Unknown || l.Fail != nil {
			e = math.Inf(1)
		}
		if e > worst {
			worst, worstAt = e, l.Model+"/"+l.Config
		}
	}
	fmt.Printf("parity: %d/%d configs and %d/%d logits within %g, worst %.3g (%s)\n", ok[0], n[0], ok[1], n[1], *tol, worst, printable(worstAt))
	if ok != n {
		return errExit
	}
	return nil
}
