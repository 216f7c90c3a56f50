package congestion

import "time"

// Ledbat is one channel's LEDBAT sender (RFC 6817 §2.4.2). The caller keeps the bytes in
// flight; Ledbat keeps the window, the delay filters and the congestion timeout.
type Ledbat struct {
	cfg Config

	// The window and the byte-valued constants are float64 so that per-ACK increments of a
	// fraction of a byte (GAIN·off_target·MSS²/cwnd with a large window) add up instead of
	// being rounded away.
	cwnd            float64
	mss             float64
	minCwnd         float64
	maxCwnd         float64
	allowedIncrease float64

	base    baseDelay
	current currentDelay
	rtt     rttEstimator

	queuing time.Duration // at the last ACK; see QueuingDelay

	lastReduction time.Time // of the window on loss; zero until the first
	slowStart     bool      // see Config.NoSlowStart

	pp plusPlusState // LEDBAT++ only
}

// New returns a sender with the window at InitCwnd. A zero Config gives the defaults. New
// never fails: out-of-range fields are clamped to the nearest legal value (a Target above
// 100 ms becomes 100 ms, a Gain above 1 becomes 1, negative values take their default);
// use Config.Validate to reject them instead. now starts the first base-delay interval.
func New(cfg Config, now time.Time) *Ledbat {
	cfg = cfg.clamped()
	mss := float64(cfg.MSS)
	return &Ledbat{
		cfg:             cfg,
		cwnd:            float64(cfg.InitCwnd) * mss,
		mss:             mss,
		minCwnd:         float64(cfg.MinCwnd) * mss,
		maxCwnd:         float64(cfg.MaxCwnd),
		allowedIncrease: float64(cfg.AllowedIncrease) * mss,
		base:            newBaseDelay(cfg.BaseHistory, cfg.BaseInterval, now),
		current:         newCurrentDelay(cfg.CurrentFilter),
		rtt:             rttEstimator{minCTO: cfg.MinCTO, maxCTO: cfg.MaxCTO},
		slowStart:       !cfg.NoSlowStart,
	}
}

// Config returns the configuration in effect, defaults filled in and values clamped.
func (l *Ledbat) Config() Config { return l.cfg }

// OnAck takes one ACK: bytesAcked newly acknowledged, the one-way delay sample it carries
// (the receiver's clock minus our send timestamp: it may hold any clock offset between the
// two hosts, even a negative one, since only differences between samples are used), flight
// the bytes in flight before this ACK, and rtt a round-trip sample, or 0 if the caller has
// none for this ACK.
func (l *Ledbat) OnAck(now time.Time, bytesAcked int, delay time.Duration, flight int, rtt time.Duration) {
	l.rtt.sample(rtt)
	l.rtt.acked()

	// RFC 6817 §2.4.2: update both delay estimates with the sample first, then move the
	// window by how far the queuing delay is from the target.
	l.base.add(now, delay)
	l.current.add(now, delay)
	l.queuing = l.queuingDelay(now)

	if bytesAcked <= 0 {
		return // a delay sample only; nothing new acknowledged to scale a change by
	}
	if l.cfg.Variant == RFC6817 {
		l.rfc6817Window(bytesAcked, flight)
	} else {
		l.plusPlusWindow(now, bytesAcked, flight)
	}
}

// rfc6817Window moves the window for one ACK by RFC 6817 §2.4.2's rule.
func (l *Ledbat) rfc6817Window(bytesAcked, flight int) {
	target := float64(l.cfg.Target)
	if l.slowStart {
		if 2*l.queuing < l.cfg.Target {
			l.slowStartGrow(float64(bytesAcked), bytesAcked, flight)
			return
		}
		l.slowStart = false
	}
	offTarget := (target - float64(l.queuing)) / target
	// At zero queuing delay a whole window of ACKs adds GAIN·MSS: TCP's congestion
	// avoidance rate, the most a LEDBAT flow may take (RFC 6817 §2.4.2, §3.2.1). Above the
	// target offTarget is negative and the same formula shrinks the window.
	l.setCwnd(l.cwnd+l.cfg.Gain*offTarget*float64(bytesAcked)*l.mss/l.cwnd, flight)
}

// slowStartGrow adds growth bytes to the window, never past the bytes in flight plus what
// this ACK freed (so the growth is tested, as with the flight cap of setCwnd).
func (l *Ledbat) slowStartGrow(growth float64, bytesAcked, flight int) {
	next := l.cwnd + growth
	next = min(next, float64(max(flight, 0))+float64(bytesAcked)+l.allowedIncrease)
	l.cwnd = min(max(next, l.cwnd, l.minCwnd), l.maxCwnd)
}

