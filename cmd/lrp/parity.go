package main

import (
	"fmt"
	"math"

	"github.com/lrpwasm/lrp/internal/refdata"
	"github.com/lrpwasm/lrp/parity"
)

func runParity(args []string) error {
	fs := flags("parity", "[-tol T] [DIR]", "Runs every config of every NAME.cases.json in DIR (the fixtures' format; the model is\nNAME.onnx when present, else NAME.layers.json) and prints\nmax|ours − ref| / max|ref| per (model, config). Exits 1 if any config is above the\ntolerance, fails or has a name the engine does not know. Without DIR it checks the\nrepository's own Zennit reference sets (testdata/zennit).")
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
	ok, worst, worstAt := 0, -1.0, ""
	for _, l := range lines {
		status := "ok"
		switch {
		case l.Unknown:
			status = "UNKNOWN config"
		case l.Fail != nil:
			status = "ERROR " + l.Fail.Error()
		case !(l.Err <= *tol):
			status = "FAIL"
		default:
			ok++
		}
		fmt.Printf("%-10s %-28s %10.3g  %-20s %-26s %s\n", printable(l.Model), printable(l.Config), l.Err, printable(l.Source), printable(l.Reference), printable(status))
		e := l.Err
		if l.Unknown || l.Fail != nil {
			e = math.Inf(1)
		}
		if e > worst {
			worst, worstAt = e, l.Model+"/"+l.Config
		}
	}
	fmt.Printf("parity: %d/%d configs within %g, worst %.3g (%s)\n", ok, len(lines), *tol, worst, printable(worstAt))
	if ok != len(lines) {
		return errExit
	}
	return nil
}
