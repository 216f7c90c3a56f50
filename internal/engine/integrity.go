package engine

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// integrity is a swarm's content integrity protection method (RFC 7574 §5, §6; HANDSHAKE
// option 3, §7.5): how a chunk received is checked before anything else happens to it, and
// which hashes go with a chunk sent so that the peer can check it. Static content uses the
// Merkle hash tree (merkleIntegrity); live content (§6.1: Sign All, or the Unified Merkle
// Tree with signed munros, internal/live) is meant to be another implementation beside it,
// so that recv.go and send.go call these methods rather than branch on the method.
//
// The methods run on the engine's goroutine, on the hot path of every chunk: they must not
// allocate per call.
type integrity interface {
	// method is the protection method announced in our HANDSHAKE and required of a peer's.
	method() wire.IntegrityMethod
	// onIntegrity keeps the hash of an INTEGRITY message (§8.8) from a channel, in the
	// channel's received hashes, for the DATA it comes before (§5.3, §6.1.2.3).
	onIntegrity(rh *receivedHashes, a wire.Addressing, m *wire.Integrity)
	// onSignedIntegrity takes a SIGNED_INTEGRITY message (§8.9) from ch: the source's
	// signature over a chunk or munro, which only live content has. An error says the
	// message was bad (a forged or malformed signature, or one outside the window).
	onSignedIntegrity(now time.Time, ch *channel, m *wire.SignedIntegrity) error
	// verify checks chunk i, received at now as data, with what came before it from the
	// same peer (rh: the hashes, and for live content the signature and its timestamp) and,
	// only if it verifies, stores it (§5.2: an unverified chunk is never stored, acked or
	// forwarded). A chunk that fails wraps hashtree's errors (isVerifyError; a missing
	// hash is hashtree.ErrMissingHash, naming the bin in a hashtree.BinError); any other
	// error is a storage failure.
	verify(now time.Time, i uint64, data []byte, rh *receivedHashes) error
	// hashesFor appends to dst the hashes a peer needs to check chunk i, highest first,
	// leaving out those peer shows it holds (§5.3, §5.4, §5.6.2).
	hashesFor(dst []hashtree.NodeHash, i uint64, peer hashtree.Peer) ([]hashtree.NodeHash, error)
	// appendProof appends to a DATA datagram for chunk i, before the uncles, the
	// signatures ch's peer needs to check it (live content only, §6.1).
	appendProof(b []byte, ch *channel, i uint64, now time.Time) []byte
}

// merkleIntegrity is static content's integrity (§5): the Merkle tree kept by the swarm's
// store, whose root is the swarm ID. The store verifies and stores in one step, so no
// unverified byte can reach it by another path.
type merkleIntegrity struct {
	store Store
	// uncles chooses how far up the hashes sent go (Config.UncleMode).
	uncles hashtree.Mode
}

func newMerkleIntegrity(store Store, uncles hashtree.Mode) *merkleIntegrity {
	return &merkleIntegrity{store: store, uncles: uncles}
}

func (*merkleIntegrity) method() wire.IntegrityMethod { return wire.IntegrityMerkle }

// onIntegrity keeps the hash if its spec names one tree node, as an INTEGRITY message's
// always does (§5.4); others are ignored.
func (*merkleIntegrity) onIntegrity(rh *receivedHashes, a wire.Addressing, m *wire.Integrity) {
	if r, ok := specToChunks(a, m.Spec); ok {
		if b, ok := r.Bin(); ok {
			rh.addCandidate(b, m.Hash)
		}
	}
}

// onSignedIntegrity ignores the message: static content is not signed, the root hash
// (the swarm ID) vouches for it.
func (*merkleIntegrity) onSignedIntegrity(time.Time, *channel, *wire.SignedIntegrity) error {
	return nil
}

// appendProof adds nothing: the uncles up to a peak the peer trusts are the proof.
func (*merkleIntegrity) appendProof(b []byte, _ *channel, _ uint64, _ time.Time) []byte { return b }

func (mi *merkleIntegrity) verify(_ time.Time, i uint64, data []byte, rh *receivedHashes) error {
	return mi.store.PutChunk(i, data, rh.cands)
}

func (mi *merkleIntegrity) hashesFor(dst []hashtree.NodeHash, i uint64, peer hashtree.Peer) ([]hashtree.NodeHash, error) {
	return mi.store.Uncles(dst, bins.Chunk(i), mi.uncles, peer)
}

// receivedHashes are the hashes received from the peer in INTEGRITY messages: candidates
// until a chunk verifies through them (RFC 7574 §5.3: they may come in datagrams before
// their DATA's). Copied out of the datagram, since the decoder's slices alias it.
type receivedHashes struct {
	cands     []hashtree.NodeHash
	candBytes []byte
	// signed is a Sign All SIGNED_INTEGRITY for the next DATA (live.go), its signature
	// copied into sigBytes.
	signed    live.Signed
	hasSigned bool
	sigBytes  []byte
}

// setSigned keeps a Sign All signature until the DATA it is for (§6.1.1).
func (rh *receivedHashes) setSigned(r bins.ChunkRange, m *wire.SignedIntegrity) {
	rh.sigBytes = append(rh.sigBytes[:0], m.Signature...)
	rh.signed = live.Signed{Start: r.Start, End: r.End, Timestamp: m.Timestamp, Signature: rh.sigBytes}
	rh.hasSigned = true
}

// addCandidate keeps an INTEGRITY hash until a DATA uses it. The list is bounded: a peer
// cannot make us hold more than a tree's height of hashes per chunk plus the peaks.
func (rh *receivedHashes) addCandidate(b bins.Bin, h []byte) {
	const maxCands = 256
	if len(rh.cands) >= maxCands {
		rh.clearCandidates()
	}
	off := len(rh.candBytes)
	rh.candBytes = append(rh.candBytes, h...)
	rh.cands = append(rh.cands, hashtree.NodeHash{Bin: b, Hash: rh.candBytes[off : off+len(h) : off+len(h)]})
}

func (rh *receivedHashes) clearCandidates() {
	rh.cands = rh.cands[:0]
	rh.candBytes = rh.candBytes[:0]
	rh.hasSigned = false
}
