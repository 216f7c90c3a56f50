package engine

import (
	"math"
	"testing"
	"time"
)

// Rate limits on the simulation harness: a seeder and a leecher joined by links far faster
// than the caps, so that only the caps bound the transfer.

// fastLink carries 20 MB/s each way, 40 times the caps below.
var fastLink = link{delay: 10 * time.Millisecond, rate: 20e6, buffer: 200 * time.Millisecond}

const (
	capRate   = 500e3 // bytes/s
	capWindow = 10 * time.Second
)

// cappedPair starts a seeder and a leecher of content larger than capWindow at capRate can
// carry; setCaps sets the caps before the leecher connects.
func cappedPair(t *testing.T, seed uint64, setCaps func(now time.Time, seeder, leech *simNode)) (*simNet, *simNode, *simNode) {
	t.Helper()
	net := newSimNet(t, seed)
	data := testContent(seed, 8<<20)
	seeder := net.seedNode("seeder", data, testCS, Config{}, fastLink)
	leech := net.leechNode("leech", []byte(seeder.id), int64(len(data)), testCS, Config{}, fastLink)
	setCaps(net.now, seeder, leech)
	net.connect(leech, seeder)
	return net, seeder, leech
}

func swarmInfo(t *testing.T, n *simNode, id SwarmID) SwarmInfo {
	t.Helper()
	info, err := n.eng.SwarmInfo(id)
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func setRate(t *testing.T, n *simNode, now time.Time, id SwarmID, up, down float64) {
	t.Helper()
	if err := n.eng.SetRateLimit(now, id, up, down); err != nil {
		t.Fatal(err)
	}
}

// assertNearCap fails unless bytes over capWindow make a rate within 10% of capRate.
func assertNearCap(t *testing.T, what string, bytes uint64) {
	t.Helper()
	rate := float64(bytes) / capWindow.Seconds()
	t.Logf("%s: %.0f bytes/s over %v (cap %.0f)", what, rate, capWindow, capRate)
	if math.Abs(rate-capRate) > 0.1*capRate {
		t.Fatalf("%s: %.0f bytes/s, want within 10%% of %.0f", what, rate, capRate)
	}
}

// TestDownloadCap: a leecher capped at capRate downloads at about capRate over a link 40
// times faster; the payload counter agrees with the verified chunks.
func TestDownloadCap(t *testing.T) {
	net, _, leech := cappedPair(t, 31, func(now time.Time, _, leech *simNode) {
		setRate(t, leech, now, leech.id, 0, capRate)
	})
	net.run(capWindow, func() bool { return false })
	info := swarmInfo(t, leech, leech.id)
	assertNearCap(t, "download", info.BytesDown)
	if info.BytesDown != info.Have*testCS {
		t.Fatalf("BytesDown %d, but %d chunks of %d verified", info.BytesDown, info.Have, testCS)
	}
	if info.Have == info.Total {
		t.Fatal("content too small to measure the cap")
	}
}

// TestUploadCap: a seeder capped at capRate serves about capRate.
func TestUploadCap(t *testing.T) {
	net, seeder, leech := cappedPair(t, 32, func(now time.Time, seeder, _ *simNode) {
		setRate(t, seeder, now, seeder.id, capRate, 0)
	})
	net.run(capWindow, func() bool { return false })
	up := swarmInfo(t, seeder, seeder.id).BytesUp
	down := swarmInfo(t, leech, leech.id).BytesDown
	assertNearCap(t, "upload", up)
	assertNearCap(t, "received", down)
	if down > up {
		t.Fatalf("leecher verified %d bytes, seeder sent only %d", down, up)
	}
}

// TestGlobalCapSharedBySwarms: one leecher downloads two swarms from two seeders under one
// global download cap; together they get about the cap, shared about evenly.
func TestGlobalCapSharedBySwarms(t *testing.T) {
	net := newSimNet(t, 33)
	dataA, dataB := testContent(1, 8<<20), testContent(2, 8<<20)
	seedA := net.seedNode("seedA", dataA, testCS, Config{}, fastLink)
	seedB := net.seedNode("seedB", dataB, testCS, Config{}, fastLink)
	leech := net.leechNode("leech", []byte(seedA.id), int64(len(dataA)), testCS, Config{}, fastLink)
	idB, err := leech.eng.AddSwarm(NewSwarmConfig(emptyStore(t, []byte(seedB.id), int64(len(dataB)), testCS)))
	if err != nil {
		t.Fatal(err)
	}
	setRate(t, leech, net.now, "", 0, capRate)
	net.connect(leech, seedA)
	if err := leech.eng.Connect(net.now, idB, seedB.addr); err != nil {
		t.Fatal(err)
	}
	net.collect(leech)
	net.run(capWindow, func() bool { return false })
	a, b := swarmInfo(t, leech, leech.id).BytesDown, swarmInfo(t, leech, idB).BytesDown
	t.Logf("swarm A %d bytes, swarm B %d bytes", a, b)
	assertNearCap(t, "both swarms", a+b)
	if min(a, b) < (a+b)*2/5 {
		t.Fatalf("one swarm starved: %d and %d bytes", a, b)
	}
}

// TestCapsOfZeroChangeNothing: setting every cap to 0 (none) leaves a run exactly as it is
// without: same virtual completion time and counters.
func TestCapsOfZeroChangeNothing(t *testing.T) {
	run := func(setCaps bool) (time.Duration, Stats) {
		net := newSimNet(t, 34)
		data := testContent(34, 2<<20)
		seeder := net.seedNode("seeder", data, testCS, Config{}, fastLink)
		leech := net.leechNode("leech", []byte(seeder.id), 0, testCS, Config{}, fastLink)
		if setCaps {
			for _, n := range []*simNode{seeder, leech} {
				setRate(t, n, net.now, "", 0, 0)
				setRate(t, n, net.now, n.id, 0, 0)
			}
		}
		net.connect(leech, seeder)
		start := net.now
		if !net.run(time.Minute, allComplete(leech)) {
			t.Fatal("not complete")
		}
		return net.now.Sub(start), leech.eng.Stats()
	}
	took, st := run(false)
	tookZero, stZero := run(true)
	t.Logf("uncapped: %v", took)
	if took != tookZero || st != stZero {
		t.Fatalf("caps of 0 changed the run: %v vs %v\n%+v\n%+v", took, tookZero, st, stZero)
	}
}

// TestCapAboveLinkRate: caps well above what the link carries leave LEDBAT and the request
// window in charge: the transfer takes about as long as uncapped.
func TestCapAboveLinkRate(t *testing.T) {
	slow := link{delay: 10 * time.Millisecond, rate: 1e6, buffer: 200 * time.Millisecond}
	run := func(caps bool) time.Duration {
		net := newSimNet(t, 35)
		data := testContent(35, 2<<20)
		seeder := net.seedNode("seeder", data, testCS, Config{}, slow)
		leech := net.leechNode("leech", []byte(seeder.id), 0, testCS, Config{}, slow)
		if caps {
			setRate(t, seeder, net.now, "", 4e6, 4e6)
			setRate(t, leech, net.now, leech.id, 4e6, 4e6)
		}
		net.connect(leech, seeder)
		start := net.now
		if !net.run(time.Minute, allComplete(leech)) {
			t.Fatal("not complete")
		}
		return net.now.Sub(start)
	}
	uncapped, capped := run(false), run(true)
	t.Logf("1 MB/s link: uncapped %v, capped at 4 MB/s %v", uncapped, capped)
	if capped > uncapped+uncapped/10 {
		t.Fatalf("a cap above the link rate slowed the transfer: %v vs %v", capped, uncapped)
	}
}

// TestSetRateLimitRejects bad values and unknown swarms.
func TestSetRateLimitRejects(t *testing.T) {
	e := New(Config{})
	now := time.Now()
	for _, r := range []float64{-1, math.NaN(), math.Inf(1)} {
		if err := e.SetRateLimit(now, "", r, 0); err == nil {
			t.Errorf("rate %v accepted", r)
		}
	}
	if err := e.SetRateLimit(now, "nope", 1, 1); err != ErrUnknownSwarm {
		t.Errorf("unknown swarm: %v", err)
	}
}

// TestBucketReadyAt: a drained bucket is ready exactly when the missing bytes have refilled,
// and an item larger than the bucket waits for a full bucket only.
func TestBucketReadyAt(t *testing.T) {
	now := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	var b bucket
	b.set(now, 100000, 1024) // burst: max(100 ms = 10000 bytes, 4 chunks) = 10000
	if b.burst != 10000 || b.units(now, 1024) != 9 {
		t.Fatalf("burst %v, units %d", b.burst, b.units(now, 1024))
	}
	b.take(now, 10000)
	at := b.readyAt(now, 1000)
	huge := b.readyAt(now, b.need(1<<20))
	if d := at.Sub(now); d < 10*time.Millisecond || d > 10*time.Millisecond+time.Microsecond {
		t.Fatalf("ready after %v, want 10ms", d)
	}
	if b.units(at.Add(-time.Millisecond), 1000) != 0 || b.units(at, 1000) != 1 {
		t.Fatal("units around readyAt")
	}
	if d := huge.Sub(now); d < 100*time.Millisecond || d > 101*time.Millisecond {
		t.Fatalf("a huge item waits %v, want a full bucket's 100ms", d)
	}
}
