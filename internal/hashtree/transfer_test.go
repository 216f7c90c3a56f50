package hashtree

import (
	"bytes"
	"errors"
	"math/rand/v2"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// checkInvariant asserts what Restore and the uncle logic rely on: every known node other
// than the root has a known sibling and a known parent.
func checkInvariant(t *testing.T, tree *Tree) {
	t.Helper()
	if tree.n == 0 {
		return
	}
	w := uint64(1) << tree.top
	for b := bins.Bin(0); uint64(b) < 2*w-1; b++ {
		slot, kind := tree.classify(b)
		if kind != kindFilled && kind != kindIncomplete || !tree.isKnown(slot) || b == tree.RootBin() {
			continue
		}
		if _, ok := tree.Hash(b.Sibling()); !ok {
			t.Fatalf("known %v has unknown sibling", b)
		}
		if _, ok := tree.Hash(b.Parent()); !ok {
			t.Fatalf("known %v has unknown parent", b)
		}
	}
}

// knownBins lists the stored hashes a tree trusts.
func knownBins(tree *Tree) map[bins.Bin]string {
	out := map[bins.Bin]string{}
	if tree.n == 0 {
		return out
	}
	for b := bins.Bin(0); uint64(b) < 2*(uint64(1)<<tree.top)-1; b++ {
		if slot, kind := tree.classify(b); (kind == kindFilled || kind == kindIncomplete) && tree.isKnown(slot) {
			out[b] = string(tree.slotHash(slot))
		}
	}
	return out
}

func sameKnown(a, b map[bins.Bin]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

// TestTransfer runs seeder and receiver trees against each other for many shapes, both
// modes and random chunk orders. Every hash the seeder sends must be one the receiver
// lacks and needs (dropping any one makes verification fail), and tampering with a chunk
// or a hash must fail without changing what the receiver trusts.
func TestTransfer(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	const cs = 16
	for _, hf := range []HashFunc{SHA1, SHA256} {
		for _, n := range []int{1, 2, 3, 5, 7, 8, 13, 16, 31, 33, 64, 100} {
			for _, mode := range []Mode{ToPeak, ToRoot} {
				size := (n-1)*cs + 1 + r.IntN(cs)
				content := randomContent(r, size)
				seeder, err := Build(content, cs, hf)
				if err != nil {
					t.Fatal(err)
				}
				ps := Params{Hash: hf, ChunkSize: cs, Size: int64(size)}
				if mode == ToPeak {
					ps.Size = -1 // libswift style: the size is learned from the peaks
				}
				recv, err := NewFromRoot(seeder.Root(), ps)
				if err != nil {
					t.Fatal(err)
				}
				have := chunkHave{}
				for _, c := range r.Perm(n) {
					i := uint64(c)
					peer := Peer{Have: have, SizeKnown: mode == ToRoot}
					hashes, err := seeder.Uncles(nil, bins.Chunk(i), mode, peer)
					if err != nil {
						t.Fatal(err)
					}
					if recv.NumChunks() == 0 {
						np, err := recv.AddPeaksPrefix(hashes)
						if err != nil {
							t.Fatalf("N=%d: peaks: %v", n, err)
						}
						hashes = hashes[np:]
					}
					for _, h := range hashes {
						if _, ok := recv.Hash(h.Bin); ok {
							t.Fatalf("N=%d %v chunk %d: sent %v which the receiver already holds", n, mode, i, h.Bin)
						}
					}
					data := chunkOf(content, cs, i)
					before := knownBins(recv)
					for drop := range hashes {
						less := slices.Delete(slices.Clone(hashes), drop, drop+1)
						if err := recv.VerifyChunk(i, data, less); !errors.Is(err, ErrMissingHash) {
							t.Fatalf("N=%d %v chunk %d without %v: %v", n, mode, i, hashes[drop].Bin, err)
						}
					}
					bad := bytes.Clone(data)
					bad[r.IntN(len(bad))] ^= 1 << r.IntN(8)
					if err := recv.VerifyChunk(i, bad, hashes); !errors.Is(err, ErrHashMismatch) {
						t.Fatalf("tampered chunk: %v", err)
					}
					for k := range hashes {
						forged := slices.Clone(hashes)
						forged[k].Hash = bytes.Clone(forged[k].Hash)
						forged[k].Hash[0] ^= 0x80
						if err := recv.VerifyChunk(i, data, forged); !errors.Is(err, ErrHashMismatch) {
							t.Fatalf("forged uncle %v: %v", forged[k].Bin, err)
						}
					}
					if !sameKnown(before, knownBins(recv)) {
						t.Fatal("failed verification changed the trusted hashes")
					}
					if err := recv.VerifyChunk(i, data, hashes); err != nil {
						t.Fatalf("N=%d %v chunk %d: %v", n, mode, i, err)
					}
					for _, h := range hashes {
						if got, ok := recv.Hash(h.Bin); !ok || !bytes.Equal(got, h.Hash) {
							t.Fatalf("uncle %v not kept", h.Bin)
						}
					}
					checkInvariant(t, recv)
					have[i] = true
				}
				if !recv.Complete() || !bytes.Equal(recv.AppendMhash(nil), seeder.AppendMhash(nil)) {
					t.Fatalf("N=%d %v: receiver tree differs after all chunks", n, mode)
				}
				if s, ok := recv.Size(); !ok || s != int64(size) {
					t.Fatalf("size %d %v", s, ok)
				}
			}
		}
	}
}

// TestUnclesSkipsKnown checks the example of RFC 7574 §5.3: after chunks 0 and 1 are
// acked, chunk 7 needs only bins 12 and 9 (the RFC says "14 and 9", see PPSPP-NOTES §4.1).
func TestUnclesSkipsKnown(t *testing.T) {
	tree, err := Build(make([]byte, 8*16), 16, SHA1)
	if err != nil {
		t.Fatal(err)
	}
	acked := chunkHave{0: true, 1: true}
	got, err := tree.Uncles(nil, bins.Chunk(7), ToRoot, Peer{Have: acked})
	if err != nil {
		t.Fatal(err)
	}
	if want := []bins.Bin{9, 12}; !slices.Equal(binsOf(got), want) {
		t.Fatalf("uncles %v, want %v", binsOf(got), want)
	}
	sent := NodeSet{}
	sent.Add(9)
	got, _ = tree.Uncles(nil, bins.Chunk(7), ToRoot, Peer{Have: acked, Sent: sent})
	if want := []bins.Bin{12}; !slices.Equal(binsOf(got), want) {
		t.Fatalf("with 9 sent: %v", binsOf(got))
	}
	// A whole bin needs only the uncles above it.
	got, _ = tree.Uncles(nil, bins.Bin(11), ToRoot, Peer{})
	if want := []bins.Bin{3}; !slices.Equal(binsOf(got), want) {
		t.Fatalf("bin 11: %v", binsOf(got))
	}
	if _, err := tree.Uncles(nil, bins.Chunk(8), ToRoot, Peer{}); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("chunk past the end: %v", err)
	}
	// A partial tree cannot serve what it has not verified.
	recv, _ := NewFromRoot(tree.Root(), Params{Hash: SHA1, ChunkSize: 16, Size: 8 * 16})
	if _, err := recv.Uncles(nil, bins.Chunk(3), ToRoot, Peer{}); !errors.Is(err, ErrMissingHash) {
		t.Fatalf("partial tree: %v", err)
	}
}

// TestVerifyBin verifies DATA that carries a whole bin of chunks, including the bin that
// holds the short last chunk and padding.
func TestVerifyBin(t *testing.T) {
	const cs = 8
	content := randomContent(rand.New(rand.NewPCG(5, 6)), 13*cs+3) // 14 chunks
	seeder, _ := Build(content, cs, SHA256)
	recv, _ := NewFromRoot(seeder.Root(), Params{Hash: SHA256, ChunkSize: cs, Size: int64(len(content))})
	for _, b := range []bins.Bin{bins.New(2, 0), bins.New(2, 3), bins.New(1, 4), bins.New(3, 0), bins.New(1, 5)} {
		lo := b.BaseLeft() * cs
		hi := min((b.BaseRight()+1)*cs, uint64(len(content)))
		unc, err := seeder.Uncles(nil, b, ToRoot, Peer{SizeKnown: true})
		if err != nil {
			t.Fatal(err)
		}
		if err := recv.VerifyBin(b, content[lo:hi-1], unc); !errors.Is(err, ErrBadLength) {
			t.Fatalf("%v short data: %v", b, err)
		}
		if err := recv.VerifyBin(b, content[lo:hi], unc); err != nil {
			t.Fatalf("%v: %v", b, err)
		}
		for c := b.BaseLeft(); c <= min(b.BaseRight(), 13); c++ {
			want, _ := seeder.Hash(bins.Chunk(c))
			if got, ok := recv.Hash(bins.Chunk(c)); !ok || !bytes.Equal(got, want) {
				t.Fatalf("chunk %d hash not learned", c)
			}
		}
		checkInvariant(t, recv)
	}
	if !recv.Complete() {
		t.Fatal("not complete")
	}
	if err := recv.VerifyBin(bins.New(4, 1), nil, nil); !errors.Is(err, ErrOutOfRange) {
		t.Fatalf("bin beyond the tree: %v", err)
	}
}

func TestAddPeaksRejects(t *testing.T) {
	content := randomContent(rand.New(rand.NewPCG(7, 8)), 7*16) // peaks 3, 9, 12
	seeder, _ := Build(content, 16, SHA1)
	peaks := seeder.Peaks()
	mk := func() *Tree {
		tr, _ := NewFromRoot(seeder.Root(), Params{Hash: SHA1, ChunkSize: 16, Size: -1})
		return tr
	}
	cases := map[string][]NodeHash{
		"empty":         nil,
		"missing first": peaks[1:],
		"missing last":  peaks[:2],
		"swapped":       {peaks[1], peaks[0], peaks[2]},
		"short hash":    {peaks[0], peaks[1], {Bin: peaks[2].Bin, Hash: peaks[2].Hash[:19]}},
		"none bin":      {{Bin: bins.None, Hash: peaks[0].Hash}},
		"wrong hash":    {peaks[0], {Bin: peaks[1].Bin, Hash: peaks[0].Hash}, peaks[2]},
	}
	for name, ps := range cases {
		tr := mk()
		if err := tr.AddPeaks(ps); err == nil || tr.NumChunks() != 0 {
			t.Fatalf("%s: accepted (N=%d)", name, tr.NumChunks())
		}
	}
	// A known size that disagrees with the peaks.
	tr, _ := NewFromRoot(seeder.Root(), Params{Hash: SHA1, ChunkSize: 16, Size: 9 * 16})
	if err := tr.AddPeaks(peaks); !errors.Is(err, ErrBadPeaks) {
		t.Fatalf("size 9 chunks, peaks for 7: %v", err)
	}
	// Too many chunks is refused before anything is allocated.
	tr, _ = NewFromRoot(seeder.Root(), Params{Hash: SHA1, ChunkSize: 16, Size: -1, MaxChunks: 4})
	if err := tr.AddPeaks(peaks); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("over MaxChunks: %v", err)
	}
	tr = mk()
	if err := tr.AddPeaks(peaks); err != nil || tr.NumChunks() != 7 {
		t.Fatalf("good peaks: %v", err)
	}
	if err := tr.AddPeaks(peaks); err != nil {
		t.Fatalf("same peaks again: %v", err)
	}
	checkInvariant(t, tr)
}

