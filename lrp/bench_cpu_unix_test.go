//go:build unix

package lrp

import (
	"syscall"
	"time"
)

// CPUTime returns the CPU time (user + system) the process has used. The
// benchmarks report it per op next to the wall time, because on a shared
// machine the wall time also counts the other processes' turns.
func CPUTime() time.Duration {
	var r syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &r) != nil {
		return 0
	}
	return time.Duration(r.Utime.Nano() + r.Stime.Nano())
}
