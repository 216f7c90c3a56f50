package congestion

import "time"

// currentDelay holds the last few delay samples and gives their minimum: RFC 6817's
// current_delays list and FILTER() (§2.4.2, §3.1.2). A minimum rather than a mean, because
// noise in one-way delay (a delayed ACK, a scheduling hiccup at either end) only ever adds
// delay, so the smallest recent sample is the best estimate of the real queue.
type currentDelay struct {
	samples []timedSample // ring
	next    int           // where the next sample goes
	n       int           // samples held, up to len(samples)
}

type timedSample struct {
	d  time.Duration
	at time.Time
}

func newCurrentDelay(size int) currentDelay {
	return currentDelay{samples: make([]timedSample, size)}
}

func (c *currentDelay) add(now time.Time, d time.Duration) {
	c.samples[c.next] = timedSample{d: d, at: now}
	c.next = (c.next + 1) % len(c.samples)
	c.n = min(c.n+1, len(c.samples))
}

// reset forgets every sample. After a congestion timeout the old samples describe a network
// that may have changed completely; the next ACKs re-seed the filter (RFC 6817 §2.4.2).
func (c *currentDelay) reset() {
	c.n = 0
}

// value is the minimum over the samples held, ignoring any older than maxAge (RFC 6817
// §2.5: samples MUST NOT be older than one RTT) when maxAge > 0. The newest sample always
// counts, so a sparse channel still has an estimate. It returns false when there are no
// samples.
func (c *currentDelay) value(now time.Time, maxAge time.Duration) (time.Duration, bool) {
	if c.n == 0 {
		return 0, false
	}
	newest := (c.next - 1 + len(c.samples)) % len(c.samples)
	m := c.samples[newest].d
	for i := 1; i < c.n; i++ {
		s := c.samples[(newest-i+len(c.samples))%len(c.samples)]
		if maxAge > 0 && now.Sub(s.at) > maxAge {
			break // older still beyond this one
		}
		m = min(m, s.d)
	}
	return m, true
}
