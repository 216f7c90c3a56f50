package engine

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// TestHashThinning sends 4096 chunks in order to a peer that acknowledges nothing yet (a
// window in flight), with either floor: every hash a chunk needs must have gone out in its own
// datagram or in hashCopies earlier ones, no datagram may carry fewer hashes than the floor
// when that many were needed, and the total must stay well below sending every needed hash
// each time (13 per chunk here): about 3 per chunk with keptHashes, 8 with datagramHashes.
func TestHashThinning(t *testing.T) {
	const n = 4096
	tree, err := hashtree.Build(testContent(9, n*testCS), testCS, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	for _, floor := range []int{keptHashes, datagramHashes} {
		var sent sentHashes
		copies := map[bins.Bin]int{}
		full, thinned := 0, 0
		for i := range uint64(n) {
			need, err := tree.Uncles(nil, bins.Chunk(i), hashtree.ToPeak, hashtree.Peer{})
			if err != nil {
				t.Fatal(err)
			}
			full += len(need)
			kept := sent.thin(append([]hashtree.NodeHash(nil), need...), floor)
			thinned += len(kept)
			if len(kept) < min(len(need), floor) {
				t.Fatalf("floor %d, chunk %d: %d hashes kept of %d", floor, i, len(kept), len(need))
			}
			here := map[bins.Bin]bool{}
			for k, u := range kept {
				here[u.Bin] = true
				if k > 0 && u.Bin.Layer() >= kept[k-1].Bin.Layer() && u.Bin.Layer() > 0 {
					t.Fatalf("floor %d, chunk %d: hashes out of order: %v", floor, i, kept)
				}
			}
			for _, u := range need {
				if !here[u.Bin] && copies[u.Bin] < hashCopies {
					t.Fatalf("floor %d, chunk %d: hash %v left out after only %d copies", floor, i, u.Bin, copies[u.Bin])
				}
			}
			for b := range here {
				copies[b]++
			}
		}
		t.Logf("floor %d: %d chunks: %d hashes needed, %d sent", floor, n, full, thinned)
		if thinned > n*(floor+2) || thinned*3 > full*2 {
			t.Fatalf("floor %d: thinning sent %d of %d hashes", floor, thinned, full)
		}

		// After a loss the memory is gone: the next chunk carries everything it needs.
		sent.forget()
		need, _ := tree.Uncles(nil, bins.Chunk(n-1), hashtree.ToPeak, hashtree.Peer{})
		if kept := sent.thin(append([]hashtree.NodeHash(nil), need...), floor); len(kept) != len(need) {
			t.Fatalf("floor %d, after forget: %d of %d hashes", floor, len(kept), len(need))
		}
	}
}

// TestThinnedTransferUnderLoss: with hashes thinned, a transfer over a lossy, rate-limited
// link completes with the exact content, and chunks stranded without their hashes stay rare.
func TestThinnedTransferUnderLoss(t *testing.T) {
	l := link{loss: 0.02, delay: 20 * time.Millisecond, rate: 4e6, buffer: 200 * time.Millisecond}
	_, leech, _ := pairTransfer(t, 7, testContent(5, 3000*testCS), testCS, l)
	if st := leech.eng.Stats(); st.UnverifiableChunks > 30 {
		t.Fatalf("%d chunks arrived without their hashes", st.UnverifiableChunks)
	}
}

// TestBigChunksOneDatagramEach: chunks larger than MaxDatagram go one DATA datagram each with
// their hashes, not one datagram per hash.
func TestBigChunksOneDatagramEach(t *testing.T) {
	const cs = 8192
	seeder, _, _ := pairTransfer(t, 3, testContent(6, 300*cs), cs, link{delay: 5 * time.Millisecond})
	st := seeder.eng.Stats()
	if st.DatagramsOut > st.ChunksServed+st.ChunksServed/10+10 {
		t.Fatalf("%d datagrams for %d chunks", st.DatagramsOut, st.ChunksServed)
	}
}
