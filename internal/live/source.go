package live

import (
	"bytes"
	"fmt"
	"slices"
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
	// Form is the primary signature form: the one AddChunk and SignedMunro return.
	Form Form
	// Forms lists every form each munro is signed in, so that one source can serve RFC 7574
	// peers and libswift peers of the same swarm (SignedMunroFor). Empty means Form alone;
	// otherwise it must include Form. Each extra form costs one more signature per munro
	// (one per ChunksPerSig chunks), nothing per chunk.
	Forms []Form
	// Addressing is the swarm's chunk addressing (option 6), whose spec FormRFC signs.
	// Set it: the zero value is 32-bit bins. DefaultAddressing is libswift's.
	Addressing wire.Addressing
	// Window bounds how many chunks' hashes the source keeps (§6.2).
	Window Window
	// First is the index of the stream's first chunk, a multiple of ChunksPerSig. A source
	// that restarts with the same key resumes past every chunk it signed before, so that
	// peers still joined see the stream go on rather than chunks signed again with other
	// hashes (which they must take for forgeries).
	First uint64
}

// DefaultAddressing is what libswift and RFC 7574 §7.8 default to.
const DefaultAddressing = wire.ChunkRange32

// Source is the injector side of the Unified Merkle Tree (§6.1.2): it hashes chunks in
// order and signs each completed group of ChunksPerSig chunks.
type Source struct {
	cfg    SourceConfig
	forms  []Form // cfg.Form first, then the other forms of cfg.Forms, each once
	st     *store
	next   uint64 // index of the next chunk
	cur    *munro // the group being filled
	msgBuf []byte
}

// NewSource checks cfg and starts a tree whose first chunk is cfg.First.
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
	if cfg.First%cfg.ChunksPerSig != 0 {
		return nil, fmt.Errorf("live source: first chunk %d is not at a munro boundary (%d chunks)", cfg.First, cfg.ChunksPerSig)
	}
	forms, err := sourceForms(cfg.Form, cfg.Forms)
	if err != nil {
		return nil, fmt.Errorf("live source: %w", err)
	}
	return &Source{cfg: cfg, forms: forms, next: cfg.First, st: newStore(cfg.Hash, cfg.ChunksPerSig, cfg.Window)}, nil
}

// sourceForms checks the configured forms and lists them primary first, without repeats.
func sourceForms(primary Form, all []Form) ([]Form, error) {
	if !primary.valid() {
		return nil, fmt.Errorf("unknown signature form %v", primary)
	}
	out := []Form{primary}
	if len(all) == 0 {
		return out, nil
	}
	if !slices.Contains(all, primary) {
		// Refused rather than added: Form's zero value is FormRFC, so Forms listing only
		// FormLibswift most likely forgot to set Form.
		return nil, fmt.Errorf("forms %v do not include the primary form %v", all, primary)
	}
	for _, f := range all {
		if !f.valid() {
			return nil, fmt.Errorf("unknown signature form %v", f)
		}
		if !slices.Contains(out, f) {
			out = append(out, f)
		}
	}
	return out, nil
}

// Next is the index the next chunk will get.
func (s *Source) Next() uint64 { return s.next }

// AddChunk hashes the next chunk of the stream, taken at time now, and returns its index.
// When the chunk completes a group, it returns that group's munro signed in the primary form
// too (SignedMunroFor has the other forms): only then may the source announce the group's
// chunks with HAVE (§6.1.2.3). The source keeps only hashes; the caller stores the bytes.
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
	hash := bytes.Clone(m.hash(m.top())) // shared by the forms' signed munros
	for _, f := range s.forms {
		sm, err := s.sign(m, f, hash, now)
		if err != nil {
			// The chunks are hashed but unsigned: peers can never verify them.
			// Report it; the stream goes on with the next group.
			return i, nil, err
		}
		m.setSigned(f, sm)
	}
	s.st.add(m)
	out, _ := m.signedAs(s.cfg.Form)
	out.Hash, out.Signature = bytes.Clone(out.Hash), bytes.Clone(out.Signature)
	return i, &out, nil
}

// sign signs munro m, whose top hash is hash, in form f at time now.
func (s *Source) sign(m *munro, f Form, hash []byte, now time.Time) (SignedMunro, error) {
	ts := f.Timestamp(now)
	msg, err := signedBytes(s.msgBuf[:0], f, s.cfg.Addressing, m.start(), m.end(), ts, hash)
	s.msgBuf = msg
	if err != nil {
		return SignedMunro{}, err
	}
	sig, err := s.cfg.Key.Sign(msg)
	if err != nil {
		return SignedMunro{}, fmt.Errorf("sign munro %d-%d in %v form: %w", m.start(), m.end(), f, err)
	}
	return SignedMunro{Signed: Signed{Start: m.start(), End: m.end(), Timestamp: ts, Signature: sig}, Hash: hash}, nil
}

// Edge is the last chunk of the newest signed munro: the newest chunk peers may have.
func (s *Source) Edge() (uint64, bool) { return s.st.edge() }

// SignedMunro returns the signed munro of chunk i in the primary form, to send before its
// uncles and DATA. Its slices are shared: the caller must not modify them.
func (s *Source) SignedMunro(i uint64) (SignedMunro, error) {
	return s.SignedMunroFor(i, s.cfg.Form)
}

// SignedMunroFor returns the munro of chunk i signed in form f, for a peer that checks
// signatures in that form. The error wraps ErrNoForm when the source does not sign in f,
// and ErrNotReady when the munro is not complete yet. Its slices are shared: the caller
// must not modify them.
func (s *Source) SignedMunroFor(i uint64, f Form) (SignedMunro, error) {
	if !slices.Contains(s.forms, f) {
		return SignedMunro{}, fmt.Errorf("%w: chunk %d in %v form, the source signs in %v", ErrNoForm, i, f, s.forms)
	}
	m, err := s.signedMunroOf(i)
	if err != nil {
		return SignedMunro{}, err
	}
	sm, ok := m.signedAs(f)
	if !ok {
		return SignedMunro{}, fmt.Errorf("unreachable: munro %d-%d lacks its %v signature", m.start(), m.end(), f)
	}
	return sm, nil
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
