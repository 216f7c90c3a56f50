package cctest

import (
	"math"
	"time"
)

// BBR models BBR version 1 (Cardwell et al., "BBR: Congestion-Based Congestion Control",
// ACM Queue 14(5), 2016; draft-cardwell-iccrg-bbr-congestion-control-00), the default TCP of
// many Linux hosts. It is the kind of flow RFC 6817 LEDBAT does not notice: it estimates the
// bottleneck bandwidth (the largest delivery rate of the last bwRounds round trips) and the
// path's round trip (the smallest of the last minRTTWindow), paces at that bandwidth times a
// gain that cycles 1.25, 0.75, 1, 1, 1, 1, 1, 1 (one round trip each), and caps what it has in
// flight at twice their product. So it keeps only a small queue of its own, far below
// LEDBAT's 100 ms target, ignores delay and (in version 1) loss, and every 10 s drains to four
// packets for 200 ms (ProbeRTT) to re-learn the round trip.
//
// Simplifications: one ACK per packet, no application-limited samples, no loss response,
// no ACK-aggregation allowance. Like Linux's, the window has room for three TSO bursts on
// top of the bandwidth-delay products, which is what keeps BBR going on a path whose round
// trip is a millisecond or less.
type BBR struct {
	mss   float64
	state bbrState

	pacingGain, cwndGain float64
	cwnd                 float64
	priorCwnd            float64 // restored when ProbeRTT ends
	nextSend             time.Time

	// Bandwidth: the largest delivery rate sample of each of the last bwRounds rounds.
	bwRing [bwRounds]float64
	btlBw  float64 // bytes per second

	minRTT      time.Duration
	minRTTStamp time.Time

	// Delivery accounting for the rate samples and the round count.
	delivered          int
	deliveredAt        time.Time
	round              int
	nextRoundDelivered int

	// Startup ends when the bandwidth has not grown by a quarter in three rounds.
	fullBw       float64
	fullBwRounds int
	pipeFull     bool

	cycle      int
	cycleStart time.Time

	probeRTTDone      time.Time // zero until the flight fell to minCwnd
	probeRTTRoundDone bool
}

type bbrState uint8

const (
	bbrStartup bbrState = iota
	bbrDrain
	bbrProbeBW
	bbrProbeRTT
)

const (
	highGain     = 2.885 // 2/ln 2: doubles the sending rate every round trip in Startup
	bwRounds     = 10
	minRTTWindow = 10 * time.Second
	probeRTTTime = 200 * time.Millisecond
	minCwndPkts  = 4
	initCwndPkts = 10
)

// pacingCycle is ProbeBW's gain per round trip: probe for more bandwidth, drain the queue the
// probe made, then cruise.
var pacingCycle = [...]float64{1.25, 0.75, 1, 1, 1, 1, 1, 1}

// Sent is what a packet carries from its send to its ACK: the delivery state then, from
// which the ACK computes a delivery-rate sample.
type Sent struct {
	At          time.Time
	Delivered   int
	DeliveredAt time.Time
}

// NewBBR returns a flow in Startup with TCP's initial window of 10 packets of mss bytes.
func NewBBR(mss int, now time.Time) *BBR {
	m := float64(mss)
	return &BBR{
		mss:         m,
		state:       bbrStartup,
		pacingGain:  highGain,
		cwndGain:    highGain,
		cwnd:        initCwndPkts * m,
		deliveredAt: now,
		minRTTStamp: now,
	}
}

// Cwnd is the window in bytes.
func (b *BBR) Cwnd() int { return int(b.cwnd) }

// BtlBw is the bottleneck bandwidth estimate in bytes per second.
func (b *BBR) BtlBw() float64 { return b.btlBw }

// MinRTT is the round-trip estimate.
func (b *BBR) MinRTT() time.Duration { return b.minRTT }

// CanSend reports whether one more packet fits in the window with flight bytes in flight.
func (b *BBR) CanSend(flight int) bool { return flight <= 0 || float64(flight)+b.mss <= b.cwnd }

// NextSend is the earliest time the pacer lets the next packet go.
func (b *BBR) NextSend() time.Time { return b.nextSend }

func (b *BBR) bdp() float64       { return b.btlBw * b.minRTT.Seconds() }
func (b *BBR) minCwnd() float64   { return minCwndPkts * b.mss }
func (b *BBR) pacingGap() float64 { return b.mss / b.pacingRate() }

// pacingRate is the gain times the bandwidth estimate; before the first estimate, the
// initial window per round trip (or no pacing at all before the first RTT sample).
func (b *BBR) pacingRate() float64 {
	if b.btlBw > 0 {
		return b.pacingGain * b.btlBw
	}
	if b.minRTT > 0 {
		return highGain * b.cwnd / b.minRTT.Seconds()
	}
	return math.Inf(1)
}

