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

// Two Explainers explain one input together, each in its own goroutine
// (in a page: each in its own Worker), and both get Explain's result. A
// ResNet of width 32 at 128×128 has 17 products large enough to split.
func ExampleExplainer_ExplainSplit() {
	m := lrp.SyntheticResNet(1, 32, 128)
	x := make([]float32, m.InputLen())
	for i := range x {
		x[i] = float32(i%97) / 97
	}
	o := lrp.Options{Method: "epsilon_gamma_box"}
	want, _ := lrp.NewExplainer(m).Explain(x, o)

	p0, p1 := lrp.Pair()
	done := make(chan *lrp.Result)
	go func() {
		r, err := lrp.NewExplainer(m).ExplainSplit(x, o, 1, p1)
		if err != nil {
			fmt.Println(err)
		}
		done <- r
	}()
	r0, err := lrp.NewExplainer(m).ExplainSplit(x, o, 0, p0)
	if err != nil {
		fmt.Println(err)
		return
	}
	r1 := <-done
	same := 0
	for i, v := range want.Relevance {
		if r0.Relevance[i] == v && r1.Relevance[i] == v {
			same++
		}
	}
	fmt.Printf("%d products split, %d of %d relevance values as Explain's\n", m.SplitProducts(), same, len(x))
	// Output:
	// 17 products split, 49152 of 49152 relevance values as Explain's
}
