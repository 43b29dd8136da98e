package preprocess_test

import (
	"fmt"

	"github.com/lrpwasm/lrp/preprocess"
)

func ExampleScratch_Digit() {
	// A 280×280 transparent canvas with a black "1" drawn near its corner.
	const w, h = 280, 280
	canvas := make([]uint8, 4*w*h)
	for y := 20; y < 120; y++ {
		for x := 30; x < 40; x++ {
			canvas[4*(y*w+x)+3] = 255 // opaque black
		}
	}
	var s preprocess.Scratch // keep it: later calls allocate nothing
	img := make([]float32, preprocess.DigitSize*preprocess.DigitSize)
	if err := s.Digit(img, canvas, w, h); err != nil {
		panic(err)
	}
	// 100×10 → 20×2, centre of mass (9.5, 0.5) → shifted by (5, 14)
	// (rounding half away from zero): rows 5…24, columns 14 and 15.
	for _, y := range []int{4, 5, 24, 25} {
		fmt.Println(y, img[y*28+13:y*28+17])
	}
	// Output:
	// 4 [0 0 0 0]
	// 5 [0 1 1 0]
	// 24 [0 1 1 0]
	// 25 [0 0 0 0]
}
