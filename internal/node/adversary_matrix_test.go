package node

import (
	"bytes"
	"context"
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
	"github.com/ppsppd/ppsppd/internal/testpeer"
)

// Issue 13's whole matrix over real loopback UDP: each misbehaviour of internal/testpeer,
// on first sends only and persistently, alone and next to an honest seeder, against a node
// that downloads knowing only the swarm ID. The cases, the counters and the bounds are those
// of the simulation (internal/engine/adversary_test.go, advMatrix), scaled to this content's
// chunk count; what differs is that real sockets, the wall clock and the race detector's
// pace decide the order of events, so the tests wait for protocol events (a counter seen, a
// download complete), never for a time to pass, except where the case is about time: a liar
// that cannot be downloaded from is watched for udpLiarWatch.
//
// The flood modes attack a seeder rather than serve a leecher: there our seeding node is
// flooded, alone or while an honest leecher downloads from it (TestAdversaryFloodsOverUDP).

// advContentSize is 256 chunks of 1 KiB: a download of a fraction of a second on loopback.
const (
	advContentSize = 256 << 10
	udpAdvChunks   = advContentSize / 1024
)

// udpLiarWatch is how long a liar that cannot be downloaded from is watched: past a request
// timeout (2 s) and the first backoff round, so that a leecher storming it would show.
const udpLiarWatch = 6 * time.Second

// udpSilence is how long a first-send Silent seeder keeps silent (the simulation runs the
// issue's 20 s): long enough that the requests asked again after the first timeout (2 s)
// fall in the silence too, with room for a slow machine, so that the leecher backs off.
const udpSilence = 5 * time.Second

// udpAdvCase is one scenario.
type udpAdvCase struct {
	mode       testpeer.Mode
	persistent bool
	every      int  // affected chunks: every n-th (testpeer.Config.Every)
	honest     bool // an honest seeder joins
	completes  bool // the liar alone (or with the honest seeder) yields the whole content
	cause      func(engine.Stats) uint64
	causeName  string
	// maxRequested bounds the chunks the leecher asks the liar for.
	maxRequested int
}

func (c udpAdvCase) name() string {
	kind := "first-send"
	if c.persistent {
		kind = "persistent"
	}
	with := "alone"
	if c.honest {
		with = "with-honest"
	}
	return fmt.Sprintf("%v/%s/%s", c.mode, kind, with)
}

// udpAdvMatrix is the simulation's advMatrix with this content's chunk count: every
// seeder-side misbehaviour, first-send-only on every third chunk and persistent (on every
// chunk, or every other one for FalseHave, which then serves half the content right).
func udpAdvMatrix() []udpAdvCase {
	type modeSpec struct {
		mode        testpeer.Mode
		cause       func(engine.Stats) uint64
		causeName   string
		persistOK   bool // a persistent liar alone still delivers the content
		persistEach int
	}
	modes := []modeSpec{
		{testpeer.CorruptChunk, func(s engine.Stats) uint64 { return s.BadChunks }, "BadChunks", false, 1},
		{testpeer.WrongUncles, func(s engine.Stats) uint64 { return s.BadChunks }, "BadChunks", false, 1},
		{testpeer.WrongPeaks, func(s engine.Stats) uint64 { return s.BadPeaks }, "BadPeaks", false, 1},
		{testpeer.FalseHave, func(s engine.Stats) uint64 { return s.RequestTimeouts }, "RequestTimeouts", false, 2},
		{testpeer.Silent, func(s engine.Stats) uint64 { return s.RequestTimeouts }, "RequestTimeouts", false, 1},
		{testpeer.OversizeData, func(s engine.Stats) uint64 { return s.OversizeData }, "OversizeData", true, 1},
		{testpeer.TruncatedData, func(s engine.Stats) uint64 { return s.BadChunks }, "BadChunks", false, 1},
		{testpeer.Replay, func(s engine.Stats) uint64 { return s.DuplicateChunks }, "DuplicateChunks", true, 1},
	}
	var cases []udpAdvCase
	for _, m := range modes {
		for _, persistent := range []bool{false, true} {
			for _, honest := range []bool{false, true} {
				c := udpAdvCase{mode: m.mode, persistent: persistent, every: 3, honest: honest,
					completes: !persistent || honest || m.persistOK, cause: m.cause, causeName: m.causeName}
				if persistent {
					c.every = m.persistEach
				}
				// The simulation's bounds: a download's worth twice over; three times for a
				// persistent FalseHave (half its chunks are taken for lost once or twice,
				// then time out); a liar that cannot be downloaded from gets a request
				// window and its retries, which do not grow with the content: the
				// simulation's 64 chunks (half of its 128).
				c.maxRequested = 2 * udpAdvChunks
				switch {
				case m.mode == testpeer.FalseHave && persistent:
					c.maxRequested = 3 * udpAdvChunks
				case !c.completes:
					c.maxRequested = 64
				}
				cases = append(cases, c)
			}
		}
	}
	return cases
}

