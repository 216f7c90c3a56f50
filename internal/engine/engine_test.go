package engine

import (
	"bytes"
	"errors"
	"fmt"
	"net/netip"
	"testing"
	"time"
)

const testCS = 1024

func TestTransferTwoPeers(t *testing.T) {
	for _, sizeKnown := range []bool{false, true} {
		net := newSimNet(t, 1)
		data := testContent(1, 200*testCS+77)
		seeder := net.seedNode("seeder", data, testCS, Config{}, link{delay: 10 * time.Millisecond})
		size := int64(0)
		if sizeKnown {
			size = int64(len(data))
		}
		leech := net.leechNode("leech", []byte(seeder.id), size, testCS, Config{}, link{delay: 10 * time.Millisecond})
		net.connect(leech, seeder)
		if !net.run(time.Minute, allComplete(leech)) {
			have, total, err := leech.eng.Progress(leech.id)
			t.Fatalf("size known %v: not complete: %d/%d %v; stats %+v", sizeKnown, have, total, err, leech.eng.Stats())
		}
		if !bytes.Equal(leech.content.data, data) {
			t.Fatal("content differs")
		}
		if st := leech.eng.Stats(); st.BadChunks != 0 || st.ChunksVerified != 201 {
			t.Fatalf("stats %+v", st)
		}
	}
}

// TestHashesInSeparateDatagram: when the uncle hashes do not fit beside the DATA they go in
// a datagram of their own first (§5.3), and the receiver keeps them for the DATA.
func TestHashesInSeparateDatagram(t *testing.T) {
	net := newSimNet(t, 5)
	data := testContent(11, 5000*testCS+1)
	small := Config{MaxDatagram: testCS + 200} // room for the DATA and a few hashes only
	seeder := net.seedNode("seeder", data, testCS, small, link{delay: 5 * time.Millisecond})
	leech := net.leechNode("leech", []byte(seeder.id), 0, testCS, small, link{delay: 5 * time.Millisecond})
	net.connect(leech, seeder)
	if !net.run(5*time.Minute, allComplete(leech)) {
		t.Fatalf("incomplete: %+v", leech.eng.Stats())
	}
	if !bytes.Equal(leech.content.data, data) || leech.eng.Stats().UnverifiableChunks != 0 {
		t.Fatalf("content equal %v, unverifiable %d", bytes.Equal(leech.content.data, data), leech.eng.Stats().UnverifiableChunks)
	}
}

// TestSwarmUnderLoss is the scenario: 1 seeder and 8 leechers, 10% loss and
// 50-150 ms of jitter on every link; all finish with identical, verified content, and the
// leechers share: most chunks come from other leechers, and most leechers serve some.
//
// The bounds come from running this scenario with seeds 1-40: leechers supplied 59-80% of
// the 8×301 chunks (median 74%), and at least 7 of the 8 served chunks to the others. The
// asserted bounds (over half; at least 6 of 8) hold with margin for every seed tried, yet
// fail if PEX or serving by leechers breaks, when the seeder supplies everything.
func TestSwarmUnderLoss(t *testing.T) {
	const leecherCount = 8
	net := newSimNet(t, 42)
	data := testContent(2, 300*testCS+5)
	const chunks = 301
	l := link{loss: 0.10, dup: 0.01, delay: 50 * time.Millisecond, jitter: 100 * time.Millisecond}
	seeder := net.seedNode("seeder", data, testCS, Config{}, l)
	var leechers []*simNode
	for i := range leecherCount {
		lc := net.leechNode("leech"+string(rune('A'+i)), []byte(seeder.id), 0, testCS, Config{}, l)
		net.connect(lc, seeder)
		leechers = append(leechers, lc)
	}
	start := net.now
	if !net.run(10*time.Minute, allComplete(leechers...)) {
		for _, lc := range leechers {
			have, total, _ := lc.eng.Progress(lc.id)
			t.Logf("%s: %d/%d %+v", lc.name, have, total, lc.eng.Stats())
		}
		t.Fatal("not all leechers completed")
	}
	fromLeechers, verified := 0, 0
	servedBy := map[netip.AddrPort]int{} // chunks each leecher supplied to the others
	for _, lc := range leechers {
		if !bytes.Equal(lc.content.data, data) {
			t.Fatalf("%s: content differs", lc.name)
		}
		if st := lc.eng.Stats(); st.BadChunks != 0 || st.PeersBanned != 0 {
			t.Fatalf("%s: honest peers sent %d bad chunks, %d banned", lc.name, st.BadChunks, st.PeersBanned)
		}
		for p, n := range lc.from {
			verified += n
			if p != seeder.addr {
				fromLeechers += n
				servedBy[p] += n
			}
		}
	}
	if verified != leecherCount*chunks {
		t.Fatalf("%d chunks verified in all, want %d (each leecher verifies each chunk once)", verified, leecherCount*chunks)
	}
	t.Logf("virtual time %v; %d datagrams; %d of %d chunks came from leechers; served by leecher %v",
		net.now.Sub(start), net.sent, fromLeechers, verified, servedBy)
	if fromLeechers*2 <= verified {
		t.Errorf("only %d of %d chunks came from leechers, want over half: the leechers do not share", fromLeechers, verified)
	}
	if uploaders := len(servedBy); uploaders < leecherCount-2 {
		t.Errorf("only %d of %d leechers served chunks to the others, want at least %d", uploaders, leecherCount, leecherCount-2)
	}
}

