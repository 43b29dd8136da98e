// Package refdata finds the Zennit reference sets that the repository keeps
// in testdata/zennit (see testdata/README.md for where they came from).
// Every Go test, benchmark and command that reads the reference data goes
// through it, so the location is written once.
package refdata

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"runtime"
)

// module is the first line of the repository's go.mod.
const module = "module github.com/lrpwasm/lrp"

// rel is the reference folder relative to the repository's root.
var rel = filepath.Join("testdata", "zennit")

// Dir returns the absolute path of testdata/zennit. It looks upwards from
// the working directory for the repository's go.mod (tests run in their
// package's folder, the CLI usually at the root), then next to this source
// file (a binary built from a checkout run elsewhere).
func Dir() (string, error) {
	if wd, err := os.Getwd(); err == nil {
		for d := wd; ; d = filepath.Dir(d) {
			if isRoot(d) {
				return filepath.Join(d, rel), nil
			}
			if filepath.Dir(d) == d {
				break
			}
		}
	}
	if _, file, _, ok := runtime.Caller(0); ok {
		d := filepath.Join(filepath.Dir(file), "..", "..")
		if isRoot(d) {
			return filepath.Abs(filepath.Join(d, rel))
		}
	}
	return "", errors.New("refdata: testdata/zennit not found: run inside the repository or name a folder")
}

// isRoot reports whether d is the repository's root with its reference
// folder.
func isRoot(d string) bool {
	b, err := os.ReadFile(filepath.Join(d, "go.mod"))
	if err != nil || !bytes.HasPrefix(b, []byte(module+"\n")) {
		return false
	}
	fi, err := os.Stat(filepath.Join(d, rel))
	return err == nil && fi.IsDir()
}

// TB is the part of testing.TB that Path and Read use.
type TB interface {
	Helper()
	Fatalf(format string, args ...any)
}

// Path returns the path of a file in the reference folder (name may hold a
// subfolder, e.g. "arch/squeezenet.onnx") and fails the test if the file is
// missing: a missing reference is a failure, never a skip.
func Path(tb TB, name string) string {
	tb.Helper()
	dir, err := Dir()
	if err != nil {
		tb.Fatalf("%v", err)
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		tb.Fatalf("refdata: %v", err)
	}
	return p
}

// Read returns the contents of a file in the reference folder and fails
// the test if it cannot be read.
func Read(tb TB, name string) []byte {
	tb.Helper()
	b, err := os.ReadFile(Path(tb, name))
	if err != nil {
		tb.Fatalf("refdata: %v", err)
	}
	return b
}