// udpAdvResult is what a run measured.
type udpAdvResult struct {
	done  bool // complete from the liar, or from the liar and the honest seeder
	took  time.Duration
	stats engine.Stats // the leecher's, when the liar was done with (before any health check)
	liar  testpeer.Counts
	// exact is the chunks the leecher held when the liar was done with, each checked
	// equal to the content.
	exact int
}

// runUDPAdversary runs one scenario. The liar is the leecher's first peer. With c.honest, an
// honest seeding node joins once the leecher has counted the liar's misbehaviour: on
// loopback both would otherwise answer at once, and the honest one could serve everything
// before the liar's lies (or, for a silent liar, its request timeouts) are ever seen.
// Without it, a case that cannot complete is watched for udpLiarWatch; then, to show that
// the node is still healthy and its swarm not wedged by the liar, an honest seeder joins and
// the download must complete.
func runUDPAdversary(t *testing.T, c udpAdvCase) udpAdvResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	data := randomContent(13, advContentSize)
	peer, err := testpeer.New(testpeer.Config{Mode: c.mode, Persistent: c.persistent, Every: c.every,
		Content: data, ChunkSize: 1024, Silence: udpSilence, Seed: uint64(c.mode)})
	if err != nil {
		t.Fatal(err)
	}
	adv, err := testpeer.ListenUDP(peer, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	advDone := make(chan error, 1)
	go func() { advDone <- adv.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-advDone; err != nil {
			t.Errorf("adversary: %v", err)
		}
	}()

	dir := t.TempDir()
	dst := filepath.Join(dir, "dst")
	store := emptyStore(t, ctx, peer.SwarmID(), dst)
	leecher := startNode(t, Config{}, nil)
	events, stop := leecher.Subscribe(1 << 16)
	defer stop()
	id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(store))
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	if err := leecher.Connect(ctx, id, adv.Addr()); err != nil {
		t.Fatal(err)
	}
	joinHonest := func() {
		src := filepath.Join(dir, "src")
		if err := os.WriteFile(src, data, 0o644); err != nil {
			t.Fatal(err)
		}
		seedStore, err := storage.Seed(ctx, storage.Options{ContentPath: src, Params: hashtree.Params{Hash: hashtree.SHA1}})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { seedStore.Close() })
		seeder := startNode(t, Config{}, nil)
		if _, err := seeder.AddSwarm(ctx, engine.NewSwarmConfig(seedStore)); err != nil {
			t.Fatal(err)
		}
		if err := leecher.Connect(ctx, id, seeder.LocalAddr()); err != nil {
			t.Fatal(err)
		}
	}

	var res udpAdvResult
	if c.honest {
		waitStats(t, ctx, leecher, c.causeName+" counted before the honest seeder joins", func(s engine.Stats) bool { return c.cause(s) > 0 })
		joinHonest()
	}
	if c.completes {
		waitEvent(t, ctx, leecher, id, events)
		res.done = true
	} else {
		watch := time.NewTimer(udpLiarWatch)
		defer watch.Stop()
		for watching := true; watching; {
			select {
			case ev := <-events:
				if ev.Kind == engine.EventComplete && ev.Swarm == id {
					t.Fatalf("complete from a liar whose content cannot be complete: %+v", adv.Counts())
				}
			case <-watch.C:
				watching = false
			case <-ctx.Done():
				t.Fatal(ctx.Err())
			}
		}
	}
	res.took = time.Since(start)
	if res.stats, err = leecher.Stats(ctx); err != nil {
		t.Fatal(err)
	}
	res.liar = adv.Counts()
	res.exact = exactChunks(t, store, data)
	if res.done {
		got, err := os.ReadFile(dst)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, data) {
			t.Fatal("downloaded file differs")
		}
		return res
	}
	// The health check: an honest seeder serves the rest.
	joinHonest()
	waitEvent(t, ctx, leecher, id, events)
	if exactChunks(t, store, data) != udpAdvChunks {
		t.Fatal("complete, but not every chunk held")
	}
	return res
}

