package storage

import (
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// A download interrupted and reopened must resume from its checkpoint, whatever the chunk
// count. Trees whose chunk count is not a power of two are padded (RFC 7574 §5.1): the
// nodes on their right edge cover the last chunk and padding, and a seeder sends them as
// uncles before the last chunk arrives. Those hashes must survive the checkpoint.

// seederMode is how the test seeder talks to the store, and whether the store knows the
// content size from the start.
type seederMode struct {
	name      string
	sizeKnown bool
	mode      hashtree.Mode
}

var seederModes = []seederMode{
	{"size known, uncles to the root", true, hashtree.ToRoot},
	{"size known, peaks first", true, hashtree.ToPeak},
	{"size unknown, peaks first", false, hashtree.ToPeak},
}

// deliver sends chunk i the way a seeder would: to a peer that holds nothing yet in
// ToPeak mode the peaks first (§5.6.2), which the store checks with AddPeaks, then the
// uncles the peer lacks and the chunk.
func (w *swarm) deliver(t testing.TB, s *Store, i uint64, have haveSet, m seederMode) {
	t.Helper()
	hashes, err := w.seeder.Uncles(nil, bins.Chunk(i), m.mode, hashtree.Peer{Have: have, SizeKnown: m.sizeKnown})
	if err != nil {
		t.Fatalf("uncles of chunk %d: %v", i, err)
	}
	if m.mode == hashtree.ToPeak && len(have) == 0 {
		np, err := s.AddPeaks(hashes)
		if err != nil {
			t.Fatalf("peaks before chunk %d: %v", i, err)
		}
		hashes = hashes[np:]
	}
	if err := s.PutChunk(i, w.chunk(i), hashes); err != nil {
		t.Fatalf("put chunk %d: %v", i, err)
	}
	have[i] = true
}

// downloadAndReopen opens a new download of w, delivers chunks in that order, closes the
// store (which checkpoints) and reopens it. It checks that the reopened store recovered
// from the checkpoint exactly the chunks delivered, and that reads return only true bytes.
func (w *swarm) downloadAndReopen(t *testing.T, m seederMode, chunks []uint64) {
	t.Helper()
	size := int64(-1)
	if m.sizeKnown {
		size = int64(len(w.content))
	}
	o := w.opts(t.TempDir(), size)
	s := open(t, o)
	have := haveSet{}
	for _, i := range chunks {
		w.deliver(t, s, i, have, m)
	}
	closeStore(t, s)

	s = open(t, o)
	defer closeStore(t, s)
	rec := s.Recovery()
	if rec.From != "checkpoint" || rec.CheckpointErr != nil {
		t.Fatalf("%d chunks, %s, delivered %v: recovered from %q (checkpoint error: %v)",
			w.n(), m.name, chunks, rec.From, rec.CheckpointErr)
	}
	if rec.Reverified != 0 {
		t.Fatalf("delivered %v: %d chunks re-verified, the checkpoint should have held them all", chunks, rec.Reverified)
	}
	for i := uint64(0); i < w.n(); i++ {
		if want := have[i]; s.Verified(i) != want {
			t.Fatalf("%d chunks, %s, delivered %v: chunk %d verified = %v after reopen",
				w.n(), m.name, chunks, i, s.Verified(i))
		}
	}
	if got := s.VerifiedCount(); got != len(have) {
		t.Fatalf("delivered %v: %d verified after reopen", chunks, got)
	}
	if readable := w.checkReads(t, s); readable != len(have) {
		t.Fatalf("delivered %v: %d chunks readable after reopen", chunks, readable)
	}
}

// TestResumeNonPowerOfTwo is the reported case: 9 and 12 chunks, chunk 0 received (with
// the right-edge uncle), reopened. 8 chunks is the power-of-two control.
func TestResumeNonPowerOfTwo(t *testing.T) {
	const cs = 64
	for _, n := range []int{8, 9, 12, 13} {
		w := newSwarm(t, uint64(n), (n-1)*cs+17, cs, hashtree.SHA1)
		for _, m := range seederModes {
			for _, chunks := range [][]uint64{{0}, {0, 3}, {5, 0, 1}} {
				t.Run(fmt.Sprintf("%d chunks/%s/%v", n, m.name, chunks), func(t *testing.T) {
					w.downloadAndReopen(t, m, chunks)
				})
			}
		}
	}
}

// TestResumeRandomSubsets is a property test over chunk counts 1…70: any subset of chunks,
// delivered in any order by any kind of seeder, is recovered exactly from the checkpoint.
// The loop is seeded, so a failure names a reproducible case.
func TestResumeRandomSubsets(t *testing.T) {
	const cs = 16
	r := rand.New(rand.NewPCG(7574, 5))
	edgeCases := 0
	for n := 1; n <= 70; n++ {
		w := newSwarm(t, uint64(n)+1000, (n-1)*cs+1+r.IntN(cs), cs, hashtree.SHA1)
		for _, m := range seederModes {
			// Each chunk is held with a probability that varies per case, from almost
			// none to almost all; the last chunk is as likely as any other.
			p := r.Float64()
			var chunks []uint64
			for i := range uint64(n) {
				if r.Float64() < p {
					chunks = append(chunks, i)
				}
			}
			r.Shuffle(len(chunks), func(a, b int) { chunks[a], chunks[b] = chunks[b], chunks[a] })
			// With none held (and the size unknown) the chunk count stays unknown: a
			// valid case too.
			w.downloadAndReopen(t, m, chunks)
			if m.mode == hashtree.ToRoot && len(chunks) > 0 && n&(n-1) != 0 && !slices.Contains(chunks, uint64(n-1)) {
				edgeCases++
			}
		}
	}
	// The reported bug: uncles to the root, a chunk count that is not a power of two,
	// some chunks held but not the last one.
	if edgeCases < 20 {
		t.Fatalf("only %d cases of the reported kind; the seed does not cover the bug", edgeCases)
	}
}
