//go:build !wasm

package lrp

// Natively there are no SIMD kernels (steps_wasm.go): every simdNAME
// reports false, and its helper runs its own loop.

func simdAdd(_, _ []float32) bool                            { return false }
func simdMul(_, _, _ []float32) bool                         { return false }
func simdMulAdd(_, _, _ []float32, _ float32) bool           { return false }
func simdQuotients(_, _, _, _ []float32, _ float32) bool     { return false }
func simdNormAdd(_, _, _, _, _, _ []float32, _ float32) bool { return false }
func simdReLU(_, _ []float32) bool                           { return false }
func simdReLUGradient(_, _, _ []float32) bool                { return false }
func simdNonzeros([]float32) (int, bool)                     { return 0, false }
func simdSum9([]float32, *[9][]float32) bool                 { return false }
func simdAddTo(_, _, _ []float32) bool                       { return false }
func simdSum64([]float32) (float64, bool)                    { return 0, false }
func simdNegatives([]float32) (neg, done bool)               { return false, false }
func simdSplit(_, _, _ []float32) bool                       { return false }

func simdQuotientsAt(_, _, _, _ []float32, _ float32, _ []int32) bool { return false }
func simdUnpool(_, _ []float32, _ []int32) bool                       { return false }
func simdBoxSum(_, _, _, _, _, _ []float32) bool                      { return false }

func simdGammaQuotientsAt(_, _, _, _, _ []float32, _, _ float32, _ []int32) (bp, bn uint32, ok bool) {
	return 0, 0, false
}

func simdGammaQuotients(_, _, _, _, _ []float32, _, _ float32) (bp, bn uint32, ok bool) {
	return 0, 0, false
}

func (*Conv2D) simdIm2col(_, _ []float32, _, _, _, _, _ int) bool    { return false }
func (*Conv2D) simdCol2im(_, _ []float32, _, _, _, _, _, _ int) bool { return false }

func simdMaxPool([]float32, []int32, []float32, *MaxPool2D, []int) bool { return false }

func simdSigned(_, _ []float32, _, _ float32) bool { return false }

func transposeScratch(int) int { return 0 }

func simdWinoPack(_ []float32, _ *[16]int, _ []float32, _, _, _, _, _, _, _ int) bool { return false }

func simdScatter(_, _, _ []float32, _ int, _ []int32, _ int) bool { return false }

func (*Conv2D) simdTransposeSparse(_ []float32, _ terms, _ int, _ []int32, _ bool, _, _, _, _ int, _ *arena) bool {
	return false
}

func simdGather(_, _, _, _ []float32, _, _, _ int, _ []int32, _ int, _ []float32, _ *arena) bool {
	return false
}

func simdAxpy(_, _ []float32, _ float32) bool { return false }

func simdDot4([]float32, int, []float32) (s [4]float32, ok bool) { return s, false }

func simdGemvRows(_, _ int, _ mat, _, _ []float32, _ bool) bool { return false }

func simdGemvCols(_ []float32, _ mat, _ []float32) bool { return false }
