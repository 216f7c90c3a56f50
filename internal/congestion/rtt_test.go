package congestion

import (
	"testing"
	"time"
)

// RFC 6298 §2 arithmetic, with our 200 ms floor and 60 s cap.
func TestCTO(t *testing.T) {
	tests := []struct {
		name    string
		samples []time.Duration
		expires int
		want    time.Duration
	}{
		{"initial", nil, 0, time.Second},
		{"initial backed off", nil, 2, 4 * time.Second},
		// First sample R: SRTT = R, RTTVAR = R/2, RTO = R + 4·R/2 = 3R.
		{"first sample", []time.Duration{100 * ms}, 0, 300 * ms},
		// RTTVAR = 3/4·50 + 1/4·|100−200| = 62.5; SRTT = 7/8·100 + 1/8·200 = 112.5;
		// RTO = 112.5 + 250 = 362.5 ms.
		{"second sample", []time.Duration{100 * ms, 200 * ms}, 0, 362500 * time.Microsecond},
		{"floor", []time.Duration{10 * ms}, 0, 200 * ms},
		{"floor then backoff", []time.Duration{10 * ms}, 3, 1600 * ms},
		{"cap", []time.Duration{30 * time.Second}, 0, 60 * time.Second},
		{"backoff capped", []time.Duration{100 * ms}, 20, 60 * time.Second},
		{"zero sample ignored", []time.Duration{0, 100 * ms}, 0, 300 * ms},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			d := DefaultConfig()
			r := rttEstimator{minCTO: d.MinCTO, maxCTO: d.MaxCTO}
			for _, s := range tt.samples {
				r.sample(s)
			}
			for range tt.expires {
				r.expire()
			}
			if got := r.cto(); got != tt.want {
				t.Errorf("cto = %v, want %v", got, tt.want)
			}
			r.acked()
			if tt.expires > 0 && r.cto() >= tt.want && tt.want < d.MaxCTO {
				t.Errorf("cto = %v after an ACK, want the backoff gone", r.cto())
			}
		})
	}
}
