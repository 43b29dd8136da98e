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
// repository's own Zennit reference sets (testdata/zennit and arch/ below
// it), all 42 configs and the logits of the 5 case files.
func TestParityDefault(t *testing.T) {
	out, err := stdout(t, func() error { return runParity(nil) })
	require.NoError(t, err, "lrp parity\n%s", out)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	last := lines[len(lines)-1]
	t.Log(last)
	const want = "parity: 42/42 configs and 5/5 logits within 1e-05, "
	assert.True(t, strings.HasPrefix(last, want), "last line %q, want %s…", last, want)
	assert.Contains(t, out, "arch/densenet", "the arch folder's logits-only case")
}
