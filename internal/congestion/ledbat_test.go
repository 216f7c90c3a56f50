package congestion

import (
	"fmt"
	"math"
	"slices"
	"testing"
	"time"
)

const ms = time.Millisecond

// With no queuing delay LEDBAT grows like TCP's congestion avoidance: one MSS per window of
// ACKs at GAIN 1 (RFC 6817 §2.4.2).
func TestGrowthWithoutQueuingDelay(t *testing.T) {
	s := newScenario(t, Config{})
	if got, want := s.l.Cwnd(), 2*s.mss; got != want {
		t.Fatalf("initial Cwnd = %d, want INIT_CWND·MSS = %d", got, want)
	}
	var growth []float64
	for range 60 {
		growth = append(growth, float64(s.roundTrip(0))/float64(s.mss))
	}
	for i, g := range growth {
		// A window of n ACKs adds n·MSS²/cwnd, at most one MSS; less when cwnd holds a
		// fraction of an MSS that no ACK comes back for.
		if g <= 0.4 || g > 1 {
			t.Errorf("round %d: growth %.3f MSS, want (0.4, 1]", i, g)
		}
	}
	mean := 0.0
	for _, g := range growth[10:] {
		mean += g
	}
	mean /= float64(len(growth[10:]))
	if mean < 0.9 || mean > 1 {
		t.Errorf("mean growth over rounds 10-59 = %.3f MSS per RTT, want about 1", mean)
	}
	if s.l.QueuingDelay() != 0 {
		t.Errorf("QueuingDelay = %v with constant delay samples", s.l.QueuingDelay())
	}
}

// Growth per window is GAIN·(1 − q/TARGET) MSS: it slows as queuing delay rises, stops at
// TARGET and turns into a decrease beyond it.
func TestGrowthFollowsOffTarget(t *testing.T) {
	tests := []struct {
		q    time.Duration
		want float64 // MSS per round trip, before the n·MSS/cwnd rounding factor
	}{
		{0, 1},
		{25 * ms, 0.75},
		{50 * ms, 0.5},
		{75 * ms, 0.25},
		{100 * ms, 0},
		{125 * ms, -0.25},
		{150 * ms, -0.5},
		{300 * ms, -2},
	}
	prev := math.Inf(1)
	for _, tt := range tests {
		t.Run(tt.q.String(), func(t *testing.T) {
			s := newScenario(t, Config{})
			s.roundTrips(3, 0) // learn the base delay
			s.setCwnd(40)
			s.roundTrips(2, tt.q) // let the current-delay filter see only q
			if got := s.l.QueuingDelay(); got != tt.q {
				t.Fatalf("QueuingDelay = %v, want %v", got, tt.q)
			}
			got := s.roundTrips(3, tt.q)
			if math.Abs(got-tt.want) > 0.1 {
				t.Errorf("growth %.3f MSS per RTT, want %.2f", got, tt.want)
			}
			if got >= prev {
				t.Errorf("growth %.3f not below %.3f at a smaller queuing delay", got, prev)
			}
			prev = got
		})
	}
}

// Against a bottleneck whose queue is the window minus the bandwidth-delay product, LEDBAT
// settles where queuing delay is TARGET: below it the window grows and builds queue, above
// it the window shrinks.
func TestEquilibriumAtTarget(t *testing.T) {
	s := newScenario(t, Config{})
	const rate = 250.0 // datagrams per second through the bottleneck
	bdp := rate * s.baseRTT.Seconds()
	queue := func() time.Duration {
		queued := max(0, float64(s.flight)/float64(s.mss)-bdp)
		return time.Duration(queued / rate * float64(time.Second))
	}
	var sumQ time.Duration
	var sumCwnd float64
	n := 0
	s.fill()
	for s.clock.Now().Sub(epoch) < 60*time.Second {
		// ACKs come one per datagram time while the link is busy, faster only while the
		// window is below the bandwidth-delay product.
		inFlight := float64(s.flight) / float64(s.mss)
		wait := time.Duration(float64(time.Second) / max(rate, inFlight/s.baseRTT.Seconds()))
		q := queue()
		s.ack(wait, q)
		if s.clock.Now().Sub(epoch) >= 45*time.Second {
			sumQ += q
			sumCwnd += s.cwndMSS()
			n++
		}
	}
	meanQ := sumQ / time.Duration(n)
	meanCwnd := sumCwnd / float64(n)
	wantCwnd := bdp + rate*MaxTarget.Seconds() // RFC 6817's target
	t.Logf("settled: queuing delay %v, cwnd %.1f MSS (BDP %.0f + TARGET·rate %.0f)", meanQ, meanCwnd, bdp, wantCwnd-bdp)
	if d := meanQ - 100*ms; d < -10*ms || d > 10*ms {
		t.Errorf("mean queuing delay %v, want 100ms ± 10%%", meanQ)
	}
	if math.Abs(meanCwnd-wantCwnd) > 0.1*wantCwnd {
		t.Errorf("mean cwnd %.1f MSS, want %.1f ± 10%%", meanCwnd, wantCwnd)
	}
}

