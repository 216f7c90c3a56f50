package congestion

import (
	"math"
	"time"
)

// LEDBAT++ (draft-irtf-iccrg-ledbat-plus-plus) on top of the RFC 6817 machinery: the same
// base and current delay, loss response and congestion timeout, a different window rule.

const (
	// ppMaxGainDivisor bounds how far a short path slows the increase (draft §4.2):
	// GAIN = Config.Gain / min(ppMaxGainDivisor, ceil(2·Target/base RTT)).
	ppMaxGainDivisor = 16
	// ppDecrease is the draft's "constant" of the multiplicative decrease (§4.3): a queuing
	// delay of twice the target takes this fraction of the window off per round trip, and
	// a delay far beyond it (a loss-based flow filling the buffer) half the window. The
	// draft's 1 leaves two of our flows sharing the queue at only GAIN/ppDecrease packet
	// times above their target, less than the error in a latecomer's base delay on a short
	// path (see the package documentation); a quarter keeps them within a factor of 2.
	ppDecrease = 0.25
	// ppTargetRTTDivisor: the target is the smallest round trip divided by this (within
	// [MinTarget, Target]).
	ppTargetRTTDivisor = 2
	// ppSlowdownGap: the next slowdown begins this many slowdown durations after the last
	// one ended, so slowdowns cost at most a tenth of the time (draft §4.4).
	ppSlowdownGap = 9
	// ppFreezeRTTs is how long a slowdown holds the window at MinCwnd (draft §4.4), and
	// ppFirstSlowdownRTTs how long after the initial slow start the first one comes.
	ppFreezeRTTs        = 2
	ppFirstSlowdownRTTs = 2
)

type ppPhase uint8

const (
	ppNormal ppPhase = iota
	ppFrozen         // a slowdown: the window held at MinCwnd
	ppRamp           // after the freeze: slow start back to the window before it
)

// plusPlusState is what LEDBAT++ keeps besides the window.
type plusPlusState struct {
	phase       ppPhase
	nextSlow    time.Time // when the next slowdown begins; zero until the first is due
	slowStarted time.Time // when the current slowdown began
	frozenUntil time.Time
	ssthresh    float64 // the window the ramp climbs back to
}

// gain is LEDBAT++'s dynamic GAIN (draft §4.2): on a path whose base round trip is short
// compared with the target, Reno's one MSS per round trip would fill the target's worth of
// queue in few round trips and crowd out the flows LEDBAT should yield to, so the increase
// is divided by up to 16. The draft's base delay is a round trip (its reference is TCP);
// ours is the smallest RTT sample, since PPSPP's one-way samples carry an unknown clock
// offset, and its target is the one in effect (Target). Before the first sample, the
// smallest gain.
func (l *Ledbat) gain() float64 {
	div := float64(ppMaxGainDivisor)
	if m := l.rtt.min; m > 0 {
		div = min(div, max(1, math.Ceil(2*float64(l.Target())/float64(m))))
	}
	return l.cfg.Gain / div
}

// roundTrip is the smoothed RTT, InitialCTO before the first sample.
func (l *Ledbat) roundTrip() time.Duration {
	if !l.rtt.sampled {
		return InitialCTO
	}
	return l.rtt.srtt
}

// plusPlusWindow moves the window for one ACK by LEDBAT++'s rules.
func (l *Ledbat) plusPlusWindow(now time.Time, bytesAcked, flight int) {
	gain := l.gain()
	acked := float64(bytesAcked)
	target := l.Target()
	exitDelay := target * 3 / 4 // slow start ends at 3/4 of the target (draft §4.1)
	pp := &l.pp

	switch pp.phase {
	case ppFrozen:
		if now.Before(pp.frozenUntil) {
			return // held at MinCwnd while the queue we built drains
		}
		pp.phase = ppRamp
		fallthrough
	case ppRamp:
		// Back to the window from before the slowdown, whatever the delay: the queue may
		// be another LEDBAT flow's at its target, and giving up our window for it at every
		// slowdown would leave it all to that flow. The normal rule takes over from there.
		if l.cwnd < pp.ssthresh {
			l.slowStartGrow(min(gain*acked, pp.ssthresh-l.cwnd), bytesAcked, flight)
			if l.cwnd < pp.ssthresh {
				return
			}
		}
		l.endSlowdown(now)
		return
	}

	if l.slowStart {
		if l.queuing < exitDelay {
			l.slowStartGrow(gain*acked, bytesAcked, flight)
			return
		}
		l.endSlowStart(now)
	}

	if !l.cfg.NoSlowdowns && !pp.nextSlow.IsZero() && !now.Before(pp.nextSlow) {
		// A periodic slowdown (draft §4.4): with the window at its minimum for two round
		// trips our queue drains, so we (and every other LEDBAT++ flow slowing down at
		// the same time) see the true base delay, and a competing flow sees the link
		// without us, whatever it measures.
		pp.phase = ppFrozen
		pp.ssthresh = l.cwnd
		pp.slowStarted = now
		pp.frozenUntil = now.Add(ppFreezeRTTs * l.roundTrip())
		l.cwnd = l.minCwnd
		return
	}

	var delta float64
	if l.queuing <= target {
		// Below the target: GAIN·MSS per window of ACKs (draft §4.2).
		delta = gain * l.mss
	} else {
		// Above it: a decrease proportional to the window and to how far the delay is over
		// the target, at most half the window per round trip (draft §4.3). RFC 6817's
		// linear rule takes off at most GAIN·MSS per round trip for each target's worth
		// of excess: with a 300 ms buffer full of someone else's packets, it takes a
		// large window minutes to yield.
		excess := float64(l.queuing)/float64(target) - 1
		delta = max(gain*l.mss-ppDecrease*l.cwnd*excess, -l.cwnd/2)
	}
	l.setCwnd(l.cwnd+delta*acked/l.cwnd, flight)
}

// endSlowStart ends the initial slow start (on delay or on loss) and schedules the first
// slowdown.
func (l *Ledbat) endSlowStart(now time.Time) {
	l.slowStart = false
	if l.cfg.Variant == LEDBATPlusPlus && l.pp.nextSlow.IsZero() {
		l.pp.nextSlow = now.Add(ppFirstSlowdownRTTs * l.roundTrip())
	}
}

// endSlowdown returns to the normal rule after a slowdown (the ramp reached the old window,
// or met delay or loss) and schedules the next one ppSlowdownGap of its durations later.
func (l *Ledbat) endSlowdown(now time.Time) {
	pp := &l.pp
	if pp.phase == ppNormal {
		return
	}
	pp.phase = ppNormal
	pp.nextSlow = now.Add(ppSlowdownGap * now.Sub(pp.slowStarted))
}

// Target is the queuing delay the window aims for now. For RFC 6817, and for LEDBAT++ with
// Config.FixedTarget, it is Config.Target. Otherwise it is half the smallest round trip seen,
// within [Config.MinTarget, Config.Target]: a background flow adds at most half the path's
// own round trip to it (see the package documentation for why: BBR).
func (l *Ledbat) Target() time.Duration {
	if l.cfg.Variant == RFC6817 || l.cfg.FixedTarget || l.rtt.min == 0 {
		return l.cfg.Target
	}
	return min(l.cfg.Target, max(l.cfg.MinTarget, l.rtt.min/ppTargetRTTDivisor))
}
