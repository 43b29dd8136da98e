package lrp_test

import (
	"fmt"
	"testing"

	"github.com/stretchr/testify/assert"
	"github.com/stretchr/testify/require"

	"github.com/lrpwasm/lrp/lrp"
)

// threeClasses is a one-layer model whose logits for x = (1, 2) are
// (1, 4, 2): it predicts class 1, not class 0.
func threeClasses(t *testing.T) *lrp.Model {
	t.Helper()
	in := lrp.InputSpec{Shape: []int{2}, Low: 0, High: 10}
	m, err := lrp.NewModel("three", in, []lrp.Node{
		{Name: "out", Layer: &lrp.Dense{In: 2, Out: 3, W: []float32{1, 0, 0, 2, 0, 1}}, Inputs: []int{lrp.Input}},
	}, nil)
	require.NoError(t, err)
	return m
}

// The zero Options explain the predicted class, as their comment and the
// README say.
func TestZeroTargetIsPredicted(t *testing.T) {
	m := threeClasses(t)
	x := []float32{1, 2}
	for _, tc := range []struct {
		name string
		o    lrp.Options
	}{
		{"zero options", lrp.Options{}},
		{"method only", lrp.Options{Method: "epsilon_gamma_box"}},
		{"baseline", lrp.Options{Method: "gradient"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res, err := lrp.NewExplainer(m).Explain(x, tc.o)
			require.NoError(t, err)
			assert.Equal(t, 1, res.Predicted, "predicted class, logits %v", res.Logits)
			assert.Equal(t, res.Predicted, res.Target, "got target %d, want the predicted class %d", res.Target, res.Predicted)
		})
	}
}

// Class(k) explains class k, class 0 included, whatever the prediction.
func TestClassTarget(t *testing.T) {
	m := threeClasses(t)
	x := []float32{1, 2}
	for _, method := range []string{"epsilon_gamma_box", "gradient"} {
		for _, k := range []int{0, 1, 2} {
			t.Run(fmt.Sprintf("%s/class %d", method, k), func(t *testing.T) {
				res, err := lrp.NewExplainer(m).Explain(x, lrp.Options{Method: method, Target: lrp.Class(k)})
				require.NoError(t, err)
				assert.Equal(t, 1, res.Predicted, "predicted class, logits %v", res.Logits)
				assert.Equal(t, k, res.Target, "got target %d, want %d", res.Target, k)
			})
		}
	}
}

// A class the model does not have is an error, also −1 (only the zero
// Target is the predicted class).
func TestClassTargetOutOfRange(t *testing.T) {
	m := threeClasses(t)
	for _, tc := range []struct {
		method string
		k      int
		want   string
	}{
		{"epsilon_gamma_box", 3, "lrp: target 3 out of range: model has classes 0..2"},
		{"epsilon_gamma_box", -1, "lrp: target -1 out of range: model has classes 0..2"},
		{"smoothgrad", 7, "lrp: target 7 out of range: model has classes 0..2"},
	} {
		t.Run(fmt.Sprintf("%s/%d", tc.method, tc.k), func(t *testing.T) {
			res, err := lrp.NewExplainer(m).Explain([]float32{1, 2}, lrp.Options{Method: tc.method, Target: lrp.Class(tc.k)})
			assert.Nil(t, res, "got a result with the error")
			require.EqualError(t, err, tc.want)
		})
	}
}

func TestTargetAccessors(t *testing.T) {
	logits := []float32{1, 4, 2}
	for _, tc := range []struct {
		t       lrp.Target
		class   int
		fixed   bool
		resolve int
		str     string
	}{
		{lrp.Target{}, 0, false, 1, "predicted"},
		{lrp.Class(0), 0, true, 0, "0"},
		{lrp.Class(2), 2, true, 2, "2"},
	} {
		k, fixed := tc.t.Class()
		assert.Equal(t, tc.class, k, "%v: got class %d, want %d", tc.t, k, tc.class)
		assert.Equal(t, tc.fixed, fixed, "%v: got fixed %v, want %v", tc.t, fixed, tc.fixed)
		assert.Equal(t, tc.resolve, tc.t.Resolve(logits), "%v: resolve", tc.t)
		assert.Equal(t, tc.str, tc.t.String(), "%v: string", tc.t)
	}
}

// The zero Options explain the predicted class with epsilon_gamma_box;
// Class(k) asks about class k instead. Here x = (1, 2) gives the logits
// (1, 4, 2).
func ExampleTarget() {
	in := lrp.InputSpec{Shape: []int{2}, Low: 0, High: 10}
	m, err := lrp.NewModel("three", in, []lrp.Node{
		{Name: "out", Layer: &lrp.Dense{In: 2, Out: 3, W: []float32{1, 0, 0, 2, 0, 1}}, Inputs: []int{lrp.Input}},
	}, []string{"cat", "dog", "fox"})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := lrp.NewExplainer(m)
	for _, o := range []lrp.Options{{}, {Target: lrp.Class(0)}} {
		res, err := e.Explain([]float32{1, 2}, o)
		if err != nil {
			fmt.Println(err)
			return
		}
		fmt.Printf("target %-9v → explains %s (predicted %s), relevance %.1f\n",
			o.Target, m.Labels[res.Target], m.Labels[res.Predicted], res.Relevance)
	}
	// Output:
	// target predicted → explains dog (predicted dog), relevance [0.0 1.0]
	// target 0         → explains cat (predicted dog), relevance [1.0 0.0]
}