// exactChunks checks every chunk the store holds against the content and returns their count.
func exactChunks(t *testing.T, store *storage.Store, data []byte) int {
	t.Helper()
	cs := store.ChunkSize()
	buf := make([]byte, cs)
	n := 0
	for i := range store.NumChunks() {
		if !store.Verified(i) {
			continue
		}
		off := int(i) * cs
		want := data[off:min(off+cs, len(data))]
		if k, err := store.ReadAt(buf[:len(want)], int64(off)); k != len(want) {
			t.Fatalf("chunk %d held but not readable: %v", i, err)
		}
		if !bytes.Equal(buf[:len(want)], want) {
			t.Fatalf("chunk %d stored with wrong bytes", i)
		}
		n++
	}
	return n
}

// waitEvent waits for EventComplete of swarm id; the test fails when ctx ends first.
func waitEvent(t *testing.T, ctx context.Context, n *Node, id engine.SwarmID, events <-chan engine.Event) {
	t.Helper()
	for {
		select {
		case ev := <-events:
			if ev.Kind == engine.EventComplete && ev.Swarm == id {
				return
			}
		case <-ctx.Done():
			have, total, _ := n.Progress(context.Background(), id)
			st, _ := n.Stats(context.Background())
			t.Fatalf("not complete: %d/%d chunks; stats %+v", have, total, st)
		}
	}
}

// waitStats polls n's stats until ok holds; the test fails when ctx ends first. Polling is
// how a test outside the loop sees a counter move; the interval only sets how soon.
func waitStats(t *testing.T, ctx context.Context, n *Node, what string, ok func(engine.Stats) bool) engine.Stats {
	t.Helper()
	tick := time.NewTicker(20 * time.Millisecond)
	defer tick.Stop()
	for {
		st, err := n.Stats(ctx)
		if err == nil && ok(st) {
			return st
		}
		select {
		case <-tick.C:
		case <-ctx.Done():
			st, _ := n.Stats(context.Background())
			t.Fatalf("waiting for %s: %v; stats %+v", what, ctx.Err(), st)
		}
	}
}

// TestAdversaryMatrixOverUDP: the seeder-side rows of issue 13 over real UDP. Assertions,
// as in the simulation: the download completes where it can, and always once an honest
// seeder is there; no wrong byte is stored; the liar is asked for a bounded number of
// chunks; the cause is counted; a liar that errs only on first sends is not dropped; a liar
// that lies about every chunk is credited none.
func TestAdversaryMatrixOverUDP(t *testing.T) {
	for _, c := range udpAdvMatrix() {
		t.Run(c.name(), func(t *testing.T) {
			if !c.completes && testing.Short() {
				t.Skipf("watches the liar for %v", udpLiarWatch)
			}
			t.Parallel()
			r := runUDPAdversary(t, c)
			if got := c.cause(r.stats); got == 0 {
				t.Fatalf("cause not counted: %s = 0; %+v", c.causeName, r.stats)
			}
			if r.liar.RequestedChunks > c.maxRequested {
				t.Fatalf("liar asked for %d chunks (%d REQUESTs), bound %d", r.liar.RequestedChunks, r.liar.Requests, c.maxRequested)
			}
			if !c.persistent && r.stats.PeersBanned != 0 {
				t.Fatalf("a peer that spoils only first sends was dropped: %+v", r.stats)
			}
			if c.persistent && c.every == 1 && !c.completes && r.exact != 0 {
				t.Fatalf("%d chunks taken from a peer that lies about every one", r.exact)
			}
			checkMode(t, c, r.stats)
			t.Logf("done %v in %v, %d chunks exact; liar: %d REQUESTs for %d chunks, %d DATA (%d bad); %s %d; bans %d, backoffs %d",
				r.done, r.took.Round(time.Millisecond), r.exact, r.liar.Requests, r.liar.RequestedChunks, r.liar.DataSent,
				r.liar.Misbehaved, c.causeName, c.cause(r.stats), r.stats.PeersBanned, r.stats.RequestBackoffs)
		})
	}
}

