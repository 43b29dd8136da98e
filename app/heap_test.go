package app

import (
	"testing"

	"github.com/stretchr/testify/assert"
)

// TestHeapGoal runs one HeapGoal through a session's readings: the first
// sets a limit, a target that moves by less than a quarter of the
// headroom keeps it, a larger move or a Reset sets a new one; the headroom
// is 128 KiB for a small heap and a sixteenth of the live data for a large
// one, and the memory for it is taken when it is not mapped yet.
func TestHeapGoal(t *testing.T) {
	const KiB, MiB = 1 << 10, 1 << 20
	var g HeapGoal
	for _, tc := range []struct {
		name        string
		reset       bool
		h           Heap
		ok          bool
		limit, take int64
	}{
		{"first reading", false, Heap{Mapped: 8 * MiB, Free: MiB, Objects: 3 * MiB, Live: MiB}, true, 4*MiB + MiB + 128*KiB + MiB, 0},
		{"the same", false, Heap{Mapped: 8 * MiB, Free: MiB, Objects: 3 * MiB, Live: MiB}, false, 0, 0},
		{"live +31 KiB", false, Heap{Mapped: 8 * MiB, Free: MiB, Objects: 3 * MiB, Live: MiB + 31*KiB}, false, 0, 0},
		{"live −31 KiB", false, Heap{Mapped: 8 * MiB, Free: MiB, Objects: 3 * MiB, Live: MiB - 31*KiB}, false, 0, 0},
		{"live +32 KiB", false, Heap{Mapped: 8 * MiB, Free: MiB, Objects: 3 * MiB, Live: MiB + 32*KiB}, true, 4*MiB + MiB + 32*KiB + 128*KiB + MiB, 0},
		{"a load: live 64 MiB", false, Heap{Mapped: 70 * MiB, Objects: 66 * MiB, Live: 64 * MiB}, true, 72*MiB + 72*MiB/32, 2 * MiB},
		{"live −1 MiB", false, Heap{Mapped: 70 * MiB, Objects: 66 * MiB, Live: 63 * MiB}, true, 4*MiB + 63*MiB + 63*MiB/16 + (4*MiB+63*MiB+63*MiB/16)/32, 15 * MiB / 16},
		{"reset", true, Heap{Mapped: 70 * MiB, Objects: 66 * MiB, Live: 63 * MiB}, true, 4*MiB + 63*MiB + 63*MiB/16 + (4*MiB+63*MiB+63*MiB/16)/32, 15 * MiB / 16},
	} {
		if tc.reset {
			g.Reset()
		}
		limit, take, ok := g.Next(tc.h)
		assert.Equal(t, tc.ok, ok, tc.name)
		assert.Equal(t, tc.limit, limit, "%s: limit", tc.name)
		assert.Equal(t, tc.take, take, "%s: take", tc.name)
	}
}
