package congestion

import (
	"math"
	"time"
)

// noSample marks an empty bucket. No real delay sample comes near it, and it loses every
// minimum, so empty buckets need no special case.
const noSample = time.Duration(math.MaxInt64)

// baseDelay is RFC 6817's base-delay history (§2.4.2 update_base_delay, §3.1.1): the
// minimum one-way delay of each of the last len(buckets) intervals, and the minimum over
// those. Keeping per-interval minima instead of one running minimum is what lets the base
// follow a route change to a longer path: once every bucket from before the change has
// rolled out, the old, lower minimum is forgotten. A lower sample, in contrast, lowers the
// base at once.
type baseDelay struct {
	buckets  []time.Duration // ring; buckets[head] is the interval now filling
	head     int
	start    time.Time // when buckets[head]'s interval began
	interval time.Duration
	min      time.Duration // cached minimum over buckets
}

func newBaseDelay(history int, interval time.Duration, now time.Time) baseDelay {
	b := baseDelay{buckets: make([]time.Duration, history), start: now, interval: interval}
	b.clear()
	return b
}

func (b *baseDelay) clear() {
	for i := range b.buckets {
		b.buckets[i] = noSample
	}
	b.min = noSample
}

// add records a sample taken at now. The RFC's pseudocode rolls to a new bucket when the
// minute changes, one bucket per sample; we roll one bucket per whole interval elapsed, so a
// channel that was silent for longer than the history starts afresh rather than trusting
// minima from long ago.
func (b *baseDelay) add(now time.Time, d time.Duration) {
	if elapsed := now.Sub(b.start); elapsed >= b.interval {
		n := elapsed / b.interval
		b.start = b.start.Add(n * b.interval)
		if n >= time.Duration(len(b.buckets)) {
			b.clear()
		} else {
			for range n {
				b.head = (b.head + 1) % len(b.buckets)
				b.buckets[b.head] = noSample
			}
			b.recompute()
		}
	}
	if d < b.buckets[b.head] {
		b.buckets[b.head] = d
	}
	b.min = min(b.min, d)
}

// recompute refreshes the cached minimum after buckets were dropped; it runs at most once
// per interval, so its cost does not matter.
func (b *baseDelay) recompute() {
	b.min = noSample
	for _, v := range b.buckets {
		b.min = min(b.min, v)
	}
}

// value is the base delay, and false before the first sample.
func (b *baseDelay) value() (time.Duration, bool) {
	return b.min, b.min != noSample
}
