package cctest

import (
	"math"
	"time"
)

// Cubic models TCP CUBIC (RFC 9438), Linux's default loss-based TCP: slow start until the
// first loss, then a window that follows a cubic function of the time since the last loss,
// flat around the window where that loss happened and steep away from it, never below what
// Reno would have (RFC 9438 §4.3), cut to 0.7 of itself on loss, at most once per round trip.
// It ignores delay, so beside it the queue fills until the buffer overflows.
//
// Simplifications: no HyStart, no fast convergence, one ACK per packet.
type Cubic struct {
	mss      float64
	cwnd     float64 // in packets
	ssthresh float64
	wMax     float64 // window at the last loss, packets
	k        float64 // seconds from the last loss to regaining wMax
	wEst     float64 // the Reno-friendly estimate, packets
	epoch    time.Time
	srtt     time.Duration
	lastCut  time.Time
}

const (
	cubicC    = 0.4
	cubicBeta = 0.7
)

// NewCubic returns a flow in slow start with TCP's initial window of 10 packets of mss bytes.
func NewCubic(mss int) *Cubic {
	return &Cubic{mss: float64(mss), cwnd: initCwndPkts, ssthresh: math.Inf(1)}
}

// Cwnd is the window in bytes.
func (c *Cubic) Cwnd() int { return int(c.cwnd * c.mss) }

// CanSend reports whether one more packet fits in the window with flight bytes in flight.
func (c *Cubic) CanSend(flight int) bool {
	return flight <= 0 || float64(flight)+c.mss <= c.cwnd*c.mss
}

// NextSend is the zero time: CUBIC sends whenever the window allows.
func (c *Cubic) NextSend() time.Time { return time.Time{} }

// OnSend records a packet sent at now.
func (c *Cubic) OnSend(now time.Time, _ int) Sent { return Sent{At: now} }

// OnAck takes the ACK of one packet of bytes sent with state s.
func (c *Cubic) OnAck(now time.Time, bytes int, s Sent, _ int) {
	rtt := now.Sub(s.At)
	if c.srtt == 0 {
		c.srtt = rtt
	} else {
		c.srtt += (rtt - c.srtt) / 8
	}
	acked := float64(bytes) / c.mss
	if c.cwnd < c.ssthresh {
		c.cwnd += acked
		return
	}
	t := now.Sub(c.epoch).Seconds() + c.srtt.Seconds()
	target := cubicC*math.Pow(t-c.k, 3) + c.wMax
	if target > c.cwnd {
		c.cwnd += (target - c.cwnd) / c.cwnd * acked
	} else {
		c.cwnd += 0.01 / c.cwnd * acked
	}
	// RFC 9438 §4.3: the Reno-friendly region.
	c.wEst += 3 * (1 - cubicBeta) / (1 + cubicBeta) * acked / c.cwnd
	c.cwnd = max(c.cwnd, c.wEst)
}

// OnLoss reports a lost packet: the window is cut to 0.7 of itself, at most once per round
// trip.
func (c *Cubic) OnLoss(now time.Time) {
	if !c.lastCut.IsZero() && now.Sub(c.lastCut) < c.srtt {
		return
	}
	c.lastCut, c.epoch = now, now
	c.wMax = c.cwnd
	c.cwnd = max(c.cwnd*cubicBeta, 2)
	c.ssthresh, c.wEst = c.cwnd, c.cwnd
	c.k = math.Cbrt(c.wMax * (1 - cubicBeta) / cubicC)
}
