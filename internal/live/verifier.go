package live

import (
	"bytes"
	"fmt"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// VerifierConfig sets up a peer's check of a Unified Merkle Tree stream.
type VerifierConfig struct {
	// Key is the stream's public key, parsed from the swarm ID (livesig.ParseSwarmID).
	Key  *livesig.PublicKey
	Hash hashtree.HashFunc
	// ChunksPerSig, when not 0, is the only munro width accepted. RFC 7574 has no option
	// for it, so 0 means: learn it from the first munro that verifies.
	ChunksPerSig uint64
	// Form is the signature form AddSignedMunro and SignedMunro use; AddSignedMunroAs and
	// SignedMunroFor take the form per call, for a swarm with peers of both kinds.
	Form Form
	// Addressing is the swarm's chunk addressing, whose spec FormRFC signatures cover.
	// Set it: the zero value is 32-bit bins. DefaultAddressing is libswift's.
	Addressing wire.Addressing
	// MaxAge bounds how old a munro's timestamp may be when it would become the live edge
	// (§6.1.2.4: a too old signed munro MUST be discarded; libswift allows 30 s). Older
	// munros behind a fresh edge are still accepted: they fill the window after tune-in.
	// 0 turns the check off.
	MaxAge time.Duration
	// Window bounds what is kept and accepted (§6.2).
	Window Window
}

// DefaultMaxAge is libswift's SWIFT_LIVE_MAX_SOURCE_DIVERGENCE_TIME.
const DefaultMaxAge = 30 * time.Second

// Verifier is the receiving side of the Unified Merkle Tree (§6.1.2): it accepts a signed
// munro once its signature verifies, then chunks under it whose hashes, with the uncles the
// sender put before them, reproduce the munro hash. A chunk it accepts may be stored,
// played and forwarded.
type Verifier struct {
	cfg    VerifierConfig
	st     *store
	msgBuf []byte
}

// NewVerifier checks cfg.
func NewVerifier(cfg VerifierConfig) (*Verifier, error) {
	if cfg.Key == nil {
		return nil, fmt.Errorf("live verifier: no public key")
	}
	if !cfg.Hash.Valid() {
		return nil, fmt.Errorf("live verifier: hash function %d", uint8(cfg.Hash))
	}
	if cfg.ChunksPerSig != 0 {
		if err := checkChunksPerSig(cfg.ChunksPerSig); err != nil {
			return nil, fmt.Errorf("live verifier: %w", err)
		}
	}
	if !cfg.Form.valid() {
		return nil, fmt.Errorf("live verifier: unknown signature form %v", cfg.Form)
	}
	if _, err := specOf(cfg.Addressing, 0, 1); err != nil {
		return nil, fmt.Errorf("live verifier: %w", err)
	}
	return &Verifier{cfg: cfg, st: newStore(cfg.Hash, cfg.ChunksPerSig, cfg.Window)}, nil
}

// AddSignedMunro is AddSignedMunroAs in the configured form.
func (v *Verifier) AddSignedMunro(sm SignedMunro, now time.Time) (bool, error) {
	return v.AddSignedMunroAs(sm, v.cfg.Form, now)
}

// AddSignedMunroAs checks a munro received as INTEGRITY + SIGNED_INTEGRITY at time now from
// a peer that signs in form f and, if the signature verifies, trusts its hash. A munro
// already held in form f is accepted again without a second signature check only if it is
// byte-identical. A held munro that arrives validly signed in another form is kept in that
// form too, so it can be forwarded to peers of either form; it is not new. The result says
// whether the munro is new.
func (v *Verifier) AddSignedMunroAs(sm SignedMunro, f Form, now time.Time) (bool, error) {
	if !f.valid() {
		return false, fmt.Errorf("live verifier: unknown signature form %v", f)
	}
	n := sm.End - sm.Start + 1
	if sm.End < sm.Start {
		return false, fmt.Errorf("%w: inverted range %d-%d", ErrBadMunro, sm.Start, sm.End)
	}
	if want := v.st.n; want != 0 && n != want {
		return false, fmt.Errorf("%w: chunks %d-%d, munros here are %d wide", ErrBadMunro, sm.Start, sm.End, want)
	}
	if err := checkChunksPerSig(n); err != nil {
		return false, err
	}
	if sm.Start%n != 0 {
		return false, fmt.Errorf("%w: chunks %d-%d not aligned to %d", ErrBadMunro, sm.Start, sm.End, n)
	}
	if len(sm.Hash) != v.cfg.Hash.Size() {
		return false, fmt.Errorf("%w: %d-byte munro hash, %v gives %d", ErrBadMunro, len(sm.Hash), v.cfg.Hash, v.cfg.Hash.Size())
	}
	index := sm.Start / n
	// The same munro in the same form again (senders repeat it until acked, §6.1.2.4):
	// nothing to check. Another signature over a held range, or one in another form, is
	// checked below like a new one (ECDSA signatures are randomised, so a source signing
	// twice makes different ones).
	old := v.st.munros[index] // of width n: other widths were refused above
	if old != nil {
		if held, ok := old.signedAs(f); ok && held.Timestamp == sm.Timestamp &&
			bytes.Equal(held.Hash, sm.Hash) && bytes.Equal(held.Signature, sm.Signature) {
			return false, nil
		}
	}
	if e, ok := v.st.edge(); ok && (sm.End < v.st.window.Oldest(e) || (v.st.n == n && index < v.st.oldest)) {
		return false, fmt.Errorf("%w: munro %d-%d, window keeps from chunk %d", ErrOutsideWindow, sm.Start, sm.End, v.st.window.Oldest(e))
	}
	msg, err := verifyMunro(v.msgBuf[:0], v.cfg.Key, f, v.cfg.Addressing, sm)
	v.msgBuf = msg
	if err != nil {
		return false, err
	}
	if old != nil {
		if !bytes.Equal(old.hash(old.top()), sm.Hash) {
			// Two valid signatures on different hashes for one range: the source
			// re-signed (a restart). Keep what chunks were verified against.
			return false, fmt.Errorf("%w: munro %d-%d signed again with another hash", ErrBadMunro, sm.Start, sm.End)
		}
		if _, ok := old.signedAs(f); !ok {
			// The same hash signed in a second form: keep that signature to forward to
			// peers of its form. No MaxAge check: the edge does not move.
			old.setSigned(f, cloneSignedMunro(sm))
		}
		return false, nil
	}
	newest := true
	if e, ok := v.st.edge(); ok && sm.End <= e {
		newest = false
	}
	if newest && v.cfg.MaxAge > 0 {
		if t := f.Time(sm.Timestamp); now.Sub(t) > v.cfg.MaxAge {
			return false, fmt.Errorf("%w: munro %d-%d signed at %v, %v before now", ErrStale, sm.Start, sm.End, t.Format(time.RFC3339Nano), now.Sub(t).Round(time.Millisecond))
		}
	}
	if v.st.n == 0 {
		v.st.n = n
	}
	m := newMunro(index, n, v.cfg.Hash.Size())
	m.set(m.top(), sm.Hash)
	m.setSigned(f, cloneSignedMunro(sm))
	v.st.add(m)
	return true, nil
}

// cloneSignedMunro copies sm, whose slices the caller may reuse.
func cloneSignedMunro(sm SignedMunro) SignedMunro {
	return SignedMunro{Signed: Signed{Start: sm.Start, End: sm.End, Timestamp: sm.Timestamp, Signature: bytes.Clone(sm.Signature)}, Hash: bytes.Clone(sm.Hash)}
}

// VerifyChunk checks chunk i against its munro, taking the uncles it needs from cands
// (the INTEGRITY hashes that came with it; others are ignored). On success the chunk and
// the hashes on its path are trusted; on failure nothing is kept.
func (v *Verifier) VerifyChunk(i uint64, data []byte, cands []Node) error {
	m, err := v.st.lookup(i)
	if err != nil {
		return err
	}
	k := i - m.start()
	path, err := m.climb(v.cfg.Hash, k, v.cfg.Hash.Sum(nil, data), cands)
	if err != nil {
		return err
	}
	for _, p := range path {
		m.set(p.b, p.h)
	}
	m.have[k] = true
	return nil
}

// Have reports whether chunk i was verified (and is still inside the window).
func (v *Verifier) Have(i uint64) bool {
	m, err := v.st.lookup(i)
	return err == nil && m.have[i-m.start()]
}

// Edge is the last chunk of the newest verified munro, the live edge as far as this peer
// knows; false before the first munro.
func (v *Verifier) Edge() (uint64, bool) { return v.st.edge() }

// ChunksPerSig is the munro width, learned or configured; 0 before the first munro.
func (v *Verifier) ChunksPerSig() uint64 { return v.st.n }

// SignedMunro is SignedMunroFor in the configured form.
func (v *Verifier) SignedMunro(i uint64) (SignedMunro, error) {
	return v.SignedMunroFor(i, v.cfg.Form)
}

// SignedMunroFor returns the verified munro of chunk i signed in form f, for forwarding the
// chunk to a peer of that form (§6.1.2.3). A relay cannot sign for the injector, so it has
// a munro only in the forms it received it in: otherwise the error wraps ErrNoForm, and
// the peer must get the chunk from someone else. Its slices are shared: the caller must not
// modify them.
func (v *Verifier) SignedMunroFor(i uint64, f Form) (SignedMunro, error) {
	m, err := v.st.lookup(i)
	if err != nil {
		return SignedMunro{}, err
	}
	sm, ok := m.signedAs(f)
	if !ok {
		return SignedMunro{}, fmt.Errorf("%w: munro %d-%d in %v form, held in %v", ErrNoForm, m.start(), m.end(), f, m.forms())
	}
	return sm, nil
}

// Uncles returns the hashes another peer needs, besides the signed munro, to verify chunk
// i, which must have been verified here.
func (v *Verifier) Uncles(i uint64) ([]Node, error) {
	m, err := v.st.lookup(i)
	if err != nil {
		return nil, err
	}
	if !m.have[i-m.start()] {
		return nil, fmt.Errorf("%w: chunk %d not verified here", ErrNotReady, i)
	}
	u, ok := m.uncles(i - m.start())
	if !ok {
		return nil, fmt.Errorf("unreachable: verified chunk %d lacks a trusted uncle", i)
	}
	return u, nil
}

// Forget drops the hashes of every munro that ends before chunk before.
func (v *Verifier) Forget(before uint64) { v.st.forget(before) }

// Munros is how many munros are held (for tests and metrics: it must stay flat).
func (v *Verifier) Munros() int { return len(v.st.munros) }

// VerifyMunroSignature checks only the signature of a signed munro: what a relay must do
// before forwarding it (§6.1.2.1), and what a capture replay checks message by message.
func VerifyMunroSignature(key *livesig.PublicKey, f Form, a wire.Addressing, sm SignedMunro) error {
	_, err := verifyMunro(nil, key, f, a, sm)
	return err
}

// verifyMunro builds the signed bytes in buf and checks the signature; it returns buf for
// reuse.
func verifyMunro(buf []byte, key *livesig.PublicKey, f Form, a wire.Addressing, sm SignedMunro) ([]byte, error) {
	msg, err := signedBytes(buf, f, a, sm.Start, sm.End, sm.Timestamp, sm.Hash)
	if err != nil {
		return msg, err
	}
	if err := key.Verify(msg, sm.Signature); err != nil {
		return msg, fmt.Errorf("%w: munro %d-%d: %v", ErrBadSignature, sm.Start, sm.End, err)
	}
	return msg, nil
}
