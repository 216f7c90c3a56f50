package engine

import (
	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// peerChunks is what the peer has, from its HAVEs and its ACKs of what we sent (RFC 7574
// §3.2, §3.4). Both roles read it: the picker asks only for chunks the peer has, and the
// sender leaves out of a DATA the hashes the peer verified already (§5.3).
type peerChunks struct {
	peerHave   bitmap
	earlyHaves []bins.ChunkRange // HAVEs that came before we knew the content size
	seeder     bool              // the peer announced every chunk
	// liveFirst and liveLater count the peer's live HAVEs that announced chunks nobody
	// else had announced, and those that followed another's (see originLike).
	liveFirst, liveLater uint32
}

// HasAny reports whether the peer announced any chunk of r; hashtree uses it to leave out
// hashes the peer already holds.
func (p *peerChunks) HasAny(r bins.ChunkRange) bool {
	return p.peerHave.anySet(r)
}

// treePeer describes the peer's hashes for hashtree.Uncles: what its HAVEs and ACKs show it
// verified. Of those uncles, sentHashes.thin then leaves out what we recently sent.
func (p *peerChunks) treePeer() hashtree.Peer {
	tp := hashtree.Peer{}
	if p.peerHave.count > 0 {
		tp.Have = p
	}
	return tp
}
