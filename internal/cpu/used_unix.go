//go:build unix

package cpu

import (
	"syscall"
	"time"
)

// Used returns the user and system CPU time of this process so far.
func Used() (time.Duration, error) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, err
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), nil
}
