package engine

import (
	"bytes"
	"fmt"
	"net/netip"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// A live swarm (RFC 7574 §6) has no end and no root hash: the source signs what it
// injects, and peers keep only the chunks of the discard window (§6.2). The engine runs it
// with the machinery of static swarms — channels, requests, LEDBAT, the peer policy — on
// bitmaps that cover a sliding range of chunk indices (bitmap.base): capacity liveSpan
// chunks, at least twice the window, so that memory stays flat however long the stream
// runs. What differs is kept here: the signer or verifier, the live edge, and where a
// joining peer tunes in.

// liveSwarm is a live swarm's own state.
type liveSwarm struct {
	cfg LiveSwarmConfig
	pub *livesig.PublicKey
	// The source side: the Unified Merkle Tree signer, or the Sign All key.
	source *live.Source
	// The peer side: the UMT verifier or the Sign All verifier.
	verifier   *live.Verifier
	saVerifier *live.SignAllVerifier
	// sigs are Sign All's signatures of the window's chunks, by chunk modulo the window,
	// kept to forward each chunk with its signature (§6.1.1).
	sigs []live.Signed
	next uint64 // Sign All source: the next chunk's index
	span uint64 // the bitmaps' capacity in chunks

	// edge is the newest chunk held here (injected and signed, or verified); hasEdge is
	// false before the first.
	edge    uint64
	hasEdge bool
	// heard is the newest chunk a peer announced; tuneIn is the first chunk we fetch,
	// fixed at the first pick after announcements came (§6: a peer joins near the live
	// edge, not at chunk 0; a datagram's HAVEs are all read before the pick, so a peer
	// announcing its window oldest first does not pull us back) and moved forward as the
	// window passes it.
	heard    uint64
	hasHeard bool
	tuned    bool
	tuneIn   uint64
	// salt spreads the chunks this peer fetches early over the swarm (earlyShare, waited).
	salt    uint64
	nodeBuf []live.Node
}

// DefaultTuneInLag is how many chunks behind the newest announced chunk a joining peer
// starts, under Sign All; under the Unified Merkle Tree it starts at the newest signed
// munro, the first whose chunks it can verify.
const DefaultTuneInLag = 8

// newLiveSwarm checks cfg and builds the swarm.
func newLiveSwarm(cfg LiveSwarmConfig, scanSeed uint64) (*swarm, error) {
	pub, err := livesig.ParseSwarmID(cfg.SwarmID)
	if err != nil {
		return nil, fmt.Errorf("engine: live swarm ID: %w", err)
	}
	if cfg.Key != nil && !bytes.Equal(cfg.Key.Public().SwarmID(), cfg.SwarmID) {
		return nil, fmt.Errorf("engine: the signing key is not the swarm's")
	}
	if cfg.Store == nil {
		return nil, fmt.Errorf("engine: live swarm needs a store")
	}
	if cfg.ChunkSize == 0 {
		return nil, fmt.Errorf("engine: live swarm needs a chunk size")
	}
	if !supportedAddressing(cfg.Addressing) {
		return nil, fmt.Errorf("engine: chunk addressing %v not supported", cfg.Addressing)
	}
	if cfg.Hash == 0 {
		cfg.Hash = hashtree.SHA1
	}
	if cfg.Window == live.Unlimited {
		// A peer that kept every chunk would grow without bound; option 7 still says
		// what we keep.
		cfg.Window = DefaultLiveWindow
	}
	ls := &liveSwarm{cfg: cfg, pub: pub}
	ls.span = (2*uint64(cfg.Window) + 63) / 64 * 64
	switch cfg.Method {
	case wire.IntegrityUnifiedMHT:
		if cfg.ChunksPerSig == 0 {
			cfg.ChunksPerSig = live.DefaultChunksPerSig
		}
		if cfg.Key != nil {
			// Each munro is signed in both forms, so that RFC 7574 peers and libswift
			// peers join the same stream: one more signature per munro, none per chunk.
			ls.source, err = live.NewSource(live.SourceConfig{Key: cfg.Key, Hash: cfg.Hash, ChunksPerSig: cfg.ChunksPerSig,
				Form: cfg.Form, Forms: []live.Form{live.FormRFC, live.FormLibswift}, Addressing: cfg.Addressing, Window: cfg.Window,
				First: cfg.First})
		} else {
			ls.verifier, err = live.NewVerifier(live.VerifierConfig{Key: pub, Hash: cfg.Hash, Form: cfg.Form,
				Addressing: cfg.Addressing, MaxAge: live.DefaultMaxAge, Window: cfg.Window})
		}
	case wire.IntegritySignAll:
		ls.sigs = make([]live.Signed, cfg.Window)
		if cfg.Key == nil {
			ls.saVerifier, err = live.NewSignAllVerifier(pub, cfg.Addressing, live.DefaultMaxAge, cfg.Window)
		}
	default:
		return nil, fmt.Errorf("engine: %v is not a live integrity method", cfg.Method)
	}
	if err != nil {
		return nil, fmt.Errorf("engine: %w", err)
	}
	ls.cfg = cfg
	s := &swarm{
		id:         SwarmID(cfg.SwarmID),
		store:      liveStoreAdapter{cfg: &ls.cfg},
		addressing: cfg.Addressing,
		hash:       cfg.Hash.Wire(),
		chunkSize:  cfg.ChunkSize,
		pending:    make(map[uint64]pendingRequest),
		avoid:      make(map[uint64]avoidEntry),
		bans:       make(map[netip.AddrPort]*ban),
		known:      make(map[netip.AddrPort]time.Time),
		scanStart:  scanSeed,
		live:       ls,
		peaksKnown: true, // no peaks: chunks verify against signatures
	}
	s.integrity = &liveIntegrity{ls: ls}
	s.setSize(ls.span)
	ls.salt = scanSeed | 1
	ls.next = cfg.First // Sign All numbers its chunks here
	return s, nil
}

// isSource reports whether we inject this stream.
func (ls *liveSwarm) isSource() bool { return ls.cfg.Key != nil }

// oldest is the first chunk the window keeps behind the edge.
func (ls *liveSwarm) oldest() uint64 {
	if !ls.hasEdge {
		return 0
	}
	return ls.cfg.Window.Oldest(ls.edge)
}

// keepFrom is the first chunk worth fetching or accepting: the window behind the newest
// chunk known to exist — held here, signed under a verified munro, or (Sign All, where
// nothing is signed ahead) announced by a peer within the bound liveHave sets. A peer
// that fell behind skips ahead to it: older chunks are gone from the source and from
// every peer that keeps the same window (§6.2).
func (ls *liveSwarm) keepFrom() uint64 {
	edge, ok := ls.trustedEdge()
	if ls.cfg.Method == wire.IntegritySignAll && ls.hasHeard && (!ok || ls.heard > edge) {
		edge, ok = ls.heard, true
	}
	if !ok {
		return 0
	}
	return ls.cfg.Window.Oldest(edge)
}

// fit slides the swarm's bitmaps forward so that chunk i falls inside them, keeping the
// window behind the edge (see liveSwarm). It reports false for a chunk behind the bitmaps,
// which the swarm no longer tracks.
func (e *Engine) fit(s *swarm, i uint64) bool {
	if i < s.have.base {
		return false
	}
	if i < s.n {
		return true
	}
	ls := s.live
	// Slide so that i lands three quarters in, but never past the oldest chunk kept: the
	// next quarter of the span arrives before the next slide.
	base := (i - min(i, ls.span*3/4)) / 64 * 64
	base = min(base, ls.oldest()/64*64)
	if i-base >= ls.span {
		base = (i - ls.span + 64) / 64 * 64 // the edge itself is that far behind: drop it all
	}
	e.slide(s, base)
	return true
}

// slide moves the window of a live swarm's bitmaps to start at base: the state of chunks
// before it (requests, rarity counts, failures) is dropped.
func (e *Engine) slide(s *swarm, base uint64) {
	old := s.have.base
	if base <= old {
		return
	}
	shift := base - old
	for i, p := range s.pending {
		if i < base {
			s.takePending(i)
			p.ch.requested--
		}
	}
	for _, ch := range s.channels {
		for i := range ch.extra {
			if i < base {
				delete(ch.extra, i)
				s.endgame--
			}
		}
		for i := range ch.reorderLost {
			if i < base {
				delete(ch.reorderLost, i)
			}
		}
		if ch.peerHave.n > 0 {
			ch.peerHave.slideTo(base)
		}
		e.markDirty(ch)
	}
	for i := range s.avoid {
		if i < base {
			delete(s.avoid, i)
		}
	}
	s.have.slideTo(base)
	s.pendingBits.slideTo(base)
	if s.avail != nil {
		if shift >= uint64(len(s.avail)) {
			clear(s.avail)
		} else {
			n := copy(s.avail, s.avail[shift:])
			clear(s.avail[n:])
		}
	}
	s.n = base + s.live.span
}

// advance records chunk i as held and moves the edge: chunks that fall behind the window
// are forgotten (§6.2), and so are their hashes.
func (e *Engine) advance(s *swarm, i uint64) {
	ls := s.live
	if ls.hasEdge && i <= ls.edge {
		return
	}
	before := ls.oldest()
	ls.edge, ls.hasEdge = i, true
	after := ls.oldest()
	for j := max(before, s.have.base); j < after; j++ {
		s.have.unset(j)
	}
	if ls.tuned && ls.tuneIn < after {
		ls.tuneIn = after
	}
	if ls.verifier != nil && after/64 != before/64 {
		// Forget walks the munros held; once per 64 chunks keeps that off the per-chunk
		// path, and the verifier's own window bounds what it holds meanwhile.
		ls.verifier.Forget(after)
	}
}

// heardOf notes that a peer announced chunk i (see tuneInAt).
func (ls *liveSwarm) heardOf(i uint64) {
	ls.heard = max(ls.heard, i)
	ls.hasHeard = true
}

// tuneInAt is where a peer that first hears of chunk edge starts: the start of its munro
// under the Unified Merkle Tree (a munro's chunks are announced together, once signed,
// §6.1.2.3), DefaultTuneInLag chunks back under Sign All.
func (ls *liveSwarm) tuneInAt(edge uint64) uint64 {
	if n := ls.cfg.ChunksPerSig; ls.cfg.Method == wire.IntegrityUnifiedMHT && n > 0 {
		return edge / n * n
	}
	return edge - min(edge, DefaultTuneInLag)
}

// liveRange is the range of chunks a live peer fetches from: from the tune-in point (or
// the window's oldest chunk) to the end of the bitmaps.
func (s *swarm) liveRange() (from, end uint64, ok bool) {
	ls := s.live
	if ls.isSource() || !ls.hasHeard {
		return 0, 0, false
	}
	if !ls.tuned {
		// Under the Unified Merkle Tree, tune in at a munro whose signature verified, not
		// at whatever a HAVE claims: a peer lying first must not send us far ahead of
		// the stream, where nothing ever comes.
		edge, ok := ls.heard, ls.hasHeard
		if ls.cfg.Method == wire.IntegrityUnifiedMHT {
			edge, ok = ls.trustedEdge()
		}
		if !ok {
			return 0, 0, false
		}
		ls.tuned = true
		ls.tuneIn = ls.tuneInAt(edge)
	}
	from = max(ls.tuneIn, ls.keepFrom(), s.have.base)
	return from, s.n, from < s.n
}

// putSig keeps a Sign All signature for forwarding.
func (ls *liveSwarm) putSig(sig live.Signed) {
	k := sig.Start % uint64(len(ls.sigs))
	ls.sigs[k] = live.Signed{Start: sig.Start, End: sig.End, Timestamp: sig.Timestamp,
		Signature: append(ls.sigs[k].Signature[:0], sig.Signature...)}
}

// sigOf is chunk i's Sign All signature, if still kept.
func (ls *liveSwarm) sigOf(i uint64) (live.Signed, bool) {
	sig := ls.sigs[i%uint64(len(ls.sigs))]
	return sig, sig.Start == i && len(sig.Signature) > 0
}

// binOf is the bin of a chunk range that is one tree node (munros and uncles are).
func binOf(start, end uint64) (bins.Bin, bool) {
	return bins.ChunkRange{Start: start, End: end}.Bin()
}

// originLike reports whether the channel's peer is (or is as good as) the source: it is
// mostly the first to announce new chunks. Every peer shares the source's uplink, so a
// chunk a relay holds too is taken from the relay.
func (p *peerChunks) originLike() bool {
	return p.liveFirst >= 8 && p.liveFirst > p.liveLater
}

// liveHave prepares a live peer's HAVE (or ACK) of r for addPeerHave: the part behind the
// window is dropped (stale, not a lie), a range far past the newest chunk verified is a
// lie (a peer cannot have what the source has not signed yet), and the bitmaps slide to
// take the rest. keep is false when nothing is left to record.
func (e *Engine) liveHave(ch *channel, r bins.ChunkRange) (_ bins.ChunkRange, keep, honest bool) {
	s := ch.swarm
	ls := s.live
	edge, trusted := ls.trustedEdge()
	if r.End >= maxLiveChunk || trusted && r.End > edge+ls.span/2 {
		e.stats.LiveOutsideWindow++
		return r, false, false
	}
	if !trusted && ls.verifier != nil {
		// Nothing signed has been seen yet, so nothing tells a true HAVE from a lie that
		// would slide the window far past the stream. Kept until a munro verifies
		// (replayEarlyHaves): a source sends one with its HAVEs (§6.1.2.3).
		if len(ch.earlyHaves) < 256 {
			ch.earlyHaves = append(ch.earlyHaves, r)
		}
		return r, false, true
	}
	if !ls.isSource() {
		ls.heardOf(r.End)
	}
	floor := max(ls.oldest(), s.have.base)
	if r.End < floor {
		return r, false, true
	}
	r.Start = max(r.Start, floor)
	if !e.fit(s, r.End) {
		return r, false, true
	}
	r.Start = max(r.Start, s.have.base) // fit may have slid past what was floor
	return r, r.Start <= r.End, true
}

// maxLiveChunk bounds live chunk numbers taken from peers, far beyond any stream (2^62
// chunks), so that the window's arithmetic cannot overflow.
const maxLiveChunk = 1 << 62

// replayEarlyHaves records the HAVEs that came before the first verified munro, now that
// there is a signed edge to judge them by.
func (e *Engine) replayEarlyHaves(now time.Time, s *swarm) {
	for _, ch := range slices.Clone(s.channels) { // a report may close a channel
		haves := ch.earlyHaves
		ch.earlyHaves = nil
		for _, r := range haves {
			if ch.state == stateClosed {
				break
			}
			if !e.addPeerHave(ch, r) {
				e.report(now, ch, offBadHave)
			}
		}
		if len(haves) > 0 {
			e.markDirty(ch)
		}
	}
}

// trustedEdge is the newest chunk known to be signed by the source: held here, or under
// a verified munro.
func (ls *liveSwarm) trustedEdge() (uint64, bool) {
	edge, ok := ls.edge, ls.hasEdge
	if ls.verifier != nil {
		if v, vok := ls.verifier.Edge(); vok && (!ok || v > edge) {
			edge, ok = v, true
		}
	}
	return edge, ok
}

// liveDataFits checks that a live DATA's chunk lies inside the window we keep. One outside
// is dropped and counted; the peer pays for it unless we asked for it before the window
// moved on.
func (e *Engine) liveDataFits(now time.Time, ch *channel, i uint64) bool {
	s := ch.swarm
	if i >= max(s.live.keepFrom(), s.have.base) && i < s.n {
		return true
	}
	e.stats.LiveOutsideWindow++
	if p, ok := s.takePending(i); ok {
		p.ch.requested--
		return false
	}
	e.report(now, ch, offLiveWindow)
	return false
}

// Relaying. A live chunk starts at the source alone, and every peer wants it within a
// moment. If every peer fetched it from the source, the source would upload the stream
// once per peer: a star. So a peer with other channels fetches from the origin (the
// channel that is mostly first to announce chunks: the source, see originLike) only its
// share of the chunks — those a hash of the chunk and its salt gives it, one in as many as
// it has channels, so that among peers with alike neighbourhoods about one fetches each
// chunk early — and takes the rest from the peers that relay them. A chunk nobody relays in
// time is fetched from the origin after a wait drawn per chunk and per peer
// (originFallback), so that the first to run out of patience fetches it and the others
// find it at that peer. Before an origin is known, a chunk only one channel offers waits
// such a wait too. A peer with one channel (a lone viewer of the source) never waits.
const (
	originFallbackMin    = 32
	originFallbackSpread = 256
)

// mix is a hash of chunk i with the peer's salt.
func (ls *liveSwarm) mix(i uint64) uint64 { return ((i ^ ls.salt) * 0x9e3779b97f4a7c15) >> 20 }

// earlyShare reports whether chunk i is one this peer fetches from the origin at once,
// with channels channels to choose from.
func (ls *liveSwarm) earlyShare(i uint64, channels int) bool {
	return ls.mix(i)%uint64(channels) == 0
}

// waited reports whether chunk i waited long enough for a relay: the newest chunk heard of
// is far enough past it.
func (ls *liveSwarm) waited(i uint64) bool {
	return ls.heard >= i+originFallbackMin+(ls.mix(i)>>8)%originFallbackSpread
}

// pickLive asks ch for the chunks of a live stream it has and we lack, oldest first from
// the tune-in point — a live player plays them in order, and the ones behind the window
// are of no use to anyone — leaving for later those that others should relay (earlyShare).
func (e *Engine) pickLive(now time.Time, ch *channel, budget int) {
	s := ch.swarm
	ls := s.live
	from, end, ok := s.liveRange()
	if !ok || ch.peerHave.count == 0 {
		return
	}
	end = min(end, ls.heard+1)
	relay, origin := 0, false
	for _, c := range s.channels {
		if c.state == stateEstablished {
			relay++
			origin = origin || c.originLike()
		}
	}
	want := min(e.requestCap(ch, ch.requestLimit())-ch.requested-len(ch.extra), budget)
	picks := e.pickBuf[:0]
	for len(picks) < want {
		i, found := e.nextInWindow(now, ch, from, end, nil, false)
		if !found {
			break
		}
		from = i + 1
		if relay > 1 && !ls.waited(i) {
			if ch.originLike() && !ls.earlyShare(i, relay) {
				continue // a relay will have it
			}
			if !ch.originLike() && s.avail[i-s.have.base] < 2 && !origin {
				continue // only this channel has it: maybe the source, maybe others follow
			}
		}
		picks = append(picks, i)
	}
	e.pickBuf = picks[:0]
	if len(picks) > 0 {
		e.request(now, ch, picks)
	}
}
