package heatmap_test

import (
	"fmt"

	"github.com/lrpwasm/lrp/heatmap"
)

func ExampleRender() {
	// A 1×3 relevance map, one channel: negative, zero, positive.
	rel := []float32{-0.5, 0, 1}
	dst := make([]uint8, 4*3)
	lo, hi, err := heatmap.Render(dst, rel, 1, 1, 3, heatmap.Options{ColorMap: "bwr"})
	if err != nil {
		panic(err)
	}
	fmt.Println("range", lo, hi)
	for i := 0; i < len(dst); i += 4 {
		fmt.Printf("%v → #%02x%02x%02x\n", rel[i/4], dst[i], dst[i+1], dst[i+2])
	}
	// Output:
	// range -1 1
	// -0.5 → #7f7fff
	// 0 → #ffffff
	// 1 → #ff0000
}
