package eval

import (
	"runtime"
	"testing"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"
)

// TestNeed: a Perturber and its curves for a few methods allocate at most
// Need, once the explainer has made its own buffers; and Need is not
// more than twice that.
func TestNeed(t *testing.T) {
	for _, shape := range [][]int{{1, 28, 28}, {3, 64, 48}, {100}} {
		n := 1
		for _, d := range shape {
			n *= d
		}
		m, err := lrp.NewModel("flat", lrp.InputSpec{Shape: shape, Low: 0, High: 1}, []lrp.Node{
			{Name: "flatten", Layer: &lrp.Flatten{}, Inputs: []int{lrp.Input}},
			{Name: "dense", Layer: &lrp.Dense{In: n, Out: 3, W: make([]float32, 3*n)}, Inputs: []int{0}},
		}, nil)
		require.NoError(t, err)
		e := lrp.NewExplainer(m)
		x := make([]float32, n)
		methods := []string{"epsilon", "gradient", RandomMethod}
		for _, method := range methods {
			if method != RandomMethod {
				_, err := e.Explain(x, lrp.Options{Method: method})
				require.NoError(t, err)
			}
		}
		for _, cfg := range []Config{{Fill: FillUniform}, {Fill: FillROAD}, {Fill: FillROAD, Patch: 3, Steps: 4}} {
			var a, b runtime.MemStats
			runtime.ReadMemStats(&a)
			p, err := NewPerturber(e, cfg)
			require.NoError(t, err)
			for _, method := range methods {
				_, _, err := p.Both(x, method, lrp.Options{}, 1)
				require.NoError(t, err)
			}
			runtime.ReadMemStats(&b)
			got, need := int64(b.TotalAlloc-a.TotalAlloc), Need(m, cfg, len(methods))
			t.Logf("%v %+v: allocated %d, Need %d (%.2f×)", shape, cfg, got, need, float64(need)/float64(got))
			assert.GreaterOrEqual(t, need, got, "%v %+v", shape, cfg)
			assert.LessOrEqual(t, need, 2*got, "%v %+v", shape, cfg)
		}
	}
	assert.Zero(t, Need(linear(t, 2, 2, make([]float32, 4)), Config{Patch: 3}, 1), "a refused config")
}
