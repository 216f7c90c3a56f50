//go:build unix

package live

import (
	"syscall"
	"time"
)

// processCPU is the CPU time (user + system) this process has used. Benchmarks report it
// beside wall time because the machines they run on are shared: CPU time is what a source
// pays per chunk, whatever else is running.
func processCPU() (time.Duration, bool) {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0, false
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano()), true
}
