package congestion

import (
	"math"
	"testing"
	"time"
)

// The target follows the path's round trip: half the smallest RTT, within [MinTarget,
// Target]; FixedTarget and RFC 6817 keep Target.
func TestPlusPlusTarget(t *testing.T) {
	tests := []struct {
		cfg  Config
		rtt  time.Duration
		want time.Duration
	}{
		{Config{}, 200 * time.Microsecond, DefaultMinTarget},
		{Config{}, 10 * time.Millisecond, 5 * time.Millisecond},
		{Config{}, 40 * time.Millisecond, 20 * time.Millisecond},
		{Config{}, 300 * time.Millisecond, PlusPlusTarget},
		{Config{MinTarget: 8 * time.Millisecond}, time.Millisecond, 8 * time.Millisecond},
		{Config{FixedTarget: true}, time.Millisecond, PlusPlusTarget},
		{Config{Variant: RFC6817}, time.Millisecond, MaxTarget},
		{Config{Target: 25 * time.Millisecond}, 300 * time.Millisecond, 25 * time.Millisecond},
	}
	for _, tt := range tests {
		l := New(tt.cfg, epoch)
		if got := l.Target(); got != l.Config().Target {
			t.Errorf("%+v: Target() before any RTT sample = %v, want Config.Target %v", tt.cfg, got, l.Config().Target)
		}
		l.OnAck(epoch.Add(tt.rtt), 0, 0, 0, tt.rtt)
		if got := l.Target(); got != tt.want {
			t.Errorf("%+v, RTT %v: Target() = %v, want %v", tt.cfg, tt.rtt, got, tt.want)
		}
	}
}

// Below the target the window grows by GAIN MSS per round trip, GAIN divided by
// min(16, ceil(2·target/RTT)) (draft §4.2): Reno's rate on a path whose RTT is at least twice
// the target, much less on a short one.
func TestPlusPlusGrowth(t *testing.T) {
	tests := []struct {
		name string
		cfg  Config
		rtt  time.Duration
		want float64 // MSS per round trip
	}{
		{"40 ms path, target 20 ms", Config{}, 40 * time.Millisecond, 1},
		{"4 ms path, target 2 ms", Config{}, 4 * time.Millisecond, 1},
		{"1 ms path, target 2 ms", Config{}, time.Millisecond, 0.25},
		{"1 ms path, fixed 60 ms target", Config{FixedTarget: true}, time.Millisecond, 1.0 / 16},
		{"40 ms path, fixed 60 ms target", Config{FixedTarget: true}, 40 * time.Millisecond, 1.0 / 3},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			tt.cfg.NoSlowdowns = true
			s := newScenarioOf(t, tt.cfg)
			s.baseRTT, s.baseOWD = tt.rtt, tt.rtt/2
			s.roundTrips(3, 0)
			s.setCwnd(40)
			got := s.roundTrips(8, 0)
			// A window of n ACKs adds a little less than GAIN·MSS as the window grows.
			if got > tt.want*1.001 || got < tt.want*0.9 {
				t.Errorf("growth %.4f MSS per RTT, want %.4f", got, tt.want)
			}
		})
	}
}

// Above the target the window shrinks in proportion to itself and to the excess (draft §4.3,
// with our constant ppDecrease), by at most half per round trip.
func TestPlusPlusDecrease(t *testing.T) {
	for _, excess := range []float64{0.5, 1, 4, 100} {
		s := newScenarioOf(t, Config{NoSlowdowns: true})
		s.roundTrips(3, 0) // base delay and RTT: 40 ms path, target 20 ms
		target := s.l.Target()
		q := time.Duration((1 + excess) * float64(target))
		s.setCwnd(100)
		s.roundTrips(2, q) // the current-delay filter sees only q
		s.setCwnd(100)
		got := s.roundTrips(1, q)
		gain := 1.0 // 2·target/RTT = 1
		want := max(gain-ppDecrease*100*excess, -50)
		// The per-ACK steps compound over the round: allow a tenth.
		if math.Abs(got-want) > 0.1*math.Abs(want) {
			t.Errorf("excess %.1f·target: change %.2f MSS in a round, want about %.2f", excess, got, want)
		}
	}
}