// TestLateJoinerGetsFromLeechers: a peer that joins after the leechers are done, knowing
// only the seeder, learns the others by PEX and gets most chunks from them.
func TestLateJoinerGetsFromLeechers(t *testing.T) {
	net := newSimNet(t, 7)
	const chunks = 1024
	data := testContent(3, chunks*testCS)
	l := link{delay: 20 * time.Millisecond, jitter: 20 * time.Millisecond}
	seeder := net.seedNode("seeder", data, testCS, Config{}, l)
	var early []*simNode
	for i := range 4 {
		lc := net.leechNode("early"+string(rune('A'+i)), []byte(seeder.id), 0, testCS, Config{}, l)
		net.connect(lc, seeder)
		early = append(early, lc)
	}
	if !net.run(5*time.Minute, allComplete(early...)) {
		t.Fatal("early leechers did not complete")
	}
	late := net.leechNode("late", []byte(seeder.id), 0, testCS, Config{}, l)
	net.connect(late, seeder)
	if !net.run(5*time.Minute, allComplete(late)) {
		t.Fatalf("late joiner incomplete: %+v", late.eng.Stats())
	}
	if !bytes.Equal(late.content.data, data) {
		t.Fatal("late joiner's content differs")
	}
	fromSeeder := late.from[seeder.addr]
	if fromSeeder*2 >= chunks {
		t.Fatalf("late joiner got %d of %d chunks from the seeder, want most from leechers (%v)", fromSeeder, chunks, late.from)
	}
	t.Logf("late joiner: %d of %d chunks from the seeder; by peer %v", fromSeeder, chunks, late.from)
	if len(late.eng.Peers(late.id)) != 5 {
		t.Fatalf("late joiner knows %d peers; PEX did not spread them", len(late.eng.Peers(late.id)))
	}
}

