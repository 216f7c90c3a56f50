// Package benchcpu measures the CPU time a benchmark run costs the process. The machines
// benchmarks run on are shared, so wall time overstates what work costs; CPU time (user +
// system) is what a peer pays for it, whatever else runs beside.
package benchcpu

import "time"

// Meter holds the process's CPU time at the start of a run.
type Meter struct {
	start time.Duration
	ok    bool
}

// Start reads the CPU time now; call it right before the measured loop.
func Start() Meter {
	c, ok := Process()
	return Meter{start: c, ok: ok}
}

// PerOp is the CPU time since Start divided over n operations, in nanoseconds; false where
// the platform does not tell CPU time, or for n = 0.
func (m Meter) PerOp(n int) (float64, bool) {
	end, ok := Process()
	if !m.ok || !ok || n <= 0 {
		return 0, false
	}
	return float64(end-m.start) / float64(n), true
}
