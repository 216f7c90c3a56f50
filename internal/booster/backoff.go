package booster

import "time"

// Retry waits of a failing source: the first retry after backoffMin, doubling per
// consecutive failure up to backoffMax. A source that works again goes back to the regular
// interval.
const (
	backoffMin = 5 * time.Second
	backoffMax = 30 * time.Minute
)

// backoff is the wait after the n-th consecutive failure (n >= 1): min*2^(n-1), capped.
func backoff(n int, min, max time.Duration) time.Duration {
	if n < 1 {
		n = 1
	}
	d := min
	for i := 1; i < n; i++ {
		d *= 2
		if d >= max || d <= 0 {
			return max
		}
	}
	if d > max {
		return max
	}
	return d
}
