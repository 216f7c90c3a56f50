package node

import (
	"bytes"
	"context"
	"math/rand/v2"
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

// Issue 13 over real loopback UDP: a node downloads from an adversarial seeder
// (internal/testpeer) that is its only source, knowing only the swarm ID, as `ppsppd get`
// does. The simulation tests in internal/engine cover every misbehaviour; these check that
// the policy works with real sockets and the wall clock.

// advContentSize is 256 chunks of 1 KiB.
const advContentSize = 256 << 10

// downloadFromAdversary runs the adversary on 127.0.0.1, a node that downloads from it
// until complete or ctx ends, and checks the file. It returns the node's stats and the
// adversary's counts.
func downloadFromAdversary(t *testing.T, cfg testpeer.Config, limit time.Duration) (engine.Stats, testpeer.Counts) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	defer cancel()
	data := make([]byte, advContentSize)
	r := rand.New(rand.NewPCG(13, 13))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	cfg.Content, cfg.ChunkSize = data, 1024
	peer, err := testpeer.New(cfg)
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

	dst := filepath.Join(t.TempDir(), "dst")
	store, err := storage.Open(ctx, storage.Options{ContentPath: dst, Root: peer.SwarmID(),
		Params: hashtree.Params{Hash: hashtree.SHA1, Size: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer store.Close()
	leecher := startTestNode(t, ctx)
	events, stop := leecher.Subscribe(1 << 16)
	defer stop()
	id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(store))
	if err != nil {
		t.Fatal(err)
	}
	if err := leecher.Connect(ctx, id, adv.Addr()); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		select {
		case ev := <-events:
			done = ev.Kind == engine.EventComplete
		case <-ctx.Done():
			have, total, _ := leecher.Progress(context.Background(), id)
			st, _ := leecher.Stats(context.Background())
			t.Fatalf("%v: not complete after %v: %d/%d\nstats %+v\nadversary %+v", cfg.Mode, limit, have, total, st, adv.Counts())
		}
	}
	st, err := leecher.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(dst)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded file differs")
	}
	return st, adv.Counts()
}

// TestCorruptFirstSendOverUDP: the first row. The only seeder flips a byte of every
// third chunk the first time it sends it; the download completes, the bad chunks are
// counted, the seeder is not dropped, and it is asked for at most twice the content.
func TestCorruptFirstSendOverUDP(t *testing.T) {
	st, c := downloadFromAdversary(t, testpeer.Config{Mode: testpeer.CorruptChunk, Every: 3}, 60*time.Second)
	if st.BadChunks == 0 || st.ClosedBadData != 0 || st.PeersBanned != 0 {
		t.Fatalf("bad chunks %d, closed %d, banned %d", st.BadChunks, st.ClosedBadData, st.PeersBanned)
	}
	if c.RequestedChunks > 2*advContentSize/1024 {
		t.Fatalf("asked the seeder for %d chunks", c.RequestedChunks)
	}
	t.Logf("%d bad chunks; seeder got %d REQUESTs for %d chunks", st.BadChunks, c.Requests, c.RequestedChunks)
}

// TestSilenceThenServiceOverUDP: the fourth row, with a 6 s silence instead of 20 s
// to keep the test short (the simulation runs the 20 s case). The leecher does not give up
// its only seeder: its requests back off and it completes once the seeder serves.
func TestSilenceThenServiceOverUDP(t *testing.T) {
	st, c := downloadFromAdversary(t, testpeer.Config{Mode: testpeer.Silent, Silence: 6 * time.Second}, 60*time.Second)
	if st.RequestBackoffs == 0 || st.ClosedUnresponsive != 0 {
		t.Fatalf("backoffs %d, closed unresponsive %d", st.RequestBackoffs, st.ClosedUnresponsive)
	}
	t.Logf("%d request timeouts, %d backoffs; seeder got %d REQUESTs for %d chunks", st.RequestTimeouts, st.RequestBackoffs, c.Requests, c.RequestedChunks)
}

// TestOversizeDataOverUDP: the third row: every DATA carries 200 bytes past its
// chunk. The chunks verify on their own bytes, the excess is counted, the peer is kept.
func TestOversizeDataOverUDP(t *testing.T) {
	st, _ := downloadFromAdversary(t, testpeer.Config{Mode: testpeer.OversizeData, Persistent: true}, 60*time.Second)
	if st.OversizeData == 0 || st.OversizeBytes != 200*st.OversizeData || st.BadChunks != 0 || st.ClosedMalformed != 0 {
		t.Fatalf("oversize %d (%d bytes), bad %d, closed malformed %d", st.OversizeData, st.OversizeBytes, st.BadChunks, st.ClosedMalformed)
	}
}

// TestHandshakeFloodOverUDP: while an adversary on 127.0.0.2 opens channels to a seeding
// node from 16 new source ports every 10 ms, an honest node on 127.0.0.1 downloads
// everything; the seeder refuses the HANDSHAKEs past MaxChannelsPerIP and counts them.
func TestHandshakeFloodOverUDP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	data := make([]byte, advContentSize)
	r := rand.New(rand.NewPCG(14, 14))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	seedStore, err := storage.Seed(ctx, storage.Options{ContentPath: src, Params: hashtree.Params{Hash: hashtree.SHA1}})
	if err != nil {
		t.Fatal(err)
	}
	defer seedStore.Close()
	seeder := startTestNode(t, ctx)
	if _, err := seeder.AddSwarm(ctx, engine.NewSwarmConfig(seedStore)); err != nil {
		t.Fatal(err)
	}

	peer, err := testpeer.New(testpeer.Config{Mode: testpeer.HandshakeFlood, Persistent: true, Content: data,
		Target: seeder.LocalAddr(), Self: netip.MustParseAddrPort("127.0.0.2:20000")})
	if err != nil {
		t.Fatal(err)
	}
	flood, err := testpeer.ListenUDP(peer, "127.0.0.2:0")
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
	for flood.Counts().FloodSent < 256 && ctx.Err() == nil {
		time.Sleep(10 * time.Millisecond) // let the flood get going before the honest peer comes
	}

	leechStore, err := storage.Open(ctx, storage.Options{ContentPath: filepath.Join(dir, "dst"), Root: seedStore.Root(),
		Params: hashtree.Params{Hash: hashtree.SHA1, Size: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer leechStore.Close()
	leecher := startTestNode(t, ctx)
	events, stop := leecher.Subscribe(1 << 16)
	defer stop()
	id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(leechStore))
	if err != nil {
		t.Fatal(err)
	}
	if err := leecher.Connect(ctx, id, seeder.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		select {
		case ev := <-events:
			done = ev.Kind == engine.EventComplete
		case <-ctx.Done():
			st, _ := seeder.Stats(context.Background())
			t.Fatalf("honest leecher not served during the flood; seeder %+v", st)
		}
	}
	st, err := seeder.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if st.HandshakesRefused == 0 {
		t.Fatalf("no HANDSHAKE refused: %+v", st)
	}
	snap, err := seeder.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if limit := engine.DefaultConfig().MaxChannelsPerIP + 1; snap.Channels > limit {
		t.Fatalf("seeder holds %d channels, want at most %d (the flooder's limit and the leecher)", snap.Channels, limit)
	}
	got, err := os.ReadFile(filepath.Join(dir, "dst"))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded file differs (%v)", err)
	}
	t.Logf("%d flood HANDSHAKEs sent, %d refused by the seeder", flood.Counts().FloodSent, st.HandshakesRefused)
}