// A route change to a longer path (RFC 6817 §3.1.1) looks like queuing delay until the base
// history from before the change has expired; then the base follows and the window grows
// again. A shorter path is picked up with its first sample.
func TestRouteChange(t *testing.T) {
	const history, interval = 10, time.Second // the RFC's 10 minutes, scaled down 60×
	tests := []struct {
		jump       time.Duration
		lowGrowth  float64 // per RTT while the jump counts as queuing delay
		highGrowth float64
	}{
		{50 * ms, 0.35, 0.55},   // off_target 0.5: slower growth
		{150 * ms, -0.6, -0.35}, // off_target −0.5: the window shrinks
	}
	for _, tt := range tests {
		t.Run("+"+tt.jump.String(), func(t *testing.T) {
			s := newScenario(t, Config{BaseHistory: history, BaseInterval: interval})
			for s.clock.Now().Sub(epoch) < 5*time.Second {
				s.roundTrip(0)
			}
			oldBase, before := s.l.BaseDelay(), s.l.Cwnd()
			if oldBase != s.baseOWD {
				t.Fatalf("BaseDelay = %v, want %v", oldBase, s.baseOWD)
			}
			jumpAt := s.clock.Now()
			s.baseOWD += tt.jump
			s.baseRTT += tt.jump
			s.roundTrip(0)
			if got := s.l.QueuingDelay(); got != tt.jump {
				t.Errorf("right after the change QueuingDelay = %v, want %v", got, tt.jump)
			}
			g := s.roundTrips(10, 0)
			if g < tt.lowGrowth || g > tt.highGrowth {
				t.Errorf("growth while the old base holds: %.3f MSS per RTT, want [%.2f, %.2f]", g, tt.lowGrowth, tt.highGrowth)
			}
			// Still the old base just before the history runs out...
			for s.clock.Now().Sub(jumpAt) < (history-1)*interval-time.Second/2 {
				s.roundTrip(0)
			}
			if got := s.l.BaseDelay(); got != oldBase {
				t.Errorf("%v after the change BaseDelay = %v, want still %v", s.clock.Now().Sub(jumpAt), got, oldBase)
			}
			// ...and the new one once every bucket from before the change has rolled out.
			for s.clock.Now().Sub(jumpAt) < history*interval {
				s.roundTrip(0)
			}
			s.roundTrip(0)
			if got := s.l.BaseDelay(); got != s.baseOWD {
				t.Errorf("%v after the change BaseDelay = %v, want %v", s.clock.Now().Sub(jumpAt), got, s.baseOWD)
			}
			if got := s.l.QueuingDelay(); got != 0 {
				t.Errorf("after the base adapted QueuingDelay = %v, want 0", got)
			}
			if g := s.roundTrips(10, 0); g < 0.9 {
				t.Errorf("growth after the base adapted: %.3f MSS per RTT, want about 1", g)
			}
			t.Logf("cwnd %d MSS before the change, %d MSS after recovery", before/s.mss, s.l.Cwnd()/s.mss)

			// Back to the short route: its first samples lower the base at once.
			s.baseOWD -= tt.jump
			s.baseRTT -= tt.jump
			s.roundTrip(0)
			if got := s.l.BaseDelay(); got != oldBase {
				t.Errorf("after a shorter route BaseDelay = %v, want %v at once", got, oldBase)
			}
			if got := s.l.QueuingDelay(); got != 0 {
				t.Errorf("after a shorter route QueuingDelay = %v, want 0", got)
			}
		})
	}
}

