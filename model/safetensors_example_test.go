package model_test

import (
	"fmt"
	"log"

	"github.com/lrpwasm/lrp/lrp"
	"github.com/lrpwasm/lrp/model"
)

func ExampleEncodeSafetensors() {
	// A two-pixel, two-class model: dense 2→2, ReLU, dense 2→2.
	m, err := lrp.NewModel("toy", lrp.InputSpec{Shape: []int{2}, Low: 0, High: 1}, []lrp.Node{
		{Name: "fc1", Layer: &lrp.Dense{In: 2, Out: 2, W: []float32{1, -1, 0.5, 0.25}, B: []float32{0, 0.1}}, Inputs: []int{lrp.Input}},
		{Name: "relu", Layer: &lrp.ReLU{}, Inputs: []int{0}},
		{Name: "fc2", Layer: &lrp.Dense{In: 2, Out: 2, W: []float32{1, 0, 0, 1}}, Inputs: []int{1}},
	}, []string{"no", "yes"})
	if err != nil {
		log.Fatal(err)
	}
	b, err := model.EncodeSafetensors(m, map[string]string{"description": "toy example"}, "F16")
	if err != nil {
		log.Fatal(err)
	}

	f, err := model.DecodeSafetensors(b)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(f.Format, f.DType, f.Model.Name, f.Model.Labels, f.Card["description"])
	for _, nd := range f.Model.Nodes {
		fmt.Println(nd.Name, nd.Layer.Kind(), nd.Inputs)
	}
	// 0.1 is not a float16: it comes back rounded to nearest even.
	fmt.Println(f.Model.Nodes[0].Layer.(*lrp.Dense).B)
	// Output:
	// safetensors F16 toy [no yes] toy example
	// fc1 dense [-1]
	// relu relu [0]
	// fc2 dense [1]
	// [0 0.099975586]
}