// Slow start grows by GAIN times what is acknowledged and ends at 3/4 of the target.
func TestPlusPlusSlowStart(t *testing.T) {
	const mss = 1100
	l := New(Config{MSS: mss, NoSlowdowns: true}, epoch)
	now := epoch
	rtt := 40 * time.Millisecond // target 20 ms, gain 1
	ackRound := func(q time.Duration) {
		n := l.Cwnd() / mss
		for range n {
			l.OnAck(now, mss, 10*time.Millisecond+q, l.Cwnd(), rtt+q)
		}
		now = now.Add(rtt + q)
	}
	for round, want := range []int{4, 8, 16} {
		ackRound(0)
		if got := l.Cwnd() / mss; got != want {
			t.Fatalf("round %d: cwnd %d MSS, want %d", round, got, want)
		}
	}
	ackRound(14 * time.Millisecond) // below 3/4 of 20 ms: still doubling
	if got := l.Cwnd() / mss; got != 32 {
		t.Fatalf("with 14 ms of queue: cwnd %d MSS, want 32", got)
	}
	ackRound(16 * time.Millisecond) // 3/4 of the target: slow start ends
	before := l.Cwnd()
	ackRound(16 * time.Millisecond)
	if grown := float64(l.Cwnd()-before) / mss; grown > 1.01 {
		t.Fatalf("grew %.2f MSS in a round at 16 ms of queue: still in slow start", grown)
	}
}

// A periodic slowdown (draft §4.4): two round trips after slow start, the window drops to
// MinCwnd for two round trips, comes back to where it was, and the next slowdown follows
// nine slowdown durations later. NoSlowdowns has none.
func TestPlusPlusSlowdown(t *testing.T) {
	run := func(cfg Config) (trace []float64, l *Ledbat) {
		cfg.MSS = 1100
		s := newScenarioOf(t, cfg)
		s.l = New(cfg, epoch) // with slow start, which the first slowdown follows
		for range 150 {
			s.roundTrip(0)
			trace = append(trace, s.cwndMSS())
			if s.l.slowStart && s.cwndMSS() >= 20 {
				s.roundTrip(16 * time.Millisecond) // 3/4 of the 20 ms target: slow start ends
				trace = append(trace, s.cwndMSS())
			}
		}
		return trace, s.l
	}
	trace, l := run(Config{})
	minCwnd := float64(l.Config().MinCwnd)
	var dips []int
	for i := 1; i < len(trace); i++ {
		if trace[i] <= minCwnd && trace[i-1] > minCwnd {
			dips = append(dips, i)
		}
	}
	if len(dips) < 2 {
		t.Fatalf("%d slowdowns in 150 round trips, want at least 2", len(dips))
	}
	first := dips[0]
	if trace[first-1] < 20 {
		t.Errorf("the first slowdown came at %.0f MSS, before slow start ended", trace[first-1])
	}
	// Held at MinCwnd, then back to at least the window before it.
	back := first
	for back < len(trace) && trace[back] < trace[first-1] {
		back++
	}
	if back == len(trace) {
		t.Fatalf("the window never came back to %.0f MSS after the slowdown", trace[first-1])
	}
	// Counted in whole round trips, the slowdown lasted duration±1 of them.
	duration := back - first + 1
	if gap := dips[1] - back; gap < 8*(duration-1) || gap > 10*duration+2 {
		t.Errorf("next slowdown %d round trips after the last ended; it lasted %d, want about 9 times that", gap, duration)
	}

	trace, _ = run(Config{NoSlowdowns: true})
	for i := 1; i < len(trace); i++ {
		if trace[i] < trace[i-1]-1 {
			t.Fatalf("NoSlowdowns: the window fell from %.0f to %.0f MSS without delay or loss", trace[i-1], trace[i])
		}
	}
}
