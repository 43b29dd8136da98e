package model

import (
	"strings"
	"testing"
	"unicode"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// The embedded list has 1,000 distinct, printable names in torchvision's
// order.
func TestImageNetClasses(t *testing.T) {
	names := ImageNetClasses()
	require.Len(t, names, ImageNetClassCount)
	for i, want := range map[int]string{0: "tench", 1: "goldfish", 281: "tabby", 285: "Egyptian cat", 999: "toilet tissue"} {
		assert.Equal(t, want, names[i], "class %d", i)
	}
	seen := map[string]int{}
	for i, n := range names {
		assert.Equal(t, strings.TrimSpace(n), n, "class %d has surrounding spaces", i)
		assert.NotEmpty(t, n, "class %d", i)
		for _, r := range n {
			assert.True(t, unicode.IsPrint(r), "class %d %q has %U", i, n, r)
		}
		if j, ok := seen[n]; ok {
			t.Errorf("classes %d and %d are both %q", j, i, n)
		}
		seen[n] = i
	}
	names[0] = "changed"
	assert.Equal(t, "tench", ImageNetClasses()[0], "ImageNetClasses returns a shared slice")
}
