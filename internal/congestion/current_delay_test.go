package congestion

import (
	"testing"
	"time"
)

func TestCurrentDelayFilter(t *testing.T) {
	type sample struct {
		at time.Duration // after epoch
		d  time.Duration
	}
	tests := []struct {
		name    string
		size    int
		samples []sample
		now     time.Duration
		maxAge  time.Duration
		want    time.Duration
	}{
		{"minimum of the last four", 4, []sample{{0, 10 * ms}, {1 * ms, 50 * ms}, {2 * ms, 40 * ms}, {3 * ms, 60 * ms}, {4 * ms, 45 * ms}}, 4 * ms, 0, 40 * ms},
		{"fewer than four", 4, []sample{{0, 30 * ms}, {1 * ms, 20 * ms}}, 1 * ms, 0, 20 * ms},
		{"older than one RTT ignored", 4, []sample{{0, 10 * ms}, {50 * ms, 40 * ms}, {60 * ms, 30 * ms}}, 100 * ms, 60 * ms, 30 * ms},
		{"newest always counts", 4, []sample{{0, 10 * ms}, {1 * ms, 40 * ms}}, time.Second, 60 * ms, 40 * ms},
		{"no age limit without an RTT", 4, []sample{{0, 10 * ms}, {1 * ms, 40 * ms}}, time.Second, 0, 10 * ms},
		{"filter of one", 1, []sample{{0, 10 * ms}, {1 * ms, 40 * ms}}, 1 * ms, 0, 40 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := newCurrentDelay(tt.size)
			for _, s := range tt.samples {
				c.add(epoch.Add(s.at), s.d)
			}
			if got, ok := c.value(epoch.Add(tt.now), tt.maxAge); !ok || got != tt.want {
				t.Errorf("value = %v (%v), want %v", got, ok, tt.want)
			}
		})
	}
}

func TestCurrentDelayReset(t *testing.T) {
	c := newCurrentDelay(4)
	c.add(epoch, 10*ms)
	c.reset()
	if _, ok := c.value(epoch, 0); ok {
		t.Error("value after reset")
	}
	c.add(epoch.Add(ms), 70*ms)
	if got, _ := c.value(epoch.Add(ms), 0); got != 70*ms {
		t.Errorf("value %v after re-seeding, want 70ms (the pre-reset 10ms gone)", got)
	}
}
