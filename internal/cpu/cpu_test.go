package cpu

import (
	"testing"
	"time"

	"github.com/stretchr/testify/assert"
)

// spin burns about d of CPU time.
func spin(d time.Duration) {
	start, _ := Used()
	for {
		if now, _ := Used(); now-start >= d {
			return
		}
	}
}

// Work twice as long measures about twice the CPU time, and a sleep,
// which uses none, measures almost nothing.
func TestMeasure(t *testing.T) {
	short := Measure(func() { spin(20 * time.Millisecond) })
	long := Measure(func() { spin(40 * time.Millisecond) })
	assert.InDelta(t, 2, float64(long)/float64(short), 0.5, "short %v, long %v", short, long)
	sleep := Measure(func() { time.Sleep(50 * time.Millisecond) })
	assert.Less(t, sleep, 10*time.Millisecond)
}

func TestGrowth(t *testing.T) {
	took := Growth(2, 2, func(i int) { spin(time.Duration(i+1) * 10 * time.Millisecond) })
	assert.Len(t, took, 2)
	assert.Greater(t, took[1], took[0])
}
