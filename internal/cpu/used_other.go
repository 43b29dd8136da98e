//go:build !unix

package cpu

import "time"

var start = time.Now()

// Used returns the wall time since the program started: where the
// process's CPU time is not read (not a unix system), the measurements
// are wall time and as noisy as the machine.
func Used() (time.Duration, error) { return time.Since(start), nil }
