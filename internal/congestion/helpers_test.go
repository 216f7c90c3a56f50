package congestion

import (
	"testing"
	"time"
)

// epoch is where every fake clock starts; any fixed instant would do.
var epoch = time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)

// fakeClock is the virtual time a test moves by hand.
type fakeClock struct{ now time.Time }

func newFakeClock() *fakeClock               { return &fakeClock{now: epoch} }
func (c *fakeClock) Now() time.Time          { return c.now }
func (c *fakeClock) Advance(d time.Duration) { c.now = c.now.Add(d) }

// scenario drives one Ledbat over a synthetic path, the way a PPSPP channel would: full-sized
// datagrams, one ACK per datagram, and the sender refilling the window after every ACK (ACK
// clocking). The test chooses the queuing delay each ACK reports; the path adds its base
// one-way delay and the receiver's clock offset.
type scenario struct {
	t     testing.TB
	clock *fakeClock
	l     *Ledbat
	mss   int

	flight   int           // bytes sent and not yet acked or lost
	baseOWD  time.Duration // one-way delay with empty queues
	baseRTT  time.Duration // round trip with empty queues
	offset   time.Duration // receiver clock minus sender clock
	appLimit int           // if > 0, the application never has more than this in flight
	noRTT    bool          // if set, ACKs carry no RTT sample

	trace []int // Cwnd after every event, for comparing runs
}

func newScenario(t testing.TB, cfg Config) *scenario {
	cfg.Variant = RFC6817
	return newScenarioOf(t, cfg)
}

// newScenarioOf is newScenario for the variant cfg names (LEDBAT++ unless it says RFC6817).
func newScenarioOf(t testing.TB, cfg Config) *scenario {
	t.Helper()
	c := newFakeClock()
	// Scenarios check the congestion-avoidance rules (newScenario: RFC 6817 §2.4.2's);
	// slow start has tests of its own.
	cfg.NoSlowStart = true
	l := New(cfg, c.Now())
	return &scenario{
		t: t, clock: c, l: l, mss: l.Config().MSS,
		baseOWD: 20 * time.Millisecond, baseRTT: 40 * time.Millisecond,
	}
}

// fill sends full-sized datagrams while the window and the application allow, and returns
// how many it sent.
func (s *scenario) fill() int {
	n := 0
	for s.l.CanSend(s.flight) && (s.appLimit == 0 || s.flight+s.mss <= s.appLimit) {
		s.flight += s.mss
		n++
	}
	return n
}

// ack acknowledges one datagram after wait, reporting queuing delay q (on top of the base
// one-way delay and the clock offset), then refills the window.
func (s *scenario) ack(wait, q time.Duration) {
	s.t.Helper()
	if s.flight < s.mss {
		s.t.Fatalf("ack with %d bytes in flight", s.flight)
	}
	s.clock.Advance(wait)
	rtt := s.baseRTT + q
	if s.noRTT {
		rtt = 0
	}
	s.l.OnAck(s.clock.Now(), s.mss, s.baseOWD+q+s.offset, s.flight, rtt)
	s.flight -= s.mss
	s.trace = append(s.trace, s.l.Cwnd())
	s.fill()
}

// roundTrip acknowledges everything that was in flight when it started, spread evenly over
// one round trip of baseRTT+q, each ACK reporting queuing delay q. Datagrams sent in
// response are left for the next round. It returns the window's change in bytes.
func (s *scenario) roundTrip(q time.Duration) int {
	s.t.Helper()
	s.fill()
	before := s.l.Cwnd()
	n := s.flight / s.mss
	if n == 0 {
		s.clock.Advance(s.baseRTT + q)
		return 0
	}
	step := (s.baseRTT + q) / time.Duration(n)
	for range n {
		s.ack(step, q)
	}
	return s.l.Cwnd() - before
}

// roundTrips runs n round trips at queuing delay q and returns the mean change per round,
// in MSS.
func (s *scenario) roundTrips(n int, q time.Duration) float64 {
	s.t.Helper()
	total := 0
	for range n {
		total += s.roundTrip(q)
	}
	return float64(total) / float64(n) / float64(s.mss)
}

// lose reports n datagrams lost at the current time.
func (s *scenario) lose(n int) {
	for range n {
		if s.flight >= s.mss {
			s.flight -= s.mss
		}
		s.l.OnLoss(s.clock.Now())
		s.trace = append(s.trace, s.l.Cwnd())
	}
}

// setCwnd puts the window at n MSS directly, to start a test from a given state without
// playing the ramp-up.
func (s *scenario) setCwnd(n int) {
	s.l.cwnd = float64(n * s.mss)
}

// cwndMSS is the window in MSS, fractions included.
func (s *scenario) cwndMSS() float64 { return s.l.cwnd / float64(s.mss) }
