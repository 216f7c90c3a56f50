package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// LiveStore keeps a live swarm's verified chunks (RFC 7574 §6.2: only those inside the
// discard window). The engine puts a chunk only after it verified against the source's
// signature; readers (the HTTP gateway) read from the same store on other goroutines, so
// implementations are safe for concurrent use. livebuf.Buffer implements it.
type LiveStore interface {
	// Put keeps a copy of verified chunk i; the store may evict chunks older than its
	// window.
	Put(i uint64, data []byte)
	// Get copies chunk i into p and returns its length; false when it is not held.
	Get(i uint64, p []byte) (int, bool)
}

// LiveSwarmConfig describes a live swarm to inject or to join (RFC 7574 §6).
type LiveSwarmConfig struct {
	// SwarmID is the live swarm ID: the signature algorithm byte and the source's
	// public key (§6.1, livesig.PublicKey.SwarmID).
	SwarmID []byte
	// Key is the source's signing key when we inject the stream; nil for a peer.
	Key *livesig.PrivateKey
	// Method is Sign All or the Unified Merkle Tree (§6.1, option 3).
	Method wire.IntegrityMethod
	// ChunkSize is the stream's fixed chunk size; every chunk is full.
	ChunkSize uint32
	// ChunksPerSig is the munro width of the Unified Merkle Tree (§6.1.2.1);
	// live.DefaultChunksPerSig when 0. A peer learns it from the first munro.
	ChunksPerSig uint64
	// Window is the live discard window in chunks (§6.2, option 7).
	Window live.Window
	// Addressing is the chunk addressing proposed (§7.8).
	Addressing wire.Addressing
	// Form is how our source signs for peers that speak RFC 7574; peers found to be
	// libswift get its form (live.Form).
	Form live.Form
	// Hash is the live tree's hash function; libswift's SHA-1 when zero (§6.1.2: RFC 7574
	// names none, and no option 4 is sent for live swarms).
	Hash hashtree.HashFunc
	// Store keeps the verified chunks.
	Store LiveStore
	// First is the index the source gives its first chunk, a multiple of ChunksPerSig: a
	// restarted source resumes past what it injected before (live.SourceConfig.First).
	First uint64
}

// DefaultLiveWindow is the discard window when none is given: 4096 chunks, 4 MiB of 1 KiB
// chunks, tens of seconds of a typical stream.
const DefaultLiveWindow live.Window = 4096

// NewLiveSwarmConfig returns a config for swarm id with the defaults libswift uses: the
// Unified Merkle Tree, 1024-byte chunks, 32-bit chunk ranges, SHA-1.
func NewLiveSwarmConfig(id []byte, store LiveStore) LiveSwarmConfig {
	return LiveSwarmConfig{
		SwarmID:    id,
		Method:     wire.IntegrityUnifiedMHT,
		ChunkSize:  1024,
		Window:     DefaultLiveWindow,
		Addressing: wire.ChunkRange32,
		Hash:       hashtree.SHA1,
		Store:      store,
	}
}

// ErrNotSource is returned by Inject for a swarm we do not inject.
var ErrNotSource = errors.New("engine: not the source of this live swarm")

// AddLiveSwarm starts injecting (cfg.Key set) or relaying a live stream.
func (e *Engine) AddLiveSwarm(cfg LiveSwarmConfig) (SwarmID, error) {
	s, err := newLiveSwarm(cfg, e.cfg.Rand.Uint64())
	if err != nil {
		return "", err
	}
	return e.register(s)
}

// Inject adds the next chunk of the stream we are the source of and returns its index.
// Peers hear of it (HAVE) once it is signed: at once under Sign All, when its munro
// completes under the Unified Merkle Tree (§6.1.2.3). data must be one whole chunk.
func (e *Engine) Inject(now time.Time, id SwarmID, data []byte) (uint64, error) {
	s, ok := e.swarms[id]
	if !ok {
		return 0, ErrUnknownSwarm
	}
	if s.live == nil || !s.live.isSource() {
		return 0, ErrNotSource
	}
	i, err := e.inject(now, s, data)
	e.flush(now)
	return i, err
}

// LiveEdge is the newest chunk of a live swarm held here; false before the first.
func (e *Engine) LiveEdge(id SwarmID) (uint64, bool, error) {
	s, ok := e.swarms[id]
	if !ok {
		return 0, false, ErrUnknownSwarm
	}
	if s.live == nil {
		return 0, false, fmt.Errorf("engine: swarm %v is not live", id)
	}
	return s.live.edge, s.live.hasEdge, nil
}