// Losses halve the window at most once per round trip and never below MIN_CWND
// (RFC 6817 §2.4.2).
func TestLossHalvesOncePerRTT(t *testing.T) {
	s := newScenario(t, Config{})
	s.baseRTT = 100 * ms
	s.roundTrips(3, 0) // every RTT sample is 100 ms, so SRTT is exactly 100 ms
	if got := s.l.SmoothedRTT(); got != 100*ms {
		t.Fatalf("SmoothedRTT = %v, want 100ms", got)
	}
	s.setCwnd(32)
	steps := []struct {
		advance time.Duration
		losses  int
		want    int // MSS
	}{
		{0, 5, 16},        // a burst within one RTT counts once
		{50 * ms, 3, 16},  // still the same round trip
		{51 * ms, 1, 8},   // 101 ms after the first cut: a new round trip, a new cut
		{100 * ms, 1, 4},  //
		{100 * ms, 1, 2},  // MIN_CWND
		{200 * ms, 4, 2},  // stays at the floor
		{500 * ms, 10, 2}, //
	}
	for i, st := range steps {
		s.clock.Advance(st.advance)
		s.lose(st.losses)
		if got := s.l.Cwnd(); got != st.want*s.mss {
			t.Errorf("step %d: Cwnd = %d MSS, want %d", i, got/s.mss, st.want)
		}
	}
}

// Before any RTT sample the initial CTO (1 s) stands in for the round trip.
func TestLossBeforeRTTSample(t *testing.T) {
	l := New(Config{}, epoch)
	mss := l.Config().MSS
	l.cwnd = float64(16 * mss)
	for _, st := range []struct {
		at   time.Duration
		want int // MSS
	}{{0, 8}, {900 * ms, 8}, {time.Second, 4}} {
		l.OnLoss(epoch.Add(st.at))
		if got := l.Cwnd(); got != st.want*mss {
			t.Errorf("after a loss at %v Cwnd = %d MSS, want %d", st.at, got/mss, st.want)
		}
	}
}

// A whole CTO without ACKs drops the window to one MSS, backs the CTO off, and re-seeds the
// current-delay filter (RFC 6817 §2.4.2).
func TestTimeout(t *testing.T) {
	for _, noRTT := range []bool{false, true} {
		// Without RTT samples nothing ages the old delay samples out; only the re-seed
		// does.
		t.Run(fmt.Sprintf("noRTT=%v", noRTT), func(t *testing.T) {
			s := newScenario(t, Config{})
			s.noRTT = noRTT
			s.roundTrips(20, 0)
			cto := s.l.CTO()
			s.clock.Advance(cto)
			s.l.OnTimeout(s.clock.Now())
			if got := s.l.Cwnd(); got != s.mss {
				t.Errorf("Cwnd after timeout = %d, want 1 MSS = %d", got, s.mss)
			}
			if got := s.l.CTO(); got != 2*cto {
				t.Errorf("CTO after timeout = %v, want doubled %v", got, 2*cto)
			}
			if got := s.l.QueuingDelay(); got != 0 {
				t.Errorf("QueuingDelay after timeout = %v, want 0 until new samples", got)
			}
			if !s.l.CanSend(0) || s.l.CanSend(1) {
				t.Errorf("with a 1-MSS window: CanSend(0) = %v, CanSend(1) = %v; want true, false", s.l.CanSend(0), s.l.CanSend(1))
			}
			// Everything in flight is presumed lost; the channel restarts with one datagram.
			s.flight = 0
			if n := s.fill(); n != 1 {
				t.Fatalf("sent %d datagrams after timeout, want 1", n)
			}
			// The first ACK's sample stands alone: the 0-ms samples from before the
			// timeout no longer hide the queue.
			s.ack(s.baseRTT+80*ms, 80*ms)
			if got := s.l.QueuingDelay(); got != 80*ms {
				t.Errorf("QueuingDelay after re-seeding = %v, want 80ms", got)
			}
			if got := s.l.Cwnd(); got != 2*s.mss {
				t.Errorf("Cwnd after the first ACK = %d, want MIN_CWND·MSS = %d", got, 2*s.mss)
			}
			if got := s.l.CTO(); got >= 2*cto {
				t.Errorf("CTO after an ACK = %v, want the backoff gone (< %v)", got, 2*cto)
			}
		})
	}
}

