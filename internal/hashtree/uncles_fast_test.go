package hashtree

import (
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// TestUnclesUnderPeakMatchesWalk: the fast walk for a peer holding the peaks gives exactly
// the hashes of the general walk, for random trees, chunks, HAVEs and sent hashes.
func TestUnclesUnderPeakMatchesWalk(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for round := range 300 {
		n := 1 + r.IntN(3000)
		tree, err := Build(make([]byte, n*16), 16, SHA1)
		if err != nil {
			t.Fatal(err)
		}
		have := chunkHave{}
		for range r.IntN(20) {
			have[uint64(r.IntN(n))] = true
		}
		sent := NodeSet{}
		for range r.IntN(20) {
			sent.Add(bins.New(uint(r.IntN(8)), uint64(r.IntN(n))))
		}
		peer := Peer{Have: have, Sent: sent}
		if len(have) == 0 {
			peer.Have = nil
		}
		for range 20 {
			b := bins.Chunk(uint64(r.IntN(n)))
			stop := tree.peakOf(b.BaseLeft())
			k := knowledge{t: tree, peer: peer, peaks: true, sizeKnown: true}
			want, err1 := tree.unclesWalk(nil, 0, b, stop, &k)
			got, err2 := tree.unclesUnderPeak(nil, 0, b, stop, peer)
			if (err1 == nil) != (err2 == nil) || !slices.EqualFunc(want, got, func(a, b NodeHash) bool { return a.Bin == b.Bin }) {
				t.Fatalf("round %d n=%d chunk %v: fast %v (%v), walk %v (%v)", round, n, b, got, err2, want, err1)
			}
		}
	}
}
