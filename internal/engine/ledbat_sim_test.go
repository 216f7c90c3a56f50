package engine

import (
	"testing"
	"time"
)

// LEDBAT on the harness: a seeder behind a 2 MB/s uplink with a 1 s drop-tail buffer sends to
// one leecher.

func bottleneckRun(t *testing.T, withAIMD bool) (queueDelay, target time.Duration, ledbatBytes, aimdBytes int, drops int) {
	t.Helper()
	net := newSimNet(t, 77)
	data := testContent(51, 30000*testCS) // ~30 MiB: a long transfer over a 2 MB/s link
	up := link{delay: 20 * time.Millisecond, rate: 2e6, buffer: time.Second}
	seeder := net.seedNode("seeder", data, testCS, Config{}, up)
	lc := net.leechNode("leech", []byte(seeder.id), int64(len(data)), testCS, Config{}, link{delay: 20 * time.Millisecond})
	net.connect(lc, seeder)
	// Let LEDBAT settle, then measure for the next few seconds.
	warm := 6 * time.Second
	seeder.measureFrom = net.now.Add(warm)
	if withAIMD {
		f := &aimdFlow{node: seeder, rate: up.rate, buffer: up.buffer, baseRTT: 40 * time.Millisecond, cwnd: 2,
			measureFrom: seeder.measureFrom}
		net.tickers = append(net.tickers, &ticker{next: net.now.Add(time.Second), fn: f.round})
		defer func() { aimdBytes = f.bytes }()
	}
	net.run(warm+6*time.Second, func() bool { return lc.complete() })
	if seeder.queueSamples == 0 {
		t.Fatal("no DATA measured")
	}
	for _, ch := range seeder.eng.channels {
		target = ch.cc.Target()
	}
	return seeder.queueDelaySum / time.Duration(seeder.queueSamples), target, seeder.dataBytes, 0, seeder.bufferDrops
}

// TestLEDBATKeepsQueueNearTarget: alone on the bottleneck, ppsppd's DATA sees about LEDBAT's
// target of queueing (LEDBAT++: half the 40 ms round trip), not the 1 s the buffer would
// hold, and still fills the link.
func TestLEDBATKeepsQueueNearTarget(t *testing.T) {
	q, target, sent, _, drops := bottleneckRun(t, false)
	rate := float64(sent) / 6 / 2e6
	t.Logf("alone: mean queueing delay %v (target %v), link use %.0f%%, drops %d", q, target, 100*rate, drops)
	if q < target/2 || q > target*3/2 {
		t.Fatalf("queueing delay %v, want near the %v target", q, target)
	}
	if rate < 0.85 || drops != 0 {
		t.Fatalf("link use %.2f, drops %d", rate, drops)
	}
}

// TestLEDBATYieldsToLossBasedFlow: next to a loss-based flow on the same bottleneck, ppsppd
// backs off and leaves it most of the link (less than best effort, RFC 6817 §1).
func TestLEDBATYieldsToLossBasedFlow(t *testing.T) {
	_, _, ledbat, aimd, _ := bottleneckRun(t, true)
	share := float64(ledbat) / float64(ledbat+aimd)
	t.Logf("with a loss-based flow: ppsppd %d bytes, loss-based %d bytes, ppsppd share %.1f%%", ledbat, aimd, 100*share)
	if aimd == 0 || share > 0.25 {
		t.Fatalf("ppsppd took %.0f%% of the bottleneck from a loss-based flow", 100*share)
	}
}
