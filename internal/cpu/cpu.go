// Package cpu measures the CPU time of a piece of work, for the tests that
// assert how a cost grows with the size of its input (linear, not
// quadratic). Wall time does not serve them: go test runs the tests of
// other packages beside them, and a shared machine's other processes take
// slices of it, so that a linear run once measured 27 times slower over an
// 8-fold input. The process's CPU time counts only this process's work.
package cpu

import (
	"runtime"
	"runtime/debug"
	"time"
)

// Measure returns the CPU time f takes, from a collected heap and with the
// collector off while it runs (the collector's work grows with the live
// heap, not with the algorithm under test). It panics if the process's
// CPU time cannot be read, which on a unix system is a bug.
func Measure(f func()) time.Duration {
	runtime.GC()
	defer debug.SetGCPercent(debug.SetGCPercent(-1))
	t0 := must(Used())
	f()
	return must(Used()) - t0
}

// Growth measures run(i) for every size i of n, rounds times over all the
// sizes in turn (so that a slow stretch of the machine falls on several
// sizes rather than all rounds of one), and returns the least CPU time of
// each size.
func Growth(n, rounds int, run func(i int)) []time.Duration {
	took := make([]time.Duration, n)
	for r := range rounds {
		for i := range n {
			if d := Measure(func() { run(i) }); r == 0 || d < took[i] {
				took[i] = d
			}
		}
	}
	return took
}

func must(d time.Duration, err error) time.Duration {
	if err != nil {
		panic("cpu: " + err.Error())
	}
	return d
}
