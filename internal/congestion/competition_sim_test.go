package congestion

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/congestion/cctest"
)

// The bottleneck of issue 17's hand measurement, on the queue simulation: a 20 Mbit/s link
// behind a 300 ms drop-tail buffer, ppsppd's sender starting first and a TCP flow joining
// 6 s later. What was measured there with RFC 6817 LEDBAT: beside CUBIC (loss-based) TCP
// kept 99 % of what it got alone; beside BBR only 41–65 %, because BBR keeps the queue below
// LEDBAT's 100 ms target and LEDBAT never backs off.

func realLinkSim(rtt time.Duration) simConfig {
	const rate = 20e6 / 8
	return simConfig{rate: rate, buffer: int(rate * 0.3), fwd: rtt / 2, rev: rtt / 2, mss: 1100}
}

const (
	tcpJoins    = 6 * time.Second
	compMeasure = 10 * time.Second // from here on: TCP is past its startup
	compEnd     = 40 * time.Second
)

type compResult struct {
	tcp, ledbat float64       // each flow's share of the link capacity over the window
	queue       time.Duration // mean time a datagram waited in the FIFO
}

// compete runs a LEDBAT sender with cfg (none if cfg is nil) and a TCP flow made by tcp (none
// if nil) on link.
func compete(link simConfig, cfg *Config, tcp func(mss int) sender) compResult {
	s := &sim{cfg: link, measureFrom: compMeasure}
	if cfg != nil {
		c := *cfg
		c.MSS = link.mss
		s.flows = append(s.flows, &simFlow{cc: New(c, epoch), offset: 3 * time.Second})
	}
	if tcp != nil {
		s.flows = append(s.flows, &simFlow{cc: tcp(link.mss), start: tcpJoins})
	}
	s.run(compEnd)
	capacity := link.rate * (compEnd - compMeasure).Seconds()
	var r compResult
	var queued time.Duration
	sent := 0
	for _, f := range s.flows {
		queued += f.queued
		sent += f.sent
		share := float64(f.acked) / capacity
		if _, ok := f.cc.(*Ledbat); ok {
			r.ledbat = share
		} else {
			r.tcp = share
		}
	}
	if sent > 0 {
		r.queue = queued / time.Duration(sent)
	}
	return r
}

func cubicFlow(mss int) sender { return newFlowSender(cctest.NewCubic(mss)) }
func bbrFlow(mss int) sender   { return newFlowSender(cctest.NewBBR(mss, epoch)) }

// TestRFC6817BesideBBR reproduces issue 17 on the controller alone: on a 1 ms path, RFC 6817
// LEDBAT beside BBR leaves it well under 80 % of what it gets alone (measured by hand: 41-65 %).
// BBR paces at its bandwidth estimate and caps its flight at twice its bandwidth-delay
// product, so it adds little queue of its own; LEDBAT grows until the queue reaches its
// 100 ms target, and the linear decrease above it is too slow to give anything back.
func TestRFC6817BesideBBR(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	link := realLinkSim(time.Millisecond)
	alone := compete(link, nil, bbrFlow)
	both := compete(link, &Config{Variant: RFC6817}, bbrFlow)
	share := both.tcp / alone.tcp
	t.Logf("BBR alone %.1f%% of the link; beside RFC 6817 LEDBAT %.1f%% (keeps %.0f%%), LEDBAT %.1f%%, mean queue %v",
		100*alone.tcp, 100*both.tcp, 100*share, 100*both.ledbat, both.queue.Round(time.Millisecond))
	if share >= 0.8 {
		t.Errorf("BBR keeps %.0f%%: the failure of issue 17 is not reproduced", 100*share)
	}
}

// The paths the LEDBAT++ checks run on: a LAN (issue 17's network namespaces), 1 ms, a metro
// path and a long one.
var compRTTs = []time.Duration{200 * time.Microsecond, time.Millisecond, 10 * time.Millisecond, 40 * time.Millisecond}

