package engine

import (
	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// receivedHashes are the hashes received from the peer in INTEGRITY messages: candidates
// until a chunk verifies through them (RFC 7574 §5.3: they may come in datagrams before
// their DATA's). Copied out of the datagram, since the decoder's slices alias it.
type receivedHashes struct {
	cands     []hashtree.NodeHash
	candBytes []byte
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
}
