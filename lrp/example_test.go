package lrp_test

import (
	"fmt"

	"github.com/lrpwasm/lrp/lrp"
)

// A two-layer network explained with LRP-0. The hidden layer is
// h = ReLU(W₁x) = (5, 5) and the logits are W₂h = (15, 5). Class 0 gets
// relevance 1; the last layer splits it as h_j·W₂[0][j]/15 = (1/3, 2/3),
// and the first as x_i·Σ_j W₁[j][i]·R_j/h_j = (7/15, 8/15).
func ExampleExplainer_Explain() {
	in := lrp.InputSpec{Shape: []int{2}, Low: 0, High: 10}
	m, err := lrp.NewModel("tiny", in, []lrp.Node{
		{Name: "hidden", Layer: &lrp.Dense{In: 2, Out: 2, W: []float32{1, 2, 3, 1}}, Inputs: []int{lrp.Input}},
		{Name: "relu", Layer: &lrp.ReLU{}, Inputs: []int{0}},
		{Name: "out", Layer: &lrp.Dense{In: 2, Out: 2, W: []float32{1, 2, 1, 0}}, Inputs: []int{1}},
	}, []string{"yes", "no"})
	if err != nil {
		fmt.Println(err)
		return
	}
	e := lrp.NewExplainer(m)
	res, err := e.Explain([]float32{1, 2}, lrp.Options{Method: "lrp0"})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Printf("logits %v, predicted %s\n", res.Logits, m.Labels[res.Predicted])
	fmt.Printf("relevance %.4f, sum %.4f\n", res.Relevance, res.Diagnostics.InputSum)
	for _, d := range res.Diagnostics.Layers {
		fmt.Printf("%-6s %-7s in %.4f\n", d.Name, d.Rule, d.In)
	}
	// Output:
	// logits [15 5], predicted yes
	// relevance [0.4667 0.5333], sum 1.0000
	// out    epsilon in 1.0000
	// relu   pass    in 1.0000
	// hidden epsilon in 1.0000
}
