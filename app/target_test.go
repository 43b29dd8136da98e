package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/lrp"
)

// The JSON target keeps its documented meaning (docs/JS_API.md): absent,
// null and −1 are the predicted class, 0 is class 0.
func TestParseOptionsTarget(t *testing.T) {
	for _, tc := range []struct {
		js   string
		want lrp.Target
	}{
		{``, lrp.Target{}},
		{`{}`, lrp.Target{}},
		{`{"target":null}`, lrp.Target{}},
		{`{"target":-1}`, lrp.Target{}},
		{`{"target":0}`, lrp.Class(0)},
		{`{"target":7}`, lrp.Class(7)},
	} {
		o, err := ParseOptions([]byte(tc.js))
		require.NoError(t, err, tc.js)
		assert.Equal(t, tc.want, o.Explain.Target, "%s: got target %v, want %v", tc.js, o.Explain.Target, tc.want)
	}
	_, err := ParseOptions([]byte(`{"target":-2}`))
	require.EqualError(t, err, "lrp: options: target -2: want a class index, or -1 for the predicted class")
}
