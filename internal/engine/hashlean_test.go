package engine

import (
	"errors"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// ackedBelow is a peer that has acknowledged every chunk below n: the ACKs of a window in
// flight lag the DATA.
type ackedBelow struct{ n uint64 }

func (a *ackedBelow) HasAny(r bins.ChunkRange) bool { return r.Start < a.n }

// leanSender is a seeder's view of one peer for the lean-hash tests: the tree it serves,
// its sentHashes, and the ACKs it has had.
type leanSender struct {
	tree  *hashtree.Tree
	sent  sentHashes
	acked ackedBelow
}

// hashesFor is what serveOne sends with chunk i at the low floor: the uncles the peer lacks
// (with the lean run counted once the channel is lean), thinned, and the chunk noted as sent.
func (s *leanSender) hashesFor(t *testing.T, i uint64) []hashtree.NodeHash {
	t.Helper()
	peer := hashtree.Peer{SizeKnown: true}
	if s.acked.n > 0 {
		peer.Have = &s.acked
	}
	peer = s.sent.lean.peer(peer)
	need, err := s.tree.Uncles(nil, bins.Chunk(i), hashtree.ToRoot, peer)
	if err != nil {
		t.Fatal(err)
	}
	kept := s.sent.thin(need, keptHashes)
	s.sent.lean.sent(i)
	return kept
}

// TestLeanHashesInOrder sends 8192 chunks in order with ACKs a window of 64 behind: the
// receiver verifies every one with the hashes that came with it, the first leanStart carry
// sentHashes' copies, and once lean a chunk carries about one hash.
func TestLeanHashesInOrder(t *testing.T) {
	const n, window = 8192, 64
	data := testContent(11, n*testCS)
	tree, err := hashtree.Build(data, testCS, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	recv, err := hashtree.NewFromRoot(tree.Root(), hashtree.Params{Hash: hashtree.SHA1, ChunkSize: testCS, Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	s := &leanSender{tree: tree}
	var before, after int
	for i := range uint64(n) {
		s.acked.n = uint64(max(int(i)-window, 0))
		wasLean := s.sent.lean.active()
		kept := s.hashesFor(t, i)
		if err := recv.VerifyChunk(i, data[i*testCS:(i+1)*testCS], kept); err != nil {
			t.Fatalf("chunk %d (lean %v) does not verify with its %d hashes: %v", i, wasLean, len(kept), err)
		}
		if wasLean {
			after += len(kept)
		} else if i >= window { // past the first window, which carries the high uncles
			before += len(kept)
		}
	}
	perBefore := float64(before) / float64(leanStart-window)
	perAfter := float64(after) / float64(n-leanStart)
	t.Logf("hashes per chunk: %.2f with two copies, %.2f lean", perBefore, perAfter)
	if perAfter > 1.05 || perAfter >= perBefore {
		t.Fatalf("lean: %.2f hashes per chunk (%.2f before): want about one", perAfter, perBefore)
	}
}

// TestLeanHashesLoss: a DATA lost while lean strands later chunks that lean on it, until the
// REQUEST that shows the loss makes the sender forget; then every chunk verifies again, the
// lost one too, and the channel stays out of lean mode twice as long as before.
func TestLeanHashesLoss(t *testing.T) {
	const n, window, lost = 4096, 32, 2*leanStart + 4 // a left chunk: the ones after it lean on it
	data := testContent(12, n*testCS)
	tree, err := hashtree.Build(data, testCS, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	recv, err := hashtree.NewFromRoot(tree.Root(), hashtree.Params{Hash: hashtree.SHA1, ChunkSize: testCS, Size: int64(len(data))})
	if err != nil {
		t.Fatal(err)
	}
	chunk := func(i uint64) []byte { return data[i*testCS : (i+1)*testCS] }
	s := &leanSender{tree: tree}
	stranded := 0
	i := uint64(0)
	for ; i < lost+window; i++ {
		s.acked.n = uint64(max(int(i)-window, 0))
		if i > lost {
			s.acked.n = min(s.acked.n, lost) // nothing after the loss is verified, so none acked
		}
		kept := s.hashesFor(t, i)
		if i == lost {
			if !s.sent.lean.active() {
				t.Fatal("not lean after twice leanStart clean DATA")
			}
			continue // lost on the way
		}
		err := recv.VerifyChunk(i, chunk(i), kept)
		switch {
		case i < lost && err != nil:
			t.Fatalf("chunk %d before the loss: %v", i, err)
		case i > lost && errors.Is(err, hashtree.ErrMissingHash):
			stranded++
		case i > lost && err != nil:
			t.Fatalf("chunk %d after the loss: %v", i, err)
		}
	}
	if stranded == 0 || stranded >= window {
		t.Fatalf("%d of the %d chunks after the loss stranded", stranded, window-1)
	}
	// The receiver asks again for what it lacks; the REQUEST for unacknowledged DATA makes
	// the seeder forget (onRequest).
	s.sent.forget()
	if s.sent.lean.active() {
		t.Fatal("still lean after the loss")
	}
	if got := s.sent.lean.needed(); got != 2*leanStart {
		t.Fatalf("after a loss while lean, %d clean DATA needed, want %d", got, 2*leanStart)
	}
	for j := uint64(lost); j < i; j++ {
		if recv.VerifyChunk(j, chunk(j), nil) == nil {
			continue // verified before, or now without hashes
		}
		if err := recv.VerifyChunk(j, chunk(j), s.hashesFor(t, j)); err != nil {
			t.Fatalf("chunk %d sent again after the loss: %v", j, err)
		}
	}
	// A loss while not lean leaves the count needed as it is.
	s.sent.forget()
	if got := s.sent.lean.needed(); got != 2*leanStart {
		t.Fatalf("after a loss while not lean, %d clean DATA needed, want %d", got, 2*leanStart)
	}
}

// TestLeanHashesOnCleanLink: over a clean, rate-limited link (a slow window, so the low hash
// floor) the seeder goes lean, sends about one hash per chunk, and no chunk arrives that
// cannot be verified.
func TestLeanHashesOnCleanLink(t *testing.T) {
	const chunks = 6000
	l := link{delay: time.Millisecond, rate: 20e6 / 8, buffer: 300 * time.Millisecond}
	seeder, leech, _ := pairTransfer(t, 13, testContent(13, chunks*testCS), testCS, l)
	if st := leech.eng.Stats(); st.UnverifiableChunks > 0 {
		t.Fatalf("%d chunks arrived without their hashes on a clean link", st.UnverifiableChunks)
	}
	st := seeder.eng.Stats()
	// A DATA datagram: channel ID, DATA (type, chunk spec, timestamp, payload); each hash
	// an INTEGRITY message (type, chunk spec, SHA-1). Other datagrams are few and small.
	const dataLen, hashLen = 4 + 1 + 8 + 8 + testCS, 1 + 8 + 20
	hashes := float64(st.BytesOut-st.ChunksServed*dataLen) / hashLen / float64(st.ChunksServed)
	t.Logf("%d DATA, %d bytes out: %.2f hashes per chunk", st.ChunksServed, st.BytesOut, hashes)
	if hashes > 1.5 {
		t.Fatalf("%.2f hashes per chunk on a clean link, want lean (about one after the first %d)", hashes, leanStart)
	}
}

// TestLeanHashesResentChunkForgets: serving again a chunk sent lean in the run (the peer
// lacks it, though no REQUEST showed it as unacknowledged) forgets, as a loss does; while
// not lean it changes nothing.
func TestLeanHashesResentChunkForgets(t *testing.T) {
	var s sentHashes
	for i := range uint64(leanStart) {
		s.resending(i)
		s.lean.sent(i)
	}
	if !s.lean.active() {
		t.Fatal("not lean after leanStart DATA in order")
	}
	s.resending(leanStart) // the next chunk: nothing happens
	if !s.lean.active() {
		t.Fatal("serving the next chunk in order forgot")
	}
	s.resending(7)
	if s.lean.active() || s.lean.sentBefore(7) {
		t.Fatal("serving a chunk of the run again did not forget")
	}
	if got := s.lean.needed(); got != 2*leanStart {
		t.Fatalf("%d clean DATA needed after the resend, want %d", got, 2*leanStart)
	}
	s.lean.sent(7)
	s.lean.sent(8)
	s.resending(7) // not lean: left to onRequest's rule
	if !s.lean.sentBefore(7) || s.lean.needed() != 2*leanStart {
		t.Fatal("a resend while not lean forgot")
	}
}