// TestMaliciousPeerIsDisconnected: a seeder that corrupts every chunk it sends never gets a
// bad byte stored; it is disconnected once its score reaches DisconnectScore (as many bad
// chunks, with no good one) and banned; the honest seeder then supplies everything.
func TestMaliciousPeerIsDisconnected(t *testing.T) {
	net := newSimNet(t, 9)
	data := testContent(4, 64*testCS)
	honest := net.seedNode("honest", data, testCS, Config{}, link{delay: 30 * time.Millisecond})
	evil := net.seedNode("evil", data, testCS, Config{}, link{delay: 5 * time.Millisecond, corruptData: true})
	lc := net.leechNode("leech", []byte(honest.id), int64(len(data)), testCS, Config{}, link{delay: 5 * time.Millisecond})
	net.connect(lc, evil)
	if !net.run(10*time.Minute, func() bool { return lc.eng.Stats().ClosedBadData == 1 }) {
		t.Fatalf("corrupting peer not dropped: %+v", lc.eng.Stats())
	}
	if have, _, _ := lc.eng.Progress(lc.id); have != 0 || len(lc.content.has) != 0 {
		t.Fatalf("%d chunks stored from a peer that corrupts every one", have)
	}
	if st := lc.eng.Stats(); st.BadChunks != uint64(DefaultConfig().DisconnectScore) || st.PeersBanned != 1 {
		t.Fatalf("bad chunks %d, bans %d", st.BadChunks, st.PeersBanned)
	}
	if err := lc.eng.Connect(net.now, lc.id, evil.addr); !errors.Is(err, ErrPeerBanned) {
		t.Fatalf("connect to a banned peer: %v", err)
	}
	net.connect(lc, honest)
	if !net.run(2*time.Minute, allComplete(lc)) {
		t.Fatalf("incomplete: %+v", lc.eng.Stats())
	}
	if !bytes.Equal(lc.content.data, data) {
		t.Fatal("content differs")
	}
	if lc.from[evil.addr] != 0 {
		t.Fatalf("%d chunks credited to the corrupting peer", lc.from[evil.addr])
	}
}

// TestLyingPeerIsDropped: a peer that announces every chunk but never sends any is given up
// after MaxTimeouts rounds of timed-out requests while an honest (slow) peer can serve, and
// the download completes from the honest peer.
func TestLyingPeerIsDropped(t *testing.T) {
	net := newSimNet(t, 11)
	data := testContent(5, 48*testCS)
	liar := net.seedNode("liar", data, testCS, Config{}, link{delay: 5 * time.Millisecond})
	liar.content.unread = true // it answers the handshake and announces all, but never sends a chunk
	honest := net.seedNode("honest", data, testCS, Config{}, link{delay: 40 * time.Millisecond, rate: 2000})
	lc := net.leechNode("leech", []byte(honest.id), int64(len(data)), testCS, Config{MaxTimeouts: 3}, link{delay: 5 * time.Millisecond})
	net.connect(lc, liar)
	net.connect(lc, honest)
	if !net.run(3*time.Minute, allComplete(lc)) {
		t.Fatalf("incomplete: %+v", lc.eng.Stats())
	}
	if !bytes.Equal(lc.content.data, data) {
		t.Fatal("content differs")
	}
	if st := lc.eng.Stats(); st.ClosedUnresponsive != 1 || st.RequestTimeouts == 0 || lc.from[liar.addr] != 0 {
		t.Fatalf("liar not dropped: %+v", st)
	}
}

// TestSimulationRepeats: the same seed gives the same run, datagram for datagram (the
// harness and the engine iterate nothing in map order where it matters).
func TestSimulationRepeats(t *testing.T) {
	run := func() string {
		net := newSimNet(t, 1234)
		data := testContent(9, 150*testCS)
		l := link{loss: 0.1, dup: 0.02, delay: 20 * time.Millisecond, jitter: 30 * time.Millisecond}
		seeder := net.seedNode("seeder", data, testCS, Config{}, l)
		var ls []*simNode
		for i := range 3 {
			lc := net.leechNode(fmt.Sprint("leech", i), []byte(seeder.id), 0, testCS, Config{}, l)
			net.connect(lc, seeder)
			ls = append(ls, lc)
		}
		if !net.run(5*time.Minute, allComplete(ls...)) {
			t.Fatal("incomplete")
		}
		fp := fmt.Sprint(net.now, net.sent)
		for _, n := range append(ls, seeder) {
			fp += fmt.Sprintf(" %+v", n.eng.Stats())
		}
		return fp
	}
	if a, b := run(), run(); a != b {
		t.Fatalf("two runs with one seed differ:\n%s\n%s", a, b)
	}
}