// A sparse channel (one ACK every 200 ms, RTT 40 ms) must not judge the queue by samples
// several round trips old (RFC 6817 §2.5): a new queue shows at its first sample.
func TestCurrentFilterAgesOut(t *testing.T) {
	l := New(Config{}, epoch)
	now := epoch
	for range 4 {
		now = now.Add(200 * ms)
		l.OnAck(now, 1100, 20*ms, 1100, 40*ms)
	}
	now = now.Add(200 * ms)
	l.OnAck(now, 1100, 100*ms, 1100, 120*ms)
	if got := l.QueuingDelay(); got != 80*ms {
		t.Errorf("QueuingDelay = %v, want 80ms from the only sample younger than one RTT", got)
	}
}

// Only differences between delay samples matter, so a constant clock offset between the
// peers, positive or negative, large or not, gives exactly the same window.
func TestClockOffsetCancels(t *testing.T) {
	run := func(offset time.Duration) (trace []int, base time.Duration) {
		s := newScenario(t, Config{BaseInterval: time.Second})
		s.offset = offset
		s.roundTrips(30, 0)
		s.roundTrips(10, 60*ms)
		s.roundTrips(10, 150*ms)
		s.lose(3)
		s.roundTrips(20, 0)
		s.baseOWD += 30 * ms // a longer route too
		s.baseRTT += 30 * ms
		for s.clock.Now().Sub(epoch) < 30*time.Second {
			s.roundTrip(20 * ms)
		}
		return s.trace, s.l.BaseDelay()
	}
	want, wantBase := run(0)
	for _, offset := range []time.Duration{5 * time.Second, -3 * time.Second, 10 * ms, -time.Hour, 1000 * time.Hour} {
		t.Run(fmt.Sprint(offset), func(t *testing.T) {
			got, base := run(offset)
			if !slices.Equal(got, want) {
				i := 0
				for i < min(len(got), len(want)) && got[i] == want[i] {
					i++
				}
				t.Fatalf("window paths differ from the offset-free run at event %d of %d/%d", i, len(got), len(want))
			}
			if base-wantBase != offset {
				t.Errorf("BaseDelay %v, want the offset-free %v plus %v", base, wantBase, offset)
			}
		})
	}
}

// An application-limited sender does not build a window it never uses: growth stops at
// flight + ALLOWED_INCREASE·MSS (RFC 6817 §2.4.2).
func TestApplicationLimited(t *testing.T) {
	s := newScenario(t, Config{})
	s.appLimit = 3 * s.mss
	for range 500 {
		s.roundTrip(0)
	}
	if got, limit := s.l.Cwnd(), s.appLimit+s.mss; got > limit {
		t.Errorf("Cwnd = %d after 500 idle-ish RTTs, want <= flight + 1 MSS = %d", got, limit)
	}
}

// The flight-size cap only stops growth: a window already larger than flight + 1 MSS is not
// cut when the application pauses, but delay above target still shrinks it.
func TestFlightCapDoesNotShrink(t *testing.T) {
	tests := []struct {
		name string
		q    time.Duration
		want func(before, after float64) bool
	}{
		{"no queue: unchanged", 0, func(b, a float64) bool { return a == b }},
		{"at target: unchanged", 100 * ms, func(b, a float64) bool { return a == b }},
		{"above target: shrinks", 200 * ms, func(b, a float64) bool { return a < b }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newScenario(t, Config{})
			s.roundTrips(3, 0)
			s.setCwnd(20)
			before := s.l.cwnd
			now := s.clock.Now()
			for i := range 4 {
				s.l.OnAck(now.Add(time.Duration(i)*ms), s.mss, s.baseOWD+tt.q, 2*s.mss, s.baseRTT)
			}
			if !tt.want(before, s.l.cwnd) {
				t.Errorf("cwnd %.0f → %.0f with 2 MSS in flight", before, s.l.cwnd)
			}
		})
	}
}

func TestCanSend(t *testing.T) {
	l := New(Config{MSS: 1000, InitCwnd: 3}, epoch)
	for _, tt := range []struct {
		flight int
		want   bool
	}{{0, true}, {-5, true}, {1000, true}, {2000, true}, {2001, false}, {3000, false}} {
		if got := l.CanSend(tt.flight); got != tt.want {
			t.Errorf("CanSend(%d) with a 3000-byte window = %v, want %v", tt.flight, got, tt.want)
		}
	}
}