// TestLEDBATppBesideTCP: with the default controller (LEDBAT++, target bounded by the round
// trip), both kinds of TCP keep at least 80 % of what they get alone.
func TestLEDBATppBesideTCP(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	for _, tcp := range []struct {
		name string
		flow func(int) sender
	}{{"BBR", bbrFlow}, {"CUBIC", cubicFlow}} {
		for _, rtt := range compRTTs {
			link := realLinkSim(rtt)
			alone := compete(link, nil, tcp.flow)
			both := compete(link, &Config{}, tcp.flow)
			share := both.tcp / alone.tcp
			t.Logf("%s, %v round trip: alone %.1f%% of the link, beside LEDBAT++ %.1f%% (keeps %.0f%%), LEDBAT++ %.1f%%, mean queue %v",
				tcp.name, rtt, 100*alone.tcp, 100*both.tcp, 100*share, 100*both.ledbat, both.queue.Round(100*time.Microsecond))
			if share < 0.8 {
				t.Errorf("%s on a %v path keeps %.0f%% beside LEDBAT++, want >= 80%%", tcp.name, rtt, 100*share)
			}
		}
	}
}

// TestLEDBATppAlone: alone, LEDBAT++ keeps the link at least 90 % busy (its slowdowns cost
// it up to a tenth) with a queue no longer than its target.
func TestLEDBATppAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	for _, rtt := range compRTTs {
		r := compete(realLinkSim(rtt), &Config{}, nil)
		t.Logf("%v round trip: LEDBAT++ alone %.1f%% of the link, mean queue %v", rtt, 100*r.ledbat, r.queue.Round(100*time.Microsecond))
		if r.ledbat < 0.9 {
			t.Errorf("%v path: LEDBAT++ alone uses %.1f%% of the link, want >= 90%%", rtt, 100*r.ledbat)
		}
		if want := min(max(rtt/2, DefaultMinTarget), PlusPlusTarget); r.queue > want*5/4 {
			t.Errorf("%v path: mean queue %v, want at most about the target %v", rtt, r.queue, want)
		}
	}
}

// TestLEDBATppLatecomer: a second LEDBAT++ flow starting 10 s after the first takes the first
// one's queue for part of the base delay; the slowdowns correct that, and over the next 30 s
// the two share within a factor of 2. Only on paths of a millisecond or more: below that,
// see TestLEDBATppLatecomerLAN.
func TestLEDBATppLatecomer(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	for _, rtt := range compRTTs[1:] {
		a, b, util := latecomerRun(t, rtt)
		if max(a, b) > 2*min(a, b) {
			t.Errorf("%v path: the flows got %.0f and %.0f bytes, want within a factor of 2", rtt, a, b)
		}
		if util < 0.9 {
			t.Errorf("%v path: together %.1f%% of the link, want >= 90%%", rtt, 100*util)
		}
	}
}

// TestLEDBATppLatecomerLAN: on a 200 µs path the bandwidth-delay product is less than one
// datagram, so two flows at their minimum window still hold a queue of about 1.5 ms and the
// latecomer never sees the empty path: its base delay stays that much too high, three
// quarters of our 2 ms target, and it keeps the larger share. What holds: the first flow is
// not starved (it keeps at least a fifth), and the link stays full.
func TestLEDBATppLatecomerLAN(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	a, b, util := latecomerRun(t, compRTTs[0])
	if min(a, b) < (a+b)/5 {
		t.Errorf("the flows got %.0f and %.0f bytes: one is starved", a, b)
	}
	if util < 0.9 {
		t.Errorf("together %.1f%% of the link, want >= 90%%", 100*util)
	}
}

// latecomerRun runs two LEDBAT++ flows on a real-link simulation with round trip rtt, the
// second starting 10 s after the first, and returns the bytes each got over the last 30 s
// of 45 and the link's utilisation then.
func latecomerRun(t *testing.T, rtt time.Duration) (a, b, util float64) {
	t.Helper()
	link := realLinkSim(rtt)
	first := New(Config{MSS: link.mss}, epoch)
	second := New(Config{MSS: link.mss}, epoch)
	s := &sim{cfg: link, measureFrom: 15 * time.Second, flows: []*simFlow{
		{cc: first, offset: time.Second},
		{cc: second, offset: -2 * time.Second, start: 10 * time.Second},
	}}
	s.run(45 * time.Second)
	a, b = float64(s.flows[0].acked), float64(s.flows[1].acked)
	util = (a + b) / (link.rate * 30)
	t.Logf("%v round trip: first %.1f%%, second %.1f%% of the link (ratio %.2f), together %.1f%%",
		rtt, 100*a/(a+b)*util, 100*b/(a+b)*util, max(a, b)/min(a, b), 100*util)
	return a, b, util
}