// setCwnd moves the window to next within its bounds. RFC 6817 §2.4.2: the window may not
// grow beyond what is in flight plus ALLOWED_INCREASE, so an application-limited sender
// does not build up a window it has never tested. We only stop growth here; a window
// already larger than that cap is left alone rather than cut (see the package
// documentation).
func (l *Ledbat) setCwnd(next float64, flight int) {
	if capped := float64(max(flight, 0)) + l.allowedIncrease; next > capped {
		next = max(capped, min(next, l.cwnd))
	}
	l.cwnd = min(max(next, l.minCwnd), l.maxCwnd)
}

// queuingDelay is FILTER(current delays) − min(base delays) (RFC 6817 §2.4.2). The filter
// only looks back one smoothed RTT once there is one (RFC 6817 §2.5).
func (l *Ledbat) queuingDelay(now time.Time) time.Duration {
	base, ok := l.base.value()
	if !ok {
		return 0
	}
	cur, ok := l.current.value(now, l.rtt.srtt)
	if !ok {
		return 0
	}
	// Every current sample is also in the base history, so cur >= base; the guard only
	// covers a base bucket that rolled out between the two.
	return max(cur-base, 0)
}

// OnLoss reports a lost datagram (PPSPP re-requests lost chunks; nothing is resent in the
// TCP sense). The window halves, not below MinCwnd, and at most once per round trip: the
// other losses of the same window were caused by the same congestion (RFC 6817 §2.4.2).
// Before the first RTT sample, InitialCTO stands in for the round trip.
func (l *Ledbat) OnLoss(now time.Time) {
	rtt := l.rtt.srtt
	if !l.rtt.sampled {
		rtt = InitialCTO
	}
	if !l.lastReduction.IsZero() && now.Sub(l.lastReduction) < rtt {
		return
	}
	l.lastReduction = now
	if l.slowStart {
		l.endSlowStart(now)
	}
	l.endSlowdown(now)
	// min(): a window already below MinCwnd (after a timeout) is not raised by a loss.
	l.cwnd = min(l.cwnd, max(l.cwnd/2, l.minCwnd))
}

// OnTimeout reports that no ACK came for a whole CTO while data was in flight: extreme
// congestion or a changed path. The window drops to one MSS, below MinCwnd, until the next
// ACK raises it; the CTO backs off; and the current-delay samples, which describe the path
// as it was, are dropped so that the next ACKs re-seed the filter (RFC 6817 §2.4.2).
// The base history is kept: it is a long-term minimum that one stall does not invalidate.
func (l *Ledbat) OnTimeout(now time.Time) {
	l.cwnd = l.mss
	if l.slowStart {
		l.endSlowStart(now)
	}
	l.endSlowdown(now)
	l.rtt.expire()
	l.current.reset()
	l.queuing = 0
	l.lastReduction = now
}

// Cwnd is the congestion window in bytes.
func (l *Ledbat) Cwnd() int { return int(l.cwnd) }

// CanSend reports whether one more full-sized datagram fits in the window with flight bytes
// already in flight. With nothing in flight it is always true: a window below one MSS would
// otherwise stall the channel for good.
func (l *Ledbat) CanSend(flight int) bool {
	return flight <= 0 || float64(flight)+l.mss <= l.cwnd
}

// QueuingDelay is the current delay minus the base delay as of the last ACK, 0 before the
// first sample and right after a timeout.
func (l *Ledbat) QueuingDelay() time.Duration { return l.queuing }

// BaseDelay is the minimum one-way delay over the base history, clock offset included, so
// only its changes mean anything; 0 before the first sample.
func (l *Ledbat) BaseDelay() time.Duration {
	b, ok := l.base.value()
	if !ok {
		return 0
	}
	return b
}

// SmoothedRTT is RFC 6298's SRTT, 0 before the first RTT sample.
func (l *Ledbat) SmoothedRTT() time.Duration { return l.rtt.srtt }

// CTO is the congestion timeout: RFC 6298's RTO (SRTT + 4·RTTVAR, InitialCTO before any
// sample), bounded by Config.MinCTO and MaxCTO and doubled for every timeout since the last
// ACK.
func (l *Ledbat) CTO() time.Duration { return l.rtt.cto() }

// NextTimeout is when OnTimeout is due if nothing else happens: lastAckOrSend plus the CTO.
// As with TCP's retransmission timer (RFC 6298 §5.1, §5.3), lastAckOrSend is the time of the
// last ACK, or of the send that found nothing in flight if that came later; the caller arms
// the timer only while something is in flight.
func (l *Ledbat) NextTimeout(lastAckOrSend time.Time) time.Time {
	return lastAckOrSend.Add(l.CTO())
}
