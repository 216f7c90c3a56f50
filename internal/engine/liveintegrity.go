package engine

import (
	"errors"
	"fmt"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// liveIntegrity is live content's integrity (RFC 7574 §6.1): the source's signature over
// each munro of the Unified Merkle Tree, or over each chunk under Sign All. A chunk is put
// into the swarm's LiveStore only once it verified.
type liveIntegrity struct {
	ls *liveSwarm
}

// errLiveOutside: a live chunk or munro behind the discard window, or too far ahead of it.
var errLiveOutside = errors.New("live chunk outside the window")

func (li *liveIntegrity) method() wire.IntegrityMethod { return li.ls.cfg.Method }

// onIntegrity keeps the hash for the DATA or SIGNED_INTEGRITY that follows: under the
// Unified Merkle Tree the munro hash and the uncles (§6.1.2.3).
func (li *liveIntegrity) onIntegrity(rh *receivedHashes, a wire.Addressing, m *wire.Integrity) {
	if r, ok := specToChunks(a, m.Spec); ok {
		if b, ok := r.Bin(); ok {
			rh.addCandidate(b, m.Hash)
		}
	}
}

// onSignedIntegrity takes the source's signature: under the Unified Merkle Tree over the
// munro whose hash came just before in an INTEGRITY message, under Sign All over the
// chunk of the next DATA. A signature that does not verify is a proven lie.
func (li *liveIntegrity) onSignedIntegrity(now time.Time, ch *channel, m *wire.SignedIntegrity) error {
	r, ok := specToChunks(ch.ctx.Addressing, m.Spec)
	if !ok {
		return fmt.Errorf("%w: empty range", live.ErrBadMunro)
	}
	if li.ls.cfg.Method == wire.IntegritySignAll {
		ch.setSigned(r, m)
		return nil
	}
	if li.ls.verifier == nil {
		return nil // we are the source: nobody signs our stream but us
	}
	b, ok := r.Bin()
	if !ok {
		return fmt.Errorf("%w: chunks %d-%d are not a subtree", live.ErrBadMunro, r.Start, r.End)
	}
	var hash []byte
	for k := len(ch.cands) - 1; k >= 0; k-- {
		if ch.cands[k].Bin == b {
			hash = ch.cands[k].Hash
			break
		}
	}
	if hash == nil {
		return fmt.Errorf("%w: SIGNED_INTEGRITY for chunks %d-%d without its INTEGRITY", live.ErrBadMunro, r.Start, r.End)
	}
	sm := live.SignedMunro{Signed: live.Signed{Start: r.Start, End: r.End, Timestamp: m.Timestamp, Signature: m.Signature}, Hash: hash}
	fresh, err := li.ls.verifier.AddSignedMunroAs(sm, formOf(ch), now)
	if err != nil {
		return err
	}
	if fresh {
		li.ls.cfg.ChunksPerSig = li.ls.verifier.ChunksPerSig()
		li.ls.heardOf(r.End)
	}
	return nil
}

// verify checks chunk i and stores it. Its errors wrap hashtree's, so that onData treats
// them as it treats static content's: a lost hash (or munro) is asked for again, a chunk
// that fails is the peer's fault.
func (li *liveIntegrity) verify(now time.Time, i uint64, data []byte, rh *receivedHashes) error {
	ls := li.ls
	var err error
	switch {
	case ls.verifier != nil:
		nodes := ls.nodeBuf[:0]
		for _, c := range rh.cands {
			nodes = append(nodes, live.Node{Start: c.Bin.BaseLeft(), End: c.Bin.BaseRight(), Hash: c.Hash})
		}
		ls.nodeBuf = nodes[:0]
		err = ls.verifier.VerifyChunk(i, data, nodes)
	case ls.saVerifier != nil:
		if !rh.hasSigned || rh.signed.Start != i {
			err = fmt.Errorf("%w: no SIGNED_INTEGRITY for chunk %d", live.ErrMissingHash, i)
			break
		}
		if err = ls.saVerifier.Verify(rh.signed, data, now); err == nil {
			ls.putSig(rh.signed)
		}
	default:
		return fmt.Errorf("%w: we are the source of chunk %d", hashtree.ErrHashMismatch, i)
	}
	if err != nil {
		return liveVerifyError(err)
	}
	ls.cfg.Store.Put(i, data)
	return nil
}

// liveVerifyError maps live's errors onto hashtree's, which onData sorts by.
func liveVerifyError(err error) error {
	switch {
	case errors.Is(err, live.ErrNoMunro), errors.Is(err, live.ErrMissingHash):
		return fmt.Errorf("%w: %w", hashtree.ErrMissingHash, err)
	case errors.Is(err, live.ErrOutsideWindow), errors.Is(err, live.ErrStale):
		return fmt.Errorf("%w: %w: %w", hashtree.ErrOutOfRange, errLiveOutside, err)
	default:
		return fmt.Errorf("%w: %w", hashtree.ErrHashMismatch, err)
	}
}

// hashesFor lists the uncles of chunk i up to its munro (§6.1.2.3); the munro and its
// signature go separately (appendProof). Sign All needs no hashes.
func (li *liveIntegrity) hashesFor(dst []hashtree.NodeHash, i uint64, _ hashtree.Peer) ([]hashtree.NodeHash, error) {
	ls := li.ls
	var nodes []live.Node
	var err error
	switch {
	case ls.source != nil:
		nodes, err = ls.source.Uncles(i)
	case ls.verifier != nil:
		nodes, err = ls.verifier.Uncles(i)
	default:
		return dst, nil
	}
	if err != nil {
		return dst, err
	}
	for _, n := range nodes {
		if b, ok := binOf(n.Start, n.End); ok {
			dst = append(dst, hashtree.NodeHash{Bin: b, Hash: n.Hash})
		}
	}
	return dst, nil
}

// appendProof appends what ch's peer needs besides the uncles to check chunk i: the signed
// munro (INTEGRITY and SIGNED_INTEGRITY, §6.1.2.3) unless it went to the peer lately, or
// the chunk's own SIGNED_INTEGRITY under Sign All (§6.1.1).
func (li *liveIntegrity) appendProof(b []byte, ch *channel, i uint64, now time.Time) []byte {
	ls := li.ls
	if ls.cfg.Method == wire.IntegritySignAll {
		sig, ok := ls.sigOf(i)
		if !ok {
			return b
		}
		out, err := (&wire.SignedIntegrity{Spec: specForRange(ch.ctx.Addressing, i, i), Timestamp: sig.Timestamp, Signature: sig.Signature}).Append(b, &ch.ctx)
		if err != nil {
			return b
		}
		return out
	}
	sm, err := li.signedMunro(i, formOf(ch))
	if err != nil || !ch.munroDue(sm.Start, now) {
		return b
	}
	return appendMunro(b, ch, sm)
}

// signedMunro is chunk i's signed munro in form f, from the source or as verified. A
// relay holds a munro only in the forms it received it in (it cannot sign): a peer of
// the other form gets the chunk without it, fails to verify it, and asks elsewhere.
func (li *liveIntegrity) signedMunro(i uint64, f live.Form) (live.SignedMunro, error) {
	if li.ls.source != nil {
		return li.ls.source.SignedMunroFor(i, f)
	}
	return li.ls.verifier.SignedMunroFor(i, f)
}

// formOf is what the peer's signatures cover (live.Form): libswift's for a peer that
// speaks like libswift (its HANDSHAKE lacks the chunk-size option), RFC 7574's otherwise.
func formOf(ch *channel) live.Form {
	if ch.compat {
		return live.FormLibswift
	}
	return live.FormRFC
}

// appendMunro appends a signed munro's INTEGRITY and SIGNED_INTEGRITY to b.
func appendMunro(b []byte, ch *channel, sm live.SignedMunro) []byte {
	spec := specForRange(ch.ctx.Addressing, sm.Start, sm.End)
	out, err := (&wire.Integrity{Spec: spec, Hash: sm.Hash}).Append(b, &ch.ctx)
	if err != nil {
		return b
	}
	out, err = (&wire.SignedIntegrity{Spec: spec, Timestamp: sm.Timestamp, Signature: sm.Signature}).Append(out, &ch.ctx)
	if err != nil {
		return b
	}
	return out
}

// specForRange is the spec of chunks start..end, which must be one bin under bin
// addressing.
func specForRange(a wire.Addressing, start, end uint64) wire.ChunkSpec {
	if a.IsBin() {
		b, _ := bins.ChunkRange{Start: start, End: end}.Bin()
		return wire.BinSpec(b)
	}
	return wire.RangeSpec(start, end)
}

// badSignature handles a SIGNED_INTEGRITY that failed: a forged or malformed signature is
// a proven lie; a munro outside the window or too old is dropped and costs the peer like a
// bad chunk (§6.1.2.4, §6.2). Either way nothing it signs is ever accepted.
func (e *Engine) badSignature(now time.Time, ch *channel, err error) {
	if errors.Is(err, live.ErrOutsideWindow) || errors.Is(err, live.ErrStale) {
		e.stats.LiveOutsideWindow++
		e.report(now, ch, offLiveWindow)
		return
	}
	e.stats.LiveBadSignatures++
	e.report(now, ch, offBadSignature)
}
