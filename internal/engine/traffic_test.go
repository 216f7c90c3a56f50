package engine

import (
	"testing"
	"time"
)

// TestTrafficCounters: after a transfer over a lossless link, the counters on both sides
// agree with the content and with each other, and each side sees the other as a seeder.
func TestTrafficCounters(t *testing.T) {
	data := testContent(41, 300*testCS+17)
	seeder, leech, _ := pairTransfer(t, 41, data, testCS, link{delay: 5 * time.Millisecond})

	li := swarmInfo(t, leech, leech.id)
	si := swarmInfo(t, seeder, seeder.id)
	if li.BytesDown != uint64(len(data)) || li.BytesUp != 0 {
		t.Fatalf("leecher payload down %d up %d, want %d and 0", li.BytesDown, li.BytesUp, len(data))
	}
	if si.BytesUp < uint64(len(data)) || si.BytesDown != 0 {
		t.Fatalf("seeder payload up %d down %d", si.BytesUp, si.BytesDown)
	}
	// Every datagram sent arrives (no loss) except those still in flight.
	if li.RawDown > si.RawUp || li.RawDown < li.BytesDown || si.RawDown > li.RawUp {
		t.Fatalf("raw: leecher down %d up %d, seeder down %d up %d", li.RawDown, li.RawUp, si.RawDown, si.RawUp)
	}
	if st := leech.eng.Stats(); li.RawDown > st.BytesIn || li.RawUp > st.BytesOut {
		t.Fatalf("swarm raw bytes exceed the engine's: %+v vs %+v", li, st)
	}
	if li.Seeders != 1 || li.Leechers != 0 || li.Peers != 1 {
		t.Fatalf("leecher sees %d seeders, %d leechers, %d peers", li.Seeders, li.Leechers, li.Peers)
	}

	peers, err := leech.eng.PeerInfos(leech.id)
	if err != nil || len(peers) != 1 {
		t.Fatalf("PeerInfos: %v %v", peers, err)
	}
	p := peers[0]
	if p.Addr != seeder.addr || !p.Seeder || p.HaveChunks != li.Total || p.BytesDown != li.BytesDown || p.RawDown != li.RawDown {
		t.Fatalf("leecher's peer %+v, swarm %+v", p, li)
	}
	sp, err := seeder.eng.PeerInfos(seeder.id)
	if err != nil || len(sp) != 1 || sp[0].Addr != leech.addr || sp[0].BytesUp != si.BytesUp {
		t.Fatalf("seeder's peers %+v %v", sp, err)
	}
	if _, err := leech.eng.PeerInfos("nope"); err != ErrUnknownSwarm {
		t.Fatalf("unknown swarm: %v", err)
	}
	if _, err := leech.eng.SwarmInfo("nope"); err != ErrUnknownSwarm {
		t.Fatalf("unknown swarm: %v", err)
	}
}

// TestSeedersAndLeechers: mid-transfer, a seeder serving two leechers counts two leechers,
// and each leecher counts the seeder as a seeder. (Leechers do not announce to peers that
// have everything, RFC 7574 §3.2 makes HAVE advisory, so a seeder may go on counting a
// finished leecher as a leecher: the count is what peers announced.)
func TestSeedersAndLeechers(t *testing.T) {
	net := newSimNet(t, 42)
	data := testContent(42, 2000*testCS)
	l := link{delay: 10 * time.Millisecond, rate: 1e6}
	seeder := net.seedNode("seeder", data, testCS, Config{}, l)
	a := net.leechNode("a", []byte(seeder.id), 0, testCS, Config{}, l)
	b := net.leechNode("b", []byte(seeder.id), 0, testCS, Config{}, l)
	net.connect(a, seeder)
	net.connect(b, seeder)
	net.run(500*time.Millisecond, func() bool { return false })
	if si := swarmInfo(t, seeder, seeder.id); si.Leechers != 2 || si.Seeders != 0 || si.Peers != 2 {
		t.Fatalf("seeder: %+v", si)
	}
	for _, n := range []*simNode{a, b} {
		if li := swarmInfo(t, n, n.id); li.Seeders != 1 || li.Seeders+li.Leechers != li.Peers {
			t.Fatalf("%s: %+v", n.name, li)
		}
	}
}