// checkMode asserts what the issue says of some rows beyond the matrix's common checks.
func checkMode(t *testing.T, c udpAdvCase, st engine.Stats) {
	t.Helper()
	switch {
	case c.mode == testpeer.CorruptChunk && !c.persistent:
		// Row 1: a seeder that corrupts first sends is not disconnected.
		if st.ClosedBadData != 0 {
			t.Fatalf("closed for bad data %d times: %+v", st.ClosedBadData, st)
		}
	case c.mode == testpeer.Silent && !c.persistent && !c.honest:
		// Row 4: the leecher keeps its only seeder through the silence, backing off.
		if st.RequestBackoffs == 0 || st.ClosedUnresponsive != 0 || st.ClosedTimeout != 0 {
			t.Fatalf("backoffs %d, closed unresponsive %d, closed timeout %d", st.RequestBackoffs, st.ClosedUnresponsive, st.ClosedTimeout)
		}
	case c.mode == testpeer.OversizeData:
		// Row 3: the chunks verify on their own bytes; the excess (testpeer's default 200
		// bytes per DATA) is counted, nothing else.
		if st.OversizeBytes != 200*st.OversizeData || st.BadChunks != 0 || st.ClosedMalformed != 0 {
			t.Fatalf("oversize %d (%d bytes), bad %d, closed malformed %d", st.OversizeData, st.OversizeBytes, st.BadChunks, st.ClosedMalformed)
		}
	}
}

// udpFloodAddr is the flooder's address: another loopback address than the nodes', so that
// the per-address channel limit counts the flood apart from the honest leecher.
var udpFloodAddr = netip.MustParseAddrPort("127.0.0.2:20000")

// floodLimit is the seeder's MaxChannelsPerIP in the flood tests, as in the simulation.
const floodLimit = 4

// TestAdversaryFloodsOverUDP: the leecher-side rows of issue 13 over real UDP. The
// adversary, on 127.0.0.2, floods our seeding node with REQUESTs for the whole content or
// with HANDSHAKEs from many source ports: one burst, or a burst every 10 ms; alone, or while
// an honest leecher on 127.0.0.1 downloads. As in the simulation (TestRequestFlood,
// TestHandshakeFlood): the flood is counted; a persistent REQUEST flooder is disconnected
// and banned, one burst within the queue limit is not; the flooder, which acknowledges
// nothing, gets at most the content's worth of DATA; no more than MaxChannelsPerIP channels
// open for its address, every HANDSHAKE past them refused; the honest leecher is served.
func TestAdversaryFloodsOverUDP(t *testing.T) {
	for _, mode := range []testpeer.Mode{testpeer.RequestFlood, testpeer.HandshakeFlood} {
		for _, persistent := range []bool{false, true} {
			for _, honest := range []bool{false, true} {
				kind, with := "one-burst", "alone"
				if persistent {
					kind = "persistent"
				}
				if honest {
					with = "with-honest"
				}
				t.Run(fmt.Sprintf("%v/%s/%s", mode, kind, with), func(t *testing.T) {
					t.Parallel()
					runUDPFlood(t, mode, persistent, honest)
				})
			}
		}
	}
}

