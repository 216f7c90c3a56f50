package live

import (
	"bytes"
	"fmt"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// SourceConfig sets up a live injector's Unified Merkle Tree.
type SourceConfig struct {
	Key *livesig.PrivateKey
	// Hash is the tree's hash function. RFC 7574 names none for live trees; libswift
	// uses SHA-1 and announces no option 4 (wire.Context.Apply assumes the same).
	Hash hashtree.HashFunc
	// ChunksPerSig is NCHUNKS_PER_SIG (§6.1.2.1); DefaultChunksPerSig when 0.
	ChunksPerSig uint64
	Form         Form
	// Addressing is the swarm's chunk addressing (option 6), whose spec FormRFC signs.
	// Set it: the zero value is 32-bit bins. DefaultAddressing is libswift's.
	Addressing wire.Addressing
	// Window bounds how many chunks' hashes the source keeps (§6.2).
	Window Window
}

// DefaultAddressing is what libswift and RFC 7574 §7.8 default to.
const DefaultAddressing = wire.ChunkRange32

// Source is the injector side of the Unified Merkle Tree (§6.1.2): it hashes chunks in
// order and signs each completed group of ChunksPerSig chunks.
type Source struct {
	cfg    SourceConfig
	st     *store
	next   uint64 // index of the next chunk
	cur    *munro // the group being filled
	msgBuf []byte
}

// NewSource checks cfg and starts a tree whose first chunk is 0.
func NewSource(cfg SourceConfig) (*Source, error) {
	if cfg.Key == nil {
		return nil, fmt.Errorf("live source: no signing key")
	}
	if cfg.ChunksPerSig == 0 {
		cfg.ChunksPerSig = DefaultChunksPerSig
	}
	if err := checkChunksPerSig(cfg.ChunksPerSig); err != nil {
		return nil, fmt.Errorf("live source: %w", err)
	}
	if !cfg.Hash.Valid() {
		return nil, fmt.Errorf("live source: hash function %d", uint8(cfg.Hash))
	}
	if _, err := specOf(cfg.Addressing, 0, cfg.ChunksPerSig-1); err != nil {
		return nil, fmt.Errorf("live source: %w", err)
	}
	if cfg.Window != Unlimited && uint64(cfg.Window) < cfg.ChunksPerSig {
		return nil, fmt.Errorf("live source: a window of %d chunks cannot hold one munro of %d", cfg.Window, cfg.ChunksPerSig)
	}
	return &Source{cfg: cfg, st: newStore(cfg.Hash, cfg.ChunksPerSig, cfg.Window)}, nil
}

// Next is the index the next chunk will get.
func (s *Source) Next() uint64 { return s.next }

// AddChunk hashes the next chunk of the stream, taken at time now, and returns its index.
// When the chunk completes a group, it returns that group's signed munro too: only then may
// the source announce the group's chunks with HAVE (§6.1.2.3). The source keeps only
// hashes; the caller stores the bytes.
func (s *Source) AddChunk(data []byte, now time.Time) (uint64, *SignedMunro, error) {
	if len(data) == 0 {
		return 0, nil, fmt.Errorf("live source: empty chunk")
	}
	n := s.cfg.ChunksPerSig
	i := s.next
	if s.cur == nil {
		s.cur = newMunro(i/n, n, s.cfg.Hash.Size())
	}
	k := i % n
	s.cur.set(leafBin(k), s.cfg.Hash.Sum(nil, data))
	s.cur.have[k] = true
	s.next++
	if k != n-1 {
		return i, nil, nil
	}
	m := s.cur
	s.cur = nil
	m.fillFromLeaves(s.cfg.Hash)
	sm, err := s.sign(m, now)
	if err != nil {
		// The chunks are hashed but unsigned: peers can never verify them. Report
		// it; the stream goes on with the next group.
		return i, nil, err
	}
	m.signed = sm
	s.st.add(m)
	out := sm
	out.Hash, out.Signature = bytes.Clone(sm.Hash), bytes.Clone(sm.Signature)
	return i, &out, nil
}

func (s *Source) sign(m *munro, now time.Time) (SignedMunro, error) {
	hash := bytes.Clone(m.hash(m.top()))
	ts := s.cfg.Form.Timestamp(now)
	msg, err := signedBytes(s.msgBuf[:0], s.cfg.Form, s.cfg.Addressing, m.start(), m.end(), ts, hash)
	s.msgBuf = msg
	if err != nil {
		return SignedMunro{}, err
	}
	sig, err := s.cfg.Key.Sign(msg)
	if err != nil {
		return SignedMunro{}, fmt.Errorf("sign munro %d-%d: %w", m.start(), m.end(), err)
	}
	return SignedMunro{Signed: Signed{Start: m.start(), End: m.end(), Timestamp: ts, Signature: sig}, Hash: hash}, nil
}

// Edge is the last chunk of the newest signed munro: the newest chunk peers may have.
func (s *Source) Edge() (uint64, bool) { return s.st.edge() }

// SignedMunro returns the signed munro of chunk i, to send before its uncles and DATA.
// Its slices are shared: the caller must not modify them.
func (s *Source) SignedMunro(i uint64) (SignedMunro, error) {
	m, err := s.signedMunroOf(i)
	if err != nil {
		return SignedMunro{}, err
	}
	return m.signed, nil
}

// Uncles returns the hashes a peer needs, besides the signed munro, to verify chunk i:
// the siblings on its path up to the munro, top-down (§6.1.2.3, §5.4).
func (s *Source) Uncles(i uint64) ([]Node, error) {
	m, err := s.signedMunroOf(i)
	if err != nil {
		return nil, err
	}
	u, _ := m.uncles(i - m.start()) // a source knows every hash of a signed munro
	return u, nil
}

func (s *Source) signedMunroOf(i uint64) (*munro, error) {
	if i >= s.next-s.next%s.cfg.ChunksPerSig {
		return nil, fmt.Errorf("%w: chunk %d (next chunk %d, %d per signature)", ErrNotReady, i, s.next, s.cfg.ChunksPerSig)
	}
	return s.st.lookup(i)
}
