package swarms

import "time"

// rateWindow is how far back rates look: long enough to smooth LEDBAT's bursts, short
// enough that a stall shows within seconds.
const rateWindow = 5 * time.Second

// rateSampler turns byte counters sampled over time into rates.
type rateSampler struct {
	samples []rateSample // oldest first, spanning at most rateWindow
}

type rateSample struct {
	at       time.Time
	down, up uint64
}

func (r *rateSampler) add(at time.Time, down, up uint64) {
	r.samples = append(r.samples, rateSample{at, down, up})
	// Keep one sample at or before the window's start, so the rate spans the window.
	i := 0
	for i+1 < len(r.samples) && at.Sub(r.samples[i+1].at) >= rateWindow {
		i++
	}
	if i > 0 {
		r.samples = append(r.samples[:0], r.samples[i:]...)
	}
}

// rates returns bytes per second down and up.
func (r *rateSampler) rates() (down, up float64) {
	if len(r.samples) < 2 {
		return 0, 0
	}
	a, b := r.samples[0], r.samples[len(r.samples)-1]
	dt := b.at.Sub(a.at).Seconds()
	if dt <= 0 {
		return 0, 0
	}
	return float64(b.down-a.down) / dt, float64(b.up-a.up) / dt
}