// TestVerifyNoAlloc: verifying a chunk with a full climb of uncles, and listing uncles,
// must not allocate.
func TestVerifyNoAlloc(t *testing.T) {
	const cs = 1024
	content := randomContent(rand.New(rand.NewPCG(11, 12)), 1000*cs)
	seeder, _ := Build(content, cs, SHA1)
	recv, _ := NewFromRoot(seeder.Root(), Params{Hash: SHA1, ChunkSize: cs, Size: int64(len(content))})
	unc, _ := seeder.Uncles(nil, bins.Chunk(517), ToRoot, Peer{})
	// Resetting the known bits forgets everything but the root; stale slot bytes are
	// unreachable without their bits.
	fresh := slices.Clone(recv.known)
	data := chunkOf(content, cs, 517)
	allocs := testing.AllocsPerRun(100, func() {
		copy(recv.known, fresh)
		if err := recv.VerifyChunk(517, data, unc); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per verification", allocs)
	}
	buf := make([]NodeHash, 0, 64)
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := seeder.Uncles(buf[:0], bins.Chunk(517), ToRoot, Peer{SizeKnown: true}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per uncle list", allocs)
	}
	allocs = testing.AllocsPerRun(100, func() {
		if _, err := seeder.Uncles(buf[:0], bins.Chunk(517), ToPeak, Peer{}); err != nil {
			t.Fatal(err)
		}
	})
	if allocs != 0 {
		t.Fatalf("%v allocations per peaks+uncles list", allocs)
	}
}
