package run

import (
	"os"
	"runtime/debug"
	"sync"
)

// planningMemoryLimit bounds the heap while the garbage collector is off during planning.
const planningMemoryLimit = 1 << 30

// gcOffWhilePlanning turns the garbage collector off while the tree is scanned: a no-op run
// allocates about 1 KB per file and usually exits right after, and collecting during the scan
// costs a tenth of a no-op (docs/benchmarks.md). A memory limit still bounds the heap. The
// returned func turns collection back on, before long builds; calling it again does nothing.
// GOGC or GOMEMLIMIT set by the user win: then nothing changes.
func gcOffWhilePlanning() (restore func()) {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return func() {}
	}
	percent := debug.SetGCPercent(-1)
	limit := debug.SetMemoryLimit(planningMemoryLimit)
	var once sync.Once
	return func() {
		once.Do(func() {
			debug.SetGCPercent(percent)
			debug.SetMemoryLimit(limit)
		})
	}
}
