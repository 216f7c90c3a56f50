package engine

import (
	"bytes"
	"crypto/rand"
	"encoding/binary"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// memLive is a LiveStore for the simulations: a map bounded to the window.
type memLive struct {
	window uint64
	chunks map[uint64][]byte
	newest uint64
}

func newMemLive(window uint64) *memLive { return &memLive{window: window, chunks: map[uint64][]byte{}} }

func (m *memLive) Put(i uint64, d []byte) {
	m.chunks[i] = bytes.Clone(d)
	if i > m.newest {
		m.newest = i
	}
	if len(m.chunks) > int(m.window) {
		for j := range m.chunks {
			if j+m.window <= m.newest {
				delete(m.chunks, j)
			}
		}
	}
}

func (m *memLive) Get(i uint64, p []byte) (int, bool) {
	d, ok := m.chunks[i]
	if !ok {
		return 0, false
	}
	return copy(p, d), true
}

// liveChunk is chunk i of the simulated stream: its index in every 8 bytes, so that any
// byte out of place shows.
func liveChunk(i uint64, cs int) []byte {
	b := make([]byte, cs)
	for k := 0; k+8 <= cs; k += 8 {
		binary.BigEndian.PutUint64(b[k:], i)
	}
	return b
}

type liveSim struct {
	net      *simNet
	source   *simNode
	key      *livesig.PrivateKey
	method   wire.IntegrityMethod
	window   uint64
	injected uint64
	stores   map[*simNode]*memLive
}

func newLiveSim(t *testing.T, seed uint64, alg livesig.Alg, method wire.IntegrityMethod, l link) *liveSim {
	key, err := livesig.GenerateKey(alg, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	ls := &liveSim{net: newSimNet(t, seed), key: key, method: method, window: 1024, stores: map[*simNode]*memLive{}}
	ls.source = ls.add("source", key, l)
	return ls
}

func (ls *liveSim) add(name string, key *livesig.PrivateKey, l link) *simNode {
	node := ls.net.addNode(name, Config{}, l)
	store := newMemLive(ls.window)
	cfg := NewLiveSwarmConfig(ls.key.Public().SwarmID(), store)
	cfg.Key, cfg.Method, cfg.Window = key, ls.method, live.Window(ls.window)
	var err error
	if node.id, err = node.eng.AddLiveSwarm(cfg); err != nil {
		ls.net.t.Fatal(err)
	}
	ls.stores[node] = store
	return node
}

// stream injects one chunk every period from now on.
func (ls *liveSim) stream(period time.Duration) {
	ls.net.tickers = append(ls.net.tickers, &ticker{next: ls.net.now, fn: func(now time.Time) time.Duration {
		if _, err := ls.source.eng.Inject(now, ls.source.id, liveChunk(ls.injected, testCS)); err != nil {
			ls.net.t.Fatal(err)
		}
		ls.injected++
		ls.net.collect(ls.source)
		return period
	}})
}

// received checks that node holds only the stream's true chunks and returns the first
// chunk it verified and how many.
func (ls *liveSim) received(t *testing.T, node *simNode) (first uint64, n int) {
	t.Helper()
	first = ^uint64(0)
	for _, ev := range node.events {
		if ev.Kind != EventChunkVerified {
			continue
		}
		n++
		first = min(first, ev.Chunk)
	}
	for i, d := range ls.stores[node].chunks {
		if !bytes.Equal(d, liveChunk(i, testCS)) {
			t.Fatalf("%s holds a wrong chunk %d", node.name, i)
		}
	}
	return first, n
}

func TestLiveSourceToPeer(t *testing.T) {
	for _, method := range []wire.IntegrityMethod{wire.IntegrityUnifiedMHT, wire.IntegritySignAll} {
		t.Run(method.String(), func(t *testing.T) {
			ls := newLiveSim(t, 1, livesig.ECDSAP256SHA256, method, link{delay: 5 * time.Millisecond})
			ls.stream(4 * time.Millisecond) // 250 chunks/s, 2 Mbit/s of 1 KiB chunks
			ls.net.run(2*time.Second, func() bool { return false })
			peer := ls.add("peer", nil, link{delay: 5 * time.Millisecond})
			ls.net.connect(peer, ls.source)
			joinedAt := ls.injected
			ls.net.run(15*time.Second, func() bool { return false })
			first, n := ls.received(t, peer)
			edge, ok, _ := peer.eng.LiveEdge(peer.id)
			t.Logf("joined at chunk %d, tuned in at %d, verified %d, edge %d of %d injected", joinedAt, first, n, edge, ls.injected)
			if n == 0 || !ok {
				t.Fatal("the peer verified no chunk")
			}
			if first+64 < joinedAt {
				t.Errorf("tuned in at chunk %d, the stream was at %d: not near the live edge", first, joinedAt)
			}
			if want := ls.injected - first - 64; uint64(n) < want {
				t.Errorf("verified %d chunks since tune-in at %d, want at least %d of the %d injected", n, first, want, ls.injected)
			}
			if ls.injected-edge > 64 {
				t.Errorf("edge %d lags the source's %d", edge, ls.injected)
			}
		})
	}
}

// TestLiveRelay is the relay test: a source whose uplink carries only 2.5 times
// the stream feeds 6 peers that find each other by PEX. A star would need 6 times the
// stream from the source; the peers must relay to each other, each receiving the stream
// from its tune-in on.
func TestLiveRelay(t *testing.T) {
	const period = 4 * time.Millisecond // 250 chunks/s: 2 Mbit/s of 1 KiB chunks
	streamRate := float64(testCS) / period.Seconds()
	ls := newLiveSim(t, 7, livesig.ECDSAP256SHA256, wire.IntegrityUnifiedMHT,
		link{delay: 10 * time.Millisecond, rate: 2.5 * streamRate, buffer: 200 * time.Millisecond, overhead: 42})
	ls.stream(period)
	ls.net.run(time.Second, func() bool { return false })
	var peers []*simNode
	for k := range 6 {
		p := ls.add("peer"+string(rune('A'+k)), nil, link{delay: 10 * time.Millisecond, rate: 4 * streamRate, buffer: 200 * time.Millisecond, overhead: 42})
		ls.net.connect(p, ls.source)
		peers = append(peers, p)
	}
	ls.net.run(20*time.Second, func() bool { return false })
	served := ls.source.eng.Stats().ChunksServed
	var total uint64
	for _, p := range peers {
		first, n := ls.received(t, p)
		edge, _, _ := p.eng.LiveEdge(p.id)
		t.Logf("%s: tuned in at %d, verified %d, edge %d of %d, %d peers", p.name, first, n, edge, ls.injected, len(p.eng.Peers(p.id)))
		total += uint64(n)
		if span := edge - first + 1; uint64(n) < span*95/100 {
			t.Errorf("%s verified %d of the %d chunks from its tune-in to its edge\n%s", p.name, n, span, ls.dump(p))
		}
		if ls.injected-edge > 256 {
			t.Errorf("%s lags: edge %d, source at %d\n%s", p.name, edge, ls.injected, ls.dump(p))
		}
	}
	t.Logf("source served %d chunks, peers verified %d (%.2f of it from the source)", served, total, float64(served)/float64(total))
	if served*2 > total {
		t.Errorf("the source served %d of the %d chunks the peers got: not relayed", served, total)
	}
}

// forgeSignatures flips a bit in the signature of every SIGNED_INTEGRITY in a datagram of
// a live swarm with key's algorithm, 32-bit chunk ranges and SHA-1.
func forgeSignatures(key *livesig.PrivateKey, forged *int) func([]byte) []byte {
	return func(b []byte) []byte {
		ctx := wire.DefaultContext()
		ctx.Integrity, ctx.Hash, ctx.ChunkSize = wire.IntegrityUnifiedMHT, wire.SHA1, testCS
		ctx.SwarmID, ctx.SigAlg = key.Public().SwarmID(), key.Alg().Wire()
		var dec wire.Decoder
		dg, _ := dec.Decode(b, &ctx)
		for _, m := range dg.Messages {
			if si, ok := m.(*wire.SignedIntegrity); ok && len(si.Signature) > 0 {
				si.Signature[len(si.Signature)/2] ^= 0x10 // aliases b
				*forged++
			}
		}
		return b
	}
}

// TestLiveForgedRelay: a relay that forges the source's signatures on what it forwards,
// and another that corrupts the chunks. A viewer connected to both and to the source
// counts and drops what they send, drops them, and plays only true chunks.
func TestLiveForgedRelay(t *testing.T) {
	const period = 4 * time.Millisecond
	ls := newLiveSim(t, 11, livesig.ECDSAP256SHA256, wire.IntegrityUnifiedMHT, link{delay: 10 * time.Millisecond})
	ls.stream(period)
	ls.net.run(500*time.Millisecond, func() bool { return false })
	forged := 0
	forger := ls.add("forger", nil, link{delay: 2 * time.Millisecond, mutate: forgeSignatures(ls.key, &forged)})
	corrupter := ls.add("corrupter", nil, link{delay: 2 * time.Millisecond, corruptData: true})
	ls.net.connect(forger, ls.source)
	ls.net.connect(corrupter, ls.source)
	ls.net.run(time.Second, func() bool { return false })
	viewer := ls.add("viewer", nil, link{delay: 2 * time.Millisecond})
	ls.net.connect(viewer, forger)
	ls.net.connect(viewer, corrupter)
	ls.net.connect(viewer, ls.source)
	ls.net.run(10*time.Second, func() bool { return false })

	st := viewer.eng.Stats()
	first, n := ls.received(t, viewer) // fails on any wrong chunk held
	edge, _, _ := viewer.eng.LiveEdge(viewer.id)
	t.Logf("forged %d signatures; viewer: bad signatures %d, bad chunks %d, verified %d from %d to %d, peers %v",
		forged, st.LiveBadSignatures, st.BadChunks, n, first, edge, viewer.eng.Peers(viewer.id))
	if forged == 0 || st.LiveBadSignatures == 0 {
		t.Fatalf("forged %d signatures, the viewer counted %d", forged, st.LiveBadSignatures)
	}
	if st.BadChunks == 0 {
		t.Error("the corrupter's chunks were not counted as bad")
	}
	for _, p := range viewer.eng.Peers(viewer.id) {
		if p == forger.addr {
			t.Errorf("the viewer still talks to the forger %v", p)
		}
	}
	if span := edge - first + 1; uint64(n) < span*95/100 || ls.injected-edge > 256 {
		t.Errorf("verified %d of chunks %d-%d, source at %d\n%s", n, first, edge, ls.injected, ls.dump(viewer))
	}
}

// TestLiveChunksPerSig: a source with 8-chunk munros; the peer learns the width from the
// first munro (RFC 7574 has no option for it) and verifies every chunk of each signed one.
func TestLiveChunksPerSig(t *testing.T) {
	p := newLivePairCfg(t, livesig.Ed25519, wire.IntegrityUnifiedMHT, uint64(DefaultLiveWindow), 8)
	for i := range uint64(100) {
		p.step(t, i, 4*time.Millisecond)
	}
	edge, ok, _ := p.peer.LiveEdge(p.peerID)
	if !ok || edge != 95 { // chunks 96-99 wait for their munro
		t.Fatalf("peer edge %d (%v), want 95: the last complete 8-chunk munro", edge, ok)
	}
	for i := uint64(0); i <= edge; i++ {
		if !p.peerStore.Has(i) {
			t.Fatalf("chunk %d missing at the peer", i)
		}
	}
}

// TestLiveOutsideWindow: DATA for a chunk the window left behind is dropped, counted and
// held against the sender, and never reaches the store.
func TestLiveOutsideWindow(t *testing.T) {
	p := newLivePairCfg(t, livesig.Ed25519, wire.IntegrityUnifiedMHT, uint64(DefaultLiveWindow), 0)
	n := uint64(DefaultLiveWindow) + 512
	for i := range n {
		p.step(t, i, time.Millisecond)
	}
	s := p.peer.swarms[p.peerID]
	ch := s.channels[0]
	old := uint64(10) // far behind the window, which keeps from n-4096
	data := &wire.Data{Spec: wire.RangeSpec(old, old), Timestamp: uint64(p.now.UnixMicro()), Payload: liveChunk(old, testCS)}
	b, err := data.Append(wire.AppendHeader(nil, ch.local), &ch.ctx)
	if err != nil {
		t.Fatal(err)
	}
	before := ch.score
	p.peer.HandleDatagram(p.now, p.srcAddr, b)
	st := p.peer.Stats()
	if st.LiveOutsideWindow != 1 || p.peerStore.Has(old) {
		t.Fatalf("outside window %d, chunk %d stored %v", st.LiveOutsideWindow, old, p.peerStore.Has(old))
	}
	if ch.score <= before {
		t.Errorf("the sender's score %v did not rise from %v", ch.score, before)
	}
}

// TestLiveSourceRestart: a source restarted with the same key resumes at a later chunk
// (LiveSwarmConfig.First); a peer that stayed joined reconnects to it and goes on with the
// stream, counting no forgery.
func TestLiveSourceRestart(t *testing.T) {
	ls := newLiveSim(t, 5, livesig.ECDSAP256SHA256, wire.IntegrityUnifiedMHT, link{delay: 5 * time.Millisecond})
	ls.stream(4 * time.Millisecond)
	peer := ls.add("peer", nil, link{delay: 5 * time.Millisecond})
	ls.net.connect(peer, ls.source)
	ls.net.run(3*time.Second, func() bool { return false })
	before, _, _ := peer.eng.LiveEdge(peer.id)

	// The source process restarts: a new engine at the same address, numbering from a
	// munro boundary past everything it injected.
	old := ls.source
	e := New(Config{Rand: old.eng.cfg.Rand})
	first := (ls.injected/32 + 64) * 32
	cfg := NewLiveSwarmConfig(ls.key.Public().SwarmID(), newMemLive(ls.window))
	cfg.Key, cfg.Window, cfg.First = ls.key, live.Window(ls.window), first
	if _, err := e.AddLiveSwarm(cfg); err != nil {
		t.Fatal(err)
	}
	old.eng = e
	ls.injected = first
	// The peer's channel to the old process times out; it connects again, as the manager
	// does for a swarm's known peers.
	ls.net.run(40*time.Second, func() bool { return len(peer.eng.Peers(peer.id)) == 0 })
	ls.net.connect(peer, ls.source)
	ls.net.run(3*time.Second, func() bool { return false })
	after, _, _ := peer.eng.LiveEdge(peer.id)
	st := peer.eng.Stats()
	t.Logf("edge %d before the restart, %d after (source resumed at %d, now at %d); bad signatures %d", before, after, first, ls.injected, st.LiveBadSignatures)
	if after < first || ls.injected-after > 64 || st.LiveBadSignatures != 0 {
		t.Fatalf("the peer did not follow the restarted source:\n%s", ls.dump(peer))
	}
	ls.received(t, peer)
}

// TestLiveHandshakeOptions: a live peer's HANDSHAKE names the integrity method (option 3),
// the source's signature algorithm (5) and the discard window it keeps (7), and no hash
// function (libswift's live HANDSHAKE has none: SHA-1 is implied); a static swarm's peer
// offering live options is not answered.
func TestLiveHandshakeOptions(t *testing.T) {
	key, err := livesig.GenerateKey(livesig.ECDSAP256SHA256, rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	e := New(Config{})
	cfg := NewLiveSwarmConfig(key.Public().SwarmID(), newMemLive(512))
	cfg.Window = 512
	id, err := e.AddLiveSwarm(cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.Connect(t0, id, rawPeer); err != nil {
		t.Fatal(err)
	}
	o := decodeOut(t, e.Outgoing())[0].Messages[0].(*wire.Handshake).Options
	if !o.Has(wire.OptIntegrity) || o.Integrity != wire.IntegrityUnifiedMHT ||
		!o.Has(wire.OptSigAlg) || o.SigAlg != wire.AlgECDSAP256SHA256 ||
		!o.Has(wire.OptDiscardWindow) || o.DiscardWindow != 512 || o.Has(wire.OptHashFunc) {
		t.Fatalf("live HANDSHAKE options %+v", o)
	}
	static, sid := seedingEngine(t, Config{}, testContent(1, 4*testCS))
	var live wire.Options
	live.SetVersion(1)
	live.SetSwarmID([]byte(sid))
	live.SetSigAlg(wire.AlgECDSAP256SHA256)
	live.SetAddressing(wire.ChunkRange32)
	live.SetDiscardWindow(512)
	b, err := (&wire.Handshake{Source: 7, Options: live}).Append(wire.AppendHeader(nil, 0), &wire.Context{Addressing: wire.ChunkRange32})
	if err != nil {
		t.Fatal(err)
	}
	static.HandleDatagram(t0, rawPeer, b)
	if len(static.Outgoing()) != 0 || static.Stats().Drops[DropHandshake] != 1 {
		t.Fatal("a static swarm answered a HANDSHAKE with live options")
	}
}

// TestLiveTuneInIgnoresLies: a HAVE for a chunk far ahead that arrives before any signed
// munro does not decide where a peer tunes in: under the Unified Merkle Tree it tunes in
// at a munro whose signature verified, and gets the real stream.
func TestLiveTuneInIgnoresLies(t *testing.T) {
	p := newLivePairCfg(t, livesig.Ed25519, wire.IntegrityUnifiedMHT, uint64(DefaultLiveWindow), 0)
	ch := p.peer.swarms[p.peerID].channels[0]
	lie, err := (&wire.Have{Spec: wire.RangeSpec(1_000_000_000, 1_000_000_000)}).Append(wire.AppendHeader(nil, ch.local), &ch.ctx)
	if err != nil {
		t.Fatal(err)
	}
	p.peer.HandleDatagram(p.now, p.srcAddr, lie)
	for i := range uint64(256) {
		p.step(t, i, 4*time.Millisecond)
	}
	edge, ok, _ := p.peer.LiveEdge(p.peerID)
	if !ok || edge != 255 || !p.peerStore.Has(0) {
		t.Fatalf("after a lying HAVE the peer's edge is %d (%v), want 255 with chunk 0 held", edge, ok)
	}
}
