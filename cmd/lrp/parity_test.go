package main

import (
	"io"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// stdout runs f with os.Stdout redirected and returns what it printed.
func stdout(t *testing.T, f func() error) (string, error) {
	t.Helper()
	r, w, err := os.Pipe()
	require.NoError(t, err)
	old := os.Stdout
	os.Stdout = w
	done := make(chan string)
	go func() {
		b, _ := io.ReadAll(r)
		done <- string(b)
	}()
	ferr := f()
	os.Stdout = old
	w.Close()
	return <-done, ferr
}

// TestParityDefault runs `lrp parity` with no folder: it checks the
// repository's own Zennit reference sets (testdata/zennit), all 37 configs.
func TestParityDefault(t *testing.T) {
	out, err := stdout(t, func() error { return runParity(nil) })
	require.NoError(t, err, "lrp parity\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	t.Log(last)
	assert.True(t, strings.HasPrefix(last, "parity: 37/37 configs within 1e-05, "), "last line %q, want parity: 37/37 configs within 1e-05, …", last)
}