// OnSend records a packet sent at now with flight bytes already in flight, moves the pacing
// clock on by one packet, and returns what its ACK must hand back.
func (b *BBR) OnSend(now time.Time, flight int) Sent {
	if flight <= 0 {
		b.deliveredAt = now // restarting from idle: the gap is not a slow delivery
	}
	if b.nextSend.Before(now) {
		b.nextSend = now
	}
	b.nextSend = b.nextSend.Add(time.Duration(b.pacingGap() * float64(time.Second)))
	return Sent{At: now, Delivered: b.delivered, DeliveredAt: b.deliveredAt}
}

// OnLoss does nothing: BBR version 1 does not back off on loss (it only slows down in
// recovery, which this model leaves out).
func (b *BBR) OnLoss(time.Time) {}

// OnAck takes the ACK of one packet of bytes that was sent with state s; flight is the bytes
// still in flight after it.
func (b *BBR) OnAck(now time.Time, bytes int, s Sent, flight int) {
	b.delivered += bytes
	b.deliveredAt = now

	roundStart := false
	if s.Delivered >= b.nextRoundDelivered {
		b.nextRoundDelivered = b.delivered
		b.round++
		b.bwRing[b.round%bwRounds] = 0
		roundStart = true
	}
	if interval := now.Sub(s.DeliveredAt).Seconds(); interval > 0 {
		rate := float64(b.delivered-s.Delivered) / interval
		slot := &b.bwRing[b.round%bwRounds]
		*slot = max(*slot, rate)
		b.btlBw = 0
		for _, v := range b.bwRing {
			b.btlBw = max(b.btlBw, v)
		}
	}

	rtt := now.Sub(s.At)
	expired := now.Sub(b.minRTTStamp) > minRTTWindow
	if rtt > 0 && (b.minRTT == 0 || rtt <= b.minRTT || expired) {
		b.minRTT, b.minRTTStamp = rtt, now
	}

	switch b.state {
	case bbrStartup:
		if roundStart {
			if b.btlBw >= 1.25*b.fullBw {
				b.fullBw, b.fullBwRounds = b.btlBw, 0
			} else if b.fullBwRounds++; b.fullBwRounds >= 3 {
				b.pipeFull = true
				b.state, b.pacingGain, b.cwndGain = bbrDrain, 1/highGain, highGain
			}
		}
	case bbrDrain:
		if float64(flight) <= b.bdp() {
			b.enterProbeBW(now)
		}
	case bbrProbeBW:
		if now.Sub(b.cycleStart) > b.minRTT {
			b.cycle = (b.cycle + 1) % len(pacingCycle)
			b.cycleStart = now
			b.pacingGain = pacingCycle[b.cycle]
		}
	}

	if expired && b.state != bbrProbeRTT {
		b.state, b.pacingGain, b.cwndGain = bbrProbeRTT, 1, 1
		b.priorCwnd = b.cwnd
		b.probeRTTDone = time.Time{}
	}
	if b.state == bbrProbeRTT {
		if b.probeRTTDone.IsZero() && float64(flight) <= b.minCwnd() {
			b.probeRTTDone = now.Add(probeRTTTime)
			b.probeRTTRoundDone = false
			b.nextRoundDelivered = b.delivered
		} else if !b.probeRTTDone.IsZero() {
			if roundStart {
				b.probeRTTRoundDone = true
			}
			if b.probeRTTRoundDone && now.After(b.probeRTTDone) {
				b.minRTTStamp = now
				b.cwnd = max(b.cwnd, b.priorCwnd)
				if b.pipeFull {
					b.enterProbeBW(now)
				} else {
					b.state, b.pacingGain, b.cwndGain = bbrStartup, highGain, highGain
				}
			}
		}
	}

	// Linux adds three TSO bursts to the window (bbr_quantization_budget): a burst is about
	// a millisecond of data at the pacing rate, at least two packets. On a short path this is
	// most of the window.
	target := b.cwndGain*b.bdp() + 3*max(2*b.mss, b.pacingRate()/1000)
	switch {
	case b.state == bbrProbeRTT:
		b.cwnd = b.minCwnd()
		return
	case b.pipeFull:
		b.cwnd = min(b.cwnd+float64(bytes), target)
	case b.cwnd < target || b.delivered < initCwndPkts*int(b.mss):
		b.cwnd += float64(bytes)
	}
	b.cwnd = max(b.cwnd, b.minCwnd())
}

func (b *BBR) enterProbeBW(now time.Time) {
	// Start in a cruising phase, as Linux does when it picks the phase at random and does
	// not land on the drain one.
	b.state, b.cwndGain = bbrProbeBW, 2
	b.cycle, b.cycleStart = 2, now
	b.pacingGain = pacingCycle[b.cycle]
}