// runUDPFlood runs and checks one flood scenario.
func runUDPFlood(t *testing.T, mode testpeer.Mode, persistent, honest bool) {
	ctx, cancel := context.WithTimeout(context.Background(), 90*time.Second)
	defer cancel()
	data := randomContent(14, advContentSize)
	seedStore, leechStore := seedAndLeechStores(t, ctx, data)
	seeder := startNode(t, Config{Engine: engine.Config{MaxChannelsPerIP: floodLimit}}, nil)
	if _, err := seeder.AddSwarm(ctx, engine.NewSwarmConfig(seedStore)); err != nil {
		t.Fatal(err)
	}
	peer, err := testpeer.New(testpeer.Config{Mode: mode, Persistent: persistent, Content: data,
		Target: seeder.LocalAddr(), Self: udpFloodAddr, Seed: uint64(mode)})
	if err != nil {
		t.Fatal(err)
	}
	flood, err := testpeer.ListenUDP(peer, udpFloodAddr.Addr().String()+":0")
	if err != nil {
		t.Skipf("no second loopback address: %v", err)
	}
	floodDone := make(chan error, 1)
	go func() { floodDone <- flood.Run(ctx) }()
	defer func() {
		cancel()
		if err := <-floodDone; err != nil {
			t.Errorf("flooder: %v", err)
		}
	}()
	flood.Start()
	// The flood is under way before the honest leecher comes, as in the simulation.
	floodSeen := func(s engine.Stats) bool { return s.DuplicateRequests > 0 }
	if mode == testpeer.HandshakeFlood {
		floodSeen = func(s engine.Stats) bool { return s.HandshakesRefused > 0 }
	}
	waitStats(t, ctx, seeder, "the flood counted", floodSeen)

	if honest {
		leecher := startNode(t, Config{}, nil)
		events, stop := leecher.Subscribe(1 << 16)
		defer stop()
		id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(leechStore))
		if err != nil {
			t.Fatal(err)
		}
		if err := leecher.Connect(ctx, id, seeder.LocalAddr()); err != nil {
			t.Fatal(err)
		}
		waitEvent(t, ctx, leecher, id, events)
		if exactChunks(t, leechStore, data) != udpAdvChunks {
			t.Fatal("complete, but not every chunk held")
		}
	}

	// The end state to check, reached by protocol events rather than after a delay.
	switch {
	case mode == testpeer.RequestFlood && persistent:
		waitStats(t, ctx, seeder, "the flooder disconnected", func(s engine.Stats) bool { return s.ClosedFlood > 0 })
	case mode == testpeer.HandshakeFlood && persistent:
		// Many bursts past the limit, not just the first.
		waitStats(t, ctx, seeder, "bursts refused", func(s engine.Stats) bool { return s.HandshakesRefused >= 16*8 })
	case !honest:
		// One burst: the seeder has read all of it (the handshake and 16 REQUESTs, or 16
		// HANDSHAKEs); the flooder sends nothing else.
		sent := flood.Counts().FloodSent
		if mode == testpeer.RequestFlood {
			sent++
		}
		waitStats(t, ctx, seeder, "the burst read", func(s engine.Stats) bool { return s.DatagramsIn >= uint64(sent) })
	}
	snap, err := seeder.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	st, f := snap.Stats, flood.Counts()
	switch mode {
	case testpeer.RequestFlood:
		if st.DuplicateRequests == 0 {
			t.Fatalf("flood not counted: %+v", st)
		}
		if persistent && (st.RequestsRefused == 0 || st.ClosedFlood != 1 || st.PeersBanned != 1) {
			t.Fatalf("persistent flooder not dropped: %+v", st)
		}
		if !persistent && (st.ClosedFlood != 0 || st.PeersBanned != 0) {
			t.Fatalf("one burst within the queue limit dropped the peer: %+v", st)
		}
		if f.DataReceived > udpAdvChunks {
			t.Fatalf("flooder got %d DATA for %d REQUEST datagrams", f.DataReceived, f.FloodSent)
		}
	case testpeer.HandshakeFlood:
		honestChannels := 0
		if honest {
			honestChannels = 1
		}
		if snap.Channels > floodLimit+honestChannels {
			t.Fatalf("seeder holds %d channels, limit %d for the flooder's address (+%d honest)", snap.Channels, floodLimit, honestChannels)
		}
		if !honest && st.HandshakesRefused+floodLimit < st.DatagramsIn {
			// Alone, every datagram the seeder read is a flood HANDSHAKE: all but the
			// first floodLimit must have been refused.
			t.Fatalf("%d HANDSHAKEs read, %d refused, limit %d", st.DatagramsIn, st.HandshakesRefused, floodLimit)
		}
	}
	t.Logf("flooder sent %d datagrams, got %d DATA; seeder: %d duplicate REQUESTs, %d refused, %d HANDSHAKEs refused, closed %d, banned %d, %d channels",
		f.FloodSent, f.DataReceived, st.DuplicateRequests, st.RequestsRefused, st.HandshakesRefused, st.ClosedFlood, st.PeersBanned, snap.Channels)
}
