package congestion

import "time"

// rttEstimator computes the congestion timeout the way RFC 6298 §2 computes TCP's RTO:
// a smoothed RTT and its mean deviation, RTO = SRTT + 4·RTTVAR, doubled on each expiry
// (§5.5). RFC 6817 §2.4.2 asks for a congestion timeout computed much like TCP's RTO; the
// one deliberate difference is the floor (Config.MinCTO).
type rttEstimator struct {
	srtt, rttvar   time.Duration
	min            time.Duration // the smallest sample, 0 before the first
	sampled        bool
	backoff        uint // number of doublings since the last ACK
	minCTO, maxCTO time.Duration
}

// RFC 6298 §2.3 gains: alpha = 1/8 for SRTT, beta = 1/4 for RTTVAR, K = 4.
const rttK = 4

func (r *rttEstimator) sample(rtt time.Duration) {
	if rtt <= 0 {
		return
	}
	if r.min == 0 || rtt < r.min {
		r.min = rtt
	}
	if !r.sampled {
		// §2.2: the first measurement seeds both.
		r.srtt, r.rttvar, r.sampled = rtt, rtt/2, true
		return
	}
	// §2.3: RTTVAR is updated with the old SRTT, then SRTT.
	diff := r.srtt - rtt
	if diff < 0 {
		diff = -diff
	}
	r.rttvar = r.rttvar - r.rttvar/4 + diff/4
	r.srtt = r.srtt - r.srtt/8 + rtt/8
}

// cto is the current congestion timeout, backoff included.
func (r *rttEstimator) cto() time.Duration {
	base := InitialCTO // §2.1: 1 s until the first sample
	if r.sampled {
		base = r.srtt + rttK*r.rttvar
	}
	base = min(max(base, r.minCTO), r.maxCTO)
	for range r.backoff {
		if base >= r.maxCTO/2 {
			return r.maxCTO
		}
		base *= 2
	}
	return base
}

// expire doubles the timeout (RFC 6298 §5.5), up to maxCTO.
func (r *rttEstimator) expire() {
	if r.cto() < r.maxCTO {
		r.backoff++
	}
}

// acked ends the backoff. RFC 6298 §5 keeps a backed-off RTO until a fresh RTT sample, to
// cope with TCP's retransmission ambiguity; PPSPP never resends the same datagram to get an
// ACK, so any ACK shows the path is delivering again.
func (r *rttEstimator) acked() {
	r.backoff = 0
}