// The window never exceeds MaxCwnd and never falls below MIN_CWND on an ACK, whatever the
// samples say.
func TestWindowBounds(t *testing.T) {
	s := newScenario(t, Config{MaxCwnd: 10 * 1100})
	s.roundTrips(50, 0)
	if got := s.l.Cwnd(); got != 10*s.mss {
		t.Errorf("Cwnd = %d, want MaxCwnd %d", got, 10*s.mss)
	}
	s.roundTrips(50, 5*time.Second)
	if got := s.l.Cwnd(); got != 2*s.mss {
		t.Errorf("Cwnd = %d under huge delay, want MIN_CWND·MSS %d", got, 2*s.mss)
	}
}

// An ACK with no newly acknowledged bytes still feeds the delay filters.
func TestDelayOnlyAck(t *testing.T) {
	l := New(Config{}, epoch)
	l.OnAck(epoch, 0, 20*ms, 0, 0)
	l.OnAck(epoch.Add(ms), 0, 50*ms, 0, 0)
	if l.Cwnd() != 2*1100 || l.BaseDelay() != 20*ms || l.QueuingDelay() != 0 {
		t.Errorf("Cwnd %d BaseDelay %v QueuingDelay %v", l.Cwnd(), l.BaseDelay(), l.QueuingDelay())
	}
	for i := range 4 {
		l.OnAck(epoch.Add(time.Duration(2+i)*ms), 0, 50*ms, 0, 0)
	}
	if l.QueuingDelay() != 30*ms {
		t.Errorf("QueuingDelay %v, want 30ms", l.QueuingDelay())
	}
}

func TestNextTimeout(t *testing.T) {
	l := New(Config{}, epoch)
	if got, want := l.NextTimeout(epoch), epoch.Add(InitialCTO); !got.Equal(want) {
		t.Errorf("NextTimeout = %v, want %v", got, want)
	}
}

func TestOnAckDoesNotAllocate(t *testing.T) {
	l := New(Config{}, epoch)
	now := epoch
	allocs := testing.AllocsPerRun(1000, func() {
		now = now.Add(ms)
		l.OnAck(now, 1100, 20*ms, 10*1100, 40*ms)
	})
	if allocs != 0 {
		t.Errorf("OnAck allocates %.1f times per call", allocs)
	}
}

func BenchmarkOnAck(b *testing.B) {
	l := New(Config{}, epoch)
	now := epoch
	b.ReportAllocs()
	for i := 0; b.Loop(); i++ {
		now = now.Add(100 * time.Microsecond)
		// A delay that wanders over 0–63 ms of queue, so the filters do real work.
		l.OnAck(now, 1100, 20*ms+time.Duration(i&63)*ms, l.Cwnd(), 60*ms)
	}
}

// TestSlowStart: with slow start on (the default), the window doubles per round trip of
// full ACKs while the queue stays short, and the first loss, or a queuing delay of half the
// target, ends it.
func TestSlowStart(t *testing.T) {
	const mss = 1100
	l := New(Config{Variant: RFC6817, MSS: mss}, epoch)
	now := epoch
	ackRound := func(delay time.Duration) {
		n := l.Cwnd() / mss
		for range n {
			l.OnAck(now, mss, delay, l.Cwnd(), 20*time.Millisecond)
		}
		now = now.Add(20 * time.Millisecond)
	}
	for round, want := range []int{4, 8, 16, 32} {
		ackRound(10 * time.Millisecond)
		if got := l.Cwnd() / mss; got != want {
			t.Fatalf("round %d: cwnd %d MSS, want %d", round, got, want)
		}
	}
	l.OnLoss(now)
	if got := l.Cwnd() / mss; got != 16 {
		t.Fatalf("after loss: %d MSS", got)
	}
	before := l.Cwnd()
	ackRound(10 * time.Millisecond)
	if grown := float64(l.Cwnd()-before) / mss; grown > 1.01 {
		t.Fatalf("grew %.2f MSS in a round after the loss: still in slow start", grown)
	}

	// A queue of half the target ends slow start without a loss.
	l = New(Config{Variant: RFC6817, MSS: mss}, epoch)
	now = epoch
	ackRound(10 * time.Millisecond) // base 10 ms
	ackRound(10*time.Millisecond + 60*time.Millisecond)
	before = l.Cwnd()
	ackRound(10*time.Millisecond + 60*time.Millisecond)
	if l.Cwnd() >= before+mss {
		t.Fatalf("cwnd %d -> %d with 60 ms of queue: slow start did not end", before, l.Cwnd())
	}
}
