package engine

import (
	"encoding/hex"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/congestion"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// SwarmID is a swarm's identifier: for static content the Merkle root hash (RFC 7574 §1.3).
// It is a string so it can key maps; the bytes are the raw ID.
type SwarmID string

func (id SwarmID) String() string { return hex.EncodeToString([]byte(id)) }

// Store is a swarm's content together with its Merkle tree; storage.Store implements it.
// Chunks enter only through PutChunk, which verifies them against the root hash before
// writing (RFC 7574 §5.2), and ReadAt hands out only verified bytes.
type Store interface {
	Root() []byte
	HashFunc() hashtree.HashFunc
	ChunkSize() int
	// NumChunks is the chunk count, 0 while unknown (a leecher before the peak hashes).
	NumChunks() uint64
	// Size is the content length, when known.
	Size() (int64, bool)
	// Servable reports whether chunk i can be served: verified, or held with a known hash
	// and checked when read (content imported from libswift without rehashing).
	Servable(i uint64) bool
	// AddPeaks checks the peak hashes at the start of cands against the root (§5.6).
	AddPeaks(cands []hashtree.NodeHash) (int, error)
	// PutChunk verifies chunk i with the candidate hashes, then stores it. Verification
	// failures wrap hashtree's errors; anything else is a storage failure.
	PutChunk(i uint64, data []byte, cands []hashtree.NodeHash) error
	ReadAt(p []byte, off int64) (int, error)
	// Uncles lists the hashes a peer needs before the DATA for bin b (§5.3, §5.6.2).
	Uncles(dst []hashtree.NodeHash, b bins.Bin, mode hashtree.Mode, peer hashtree.Peer) ([]hashtree.NodeHash, error)
}

// SwarmConfig describes a swarm to join.
type SwarmConfig struct {
	Store Store
	// Addressing is the chunk addressing we propose (RFC 7574 §7.8). Its zero value is
	// bin32, so build configs with NewSwarmConfig, which sets the RFC default, chunk32.
	Addressing wire.Addressing
}

// NewSwarmConfig returns a config with the RFC's default addressing (32-bit chunk ranges),
// which is also the only one libswift speaks.
func NewSwarmConfig(store Store) SwarmConfig {
	return SwarmConfig{Store: store, Addressing: wire.ChunkRange32}
}

// swarm is one swarm's state: our chunks, the tree, and its channels.
type swarm struct {
	id    SwarmID
	store Store
	// integrity checks the chunks received and gives the hashes for those sent
	// (integrity.go); for static content, the Merkle tree in store.
	integrity  integrity
	addressing wire.Addressing
	hash       wire.HashFunc
	chunkSize  uint32
	// congestion is Config.Congestion, for the channels' senders.
	congestion congestion.Config

	n        uint64 // chunk count; 0 while unknown (leecher before peak hashes)
	have     bitmap // verified chunks
	avail    []uint16
	channels []*channel // in the order they were opened, so that runs repeat exactly
	// pending maps a chunk to its outstanding request; by value, so that the tens of
	// thousands of requests a second of a small-chunk download allocate nothing.
	pending map[uint64]pendingRequest
	// pendingBits mirrors pending's keys, so the picker scans a word at a time.
	pendingBits bitmap
	// endgame counts duplicate requests outstanding (channel.extra) across channels.
	endgame int
	// windows are the players' playback windows, in owner order (playback.go); windowTurn
	// is the one whose turn it is to be served first.
	windows    []playWindow
	windowTurn int
	avoid      map[uint64]avoidEntry   // chunk → peer that failed on it last
	bans       map[netip.AddrPort]*ban // peers barred for misbehaving (peerscore.go)
	wake       time.Time               // when an avoided chunk may be asked for again (see wakeAt)
	// timed is the engine's set of swarms whose timers may have work (timedswarms.go); inTimed
	// says whether this swarm is in it.
	timed     map[SwarmID]*swarm
	inTimed   bool
	scanStart uint64 // random start of the picker's scan, spreads peers over the file
	err       error  // storage failure: the swarm stopped downloading
	complete  bool
	// peaksKnown: the peak hashes are verified (or not needed: we hold chunks), so INTEGRITY
	// lists need not be searched for them.
	peaksKnown bool

	// live is a live swarm's own state (liveswarm.go); nil for static content.
	live *liveSwarm

	// known holds peers heard from, for PEX (§8.13: only those of the last 60 s).
	known map[netip.AddrPort]time.Time

	traffic traffic // bytes sent and received, over all channels past and present
	// upCap and downCap are the swarm's rate limits (ratelimit.go).
	upCap, downCap bucket
}

type pendingRequest struct {
	ch   *channel
	sent time.Time
	seq  uint64 // its place in ch's request order (channel.reqOrder)
}

// avoidEntry: chunk i failed at ch (bad, or timed out) strikes times; ch is not asked for
// it again before until (see chunkAllowed).
type avoidEntry struct {
	ch      *channel
	until   time.Time
	strikes int
}

func newSwarm(cfg SwarmConfig, uncles hashtree.Mode, scanSeed uint64) (*swarm, error) {
	if cfg.Store == nil {
		return nil, errors.New("engine: swarm needs a store")
	}
	if !cfg.Addressing.Known() || cfg.Addressing == wire.ByteRange64 {
		return nil, fmt.Errorf("engine: chunk addressing %v not supported", cfg.Addressing)
	}
	s := &swarm{
		id:         SwarmID(cfg.Store.Root()),
		store:      cfg.Store,
		integrity:  newMerkleIntegrity(cfg.Store, uncles),
		addressing: cfg.Addressing,
		hash:       cfg.Store.HashFunc().Wire(),
		chunkSize:  uint32(cfg.Store.ChunkSize()),
		pending:    make(map[uint64]pendingRequest),
		avoid:      make(map[uint64]avoidEntry),
		bans:       make(map[netip.AddrPort]*ban),
		known:      make(map[netip.AddrPort]time.Time),
		scanStart:  scanSeed,
	}
	if n := cfg.Store.NumChunks(); n > 0 {
		s.setSize(n)
		for i := range n {
			if cfg.Store.Servable(i) {
				s.have.set(i)
			}
		}
		s.complete = s.have.full()
		s.peaksKnown = s.have.count > 0
		if s.complete {
			// Rarity counts serve only the picker, which a complete swarm never runs
			// (nothing makes it incomplete again): 2 bytes per chunk saved, 32 MiB for a
			// 16 GiB seed in 1 KiB chunks.
			s.avail = nil
		}
	}
	return s, nil
}

// chunkLen is the length of chunk i, or false when the content size is not known and i is
// the last chunk.
func (s *swarm) chunkLen(i uint64) (int, bool) {
	cs := int(s.chunkSize)
	if i+1 < s.n || s.live != nil { // live chunks are all full (§6)
		return cs, true
	}
	size, ok := s.store.Size()
	if !ok {
		return 0, false
	}
	return int(size - int64(i)*int64(cs)), true
}

// setSize allocates the per-chunk state once the chunk count is known.
func (s *swarm) setSize(n uint64) {
	s.n = n
	s.have = newBitmap(n)
	s.avail = make([]uint16, n)
	first := s.pending
	s.pendingBits = newBitmap(n)
	for i := range first {
		if i < n {
			s.pendingBits.set(i)
		}
	}
	s.scanStart %= n
}

// total is the chunk count, 0 while unknown and for a live stream, which has no end.
func (s *swarm) total() uint64 {
	if s.live != nil {
		return 0
	}
	return s.n
}

// newPeerBitmap is a bitmap for what a peer has, aligned with the swarm's own.
func (s *swarm) newPeerBitmap() bitmap {
	b := newBitmap(s.have.n)
	b.base = s.have.base
	return b
}

// specToChunks turns a chunk spec into chunks under the channel's addressing. It fails for
// the empty bin and for ranges that name nothing in our numbering.
func specToChunks(a wire.Addressing, s wire.ChunkSpec) (bins.ChunkRange, bool) {
	if a.IsBin() {
		if s.Bin.IsNone() {
			return bins.ChunkRange{}, false
		}
		return s.Bin.Range(), true
	}
	return bins.ChunkRange{Start: s.Start, End: s.End}, s.Start <= s.End
}

// specForBin is the spec of tree node b under addressing a.
func specForBin(a wire.Addressing, b bins.Bin) wire.ChunkSpec {
	if a.IsBin() {
		return wire.BinSpec(b)
	}
	return wire.RangeSpec(b.BaseLeft(), b.BaseRight())
}

func (s *swarm) addPending(i uint64, ch *channel, now time.Time) {
	ch.reqSeq++
	s.pending[i] = pendingRequest{ch: ch, sent: now, seq: ch.reqSeq}
	s.markTimed()
	s.pendingBits.set(i)
	ch.reqOrder = append(ch.reqOrder, requestedChunk{chunk: i, seq: ch.reqSeq})
}

// unpend forgets the request for chunk i and returns the channel it was at, if any.
func (s *swarm) unpend(i uint64) *channel {
	p, _ := s.takePending(i)
	return p.ch
}

// takePending forgets the request for chunk i and returns it, if there was one.
func (s *swarm) takePending(i uint64) (pendingRequest, bool) {
	p, ok := s.pending[i]
	if !ok {
		return pendingRequest{}, false
	}
	delete(s.pending, i)
	if s.pendingBits.n > 0 {
		s.pendingBits.unset(i)
	}
	return p, true
}
