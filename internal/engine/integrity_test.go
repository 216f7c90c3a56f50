package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// TestMerkleIntegrityKeepsTreeNodesOnly: an INTEGRITY message names one tree node (RFC 7574
// §5.4); the static method keeps such a hash, copied out of the datagram, and ignores a
// spec that is no node (or does not decode), rather than store it under a wrong bin.
func TestMerkleIntegrityKeepsTreeNodesOnly(t *testing.T) {
	var mi integrity = newMerkleIntegrity(nil, hashtree.ToPeak)
	if mi.method() != wire.IntegrityMerkle {
		t.Fatalf("static content announces method %v, want the Merkle tree", mi.method())
	}
	var rh receivedHashes
	h := bytes.Repeat([]byte{7}, 32)
	mi.onIntegrity(&rh, wire.ChunkRange32, &wire.Integrity{Spec: wire.RangeSpec(4, 7), Hash: h})
	mi.onIntegrity(&rh, wire.ChunkRange32, &wire.Integrity{Spec: wire.RangeSpec(1, 2), Hash: h}) // two nodes' halves
	mi.onIntegrity(&rh, wire.ChunkRange32, &wire.Integrity{Spec: wire.RangeSpec(5, 3), Hash: h}) // inverted
	if len(rh.cands) != 1 || rh.cands[0].Bin != bins.New(2, 1) {
		t.Fatalf("kept %v, want only bin %v", rh.cands, bins.New(2, 1))
	}
	h[0] = 9 // the datagram's buffer is reused
	if rh.cands[0].Hash[0] != 7 {
		t.Fatal("the kept hash aliases the datagram")
	}
	ch := &channel{receivedHashes: rh}
	ch.ctx = wire.DefaultContext()
	if err := mi.onSignedIntegrity(time.Time{}, ch, &wire.SignedIntegrity{Spec: wire.RangeSpec(4, 7)}); err != nil {
		t.Fatalf("static swarm: SIGNED_INTEGRITY gave %v, want it ignored", err)
	}
	if len(ch.cands) != 1 {
		t.Fatal("SIGNED_INTEGRITY changed a static swarm's received hashes")
	}
}
