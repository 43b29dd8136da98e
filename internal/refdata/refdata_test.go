package refdata

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// fakeTB records a Fatalf instead of stopping the test.
type fakeTB struct{ failed string }

func (f *fakeTB) Helper() {}
func (f *fakeTB) Fatalf(format string, args ...any) {
	if f.failed == "" {
		f.failed = format
	}
}

// TestDir finds the reference folder from a package folder, and it holds
// the three MNIST sets with their README.
func TestDir(t *testing.T) {
	dir, err := Dir()
	require.NoError(t, err)
	assert.True(t, filepath.IsAbs(dir), "Dir() = %q, want an absolute path", dir)
	for _, name := range []string{"README.md", "mlp.onnx", "cnn.cases.json", "cnn_bn.layers.json", "arch/squeezenet.onnx"} {
		_, err := os.Stat(filepath.Join(dir, name))
		assert.NoError(t, err, name)
	}
}

// TestPathMissingFails: a missing reference fails the test (it never
// skips).
func TestPathMissingFails(t *testing.T) {
	var f fakeTB
	Path(&f, "no-such-model.onnx")
	assert.NotEmpty(t, f.failed, "Path of a missing file did not fail")
	f = fakeTB{}
	b := Read(&f, "cnn_bn.onnx")
	assert.Empty(t, f.failed)
	assert.Len(t, b, 7051)
}
