package hashtree

import (
	"bytes"
	"errors"
	"math/bits"
	"math/rand/v2"
	"runtime"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// TestFrontierRoundTrip saves partial and complete trees and restores them; then checks
// that every truncation and every single bit flip of the encoding is refused.
func TestFrontierRoundTrip(t *testing.T) {
	const cs = 16
	r := rand.New(rand.NewPCG(9, 10))
	content := randomContent(r, 11*cs+5) // 12 chunks
	seeder, _ := Build(content, cs, SHA1)
	ps := Params{Hash: SHA1, ChunkSize: cs, Size: int64(len(content))}
	recv, _ := NewFromRoot(seeder.Root(), ps)
	for _, i := range []uint64{2, 9, 11} {
		unc, _ := seeder.Uncles(nil, bins.Chunk(i), ToRoot, Peer{})
		if err := recv.VerifyChunk(i, chunkOf(content, cs, i), unc); err != nil {
			t.Fatal(err)
		}
	}
	for _, tree := range []*Tree{recv, seeder} {
		enc := tree.AppendFrontier(nil)
		got, err := Restore(tree.Root(), ps, tree.NumChunks(), enc)
		if err != nil {
			t.Fatal(err)
		}
		if !sameKnown(knownBins(got), knownBins(tree)) {
			t.Fatal("restored tree knows different hashes")
		}
		for i := range enc {
			if _, err := Restore(tree.Root(), ps, tree.NumChunks(), enc[:i]); err == nil {
				t.Fatalf("truncated to %d of %d accepted", i, len(enc))
			}
			for bit := range 8 {
				bad := bytes.Clone(enc)
				bad[i] ^= 1 << bit
				if _, err := Restore(tree.Root(), ps, tree.NumChunks(), bad); err == nil {
					t.Fatalf("flip byte %d bit %d accepted", i, bit)
				}
			}
		}
	}
	// The complete tree's frontier is exactly its leaves.
	if got, want := len(seeder.AppendFrontier(nil)), FrontierLen(12, 12, SHA1); got != want {
		t.Fatalf("complete frontier %d bytes, want %d", got, want)
	}
	if _, err := Restore(seeder.Root(), ps, 13, seeder.AppendFrontier(nil)); !errors.Is(err, ErrCorrupt) {
		t.Fatalf("wrong chunk count: %v", err)
	}
	wrongRoot := bytes.Clone(seeder.Root())
	wrongRoot[3] ^= 4
	if _, err := Restore(wrongRoot, ps, 12, seeder.AppendFrontier(nil)); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("wrong root: %v", err)
	}
	empty, err := Restore(seeder.Root(), Params{Hash: SHA1, ChunkSize: cs, Size: -1}, 0, nil)
	if err != nil || empty.NumChunks() != 0 {
		t.Fatalf("size-unknown tree: %v", err)
	}
}

// TestFrontierRestoreRootOnly: a tree whose chunk count is not a power of two, saved before
// any chunk arrived (a download that just started), restores: the padding past the end is
// known to be zero, its unknown sibling is simply unknown.
func TestFrontierRestoreRootOnly(t *testing.T) {
	const cs = 16
	r := rand.New(rand.NewPCG(11, 12))
	for _, n := range []int{1, 2, 3, 5, 9, 12, 13} {
		content := randomContent(r, (n-1)*cs+7)
		seeder, _ := Build(content, cs, SHA1)
		ps := Params{Hash: SHA1, ChunkSize: cs, Size: int64(len(content))}
		recv, _ := NewFromRoot(seeder.Root(), ps)
		got, err := Restore(recv.Root(), ps, recv.NumChunks(), recv.AppendFrontier(nil))
		if err != nil {
			t.Fatalf("%d chunks: %v", n, err)
		}
		if !sameKnown(knownBins(got), knownBins(recv)) {
			t.Fatalf("%d chunks: restored tree knows different hashes", n)
		}
	}
}

// TestFrontierRandomDownloads is a property test over chunk counts 1…70: a receiver that
// got any subset of chunks, from a seeder sending uncles to the root (size known) or peaks
// first (size unknown), saves its known hashes and restores exactly them. This includes
// right-edge nodes (covering the last chunk and padding) learned as uncles before the last
// chunk. The FrontierFilled format (checkpoint version 1) restores the same tree exactly
// when no edge node is in the frontier, and cannot when one is.
func TestFrontierRandomDownloads(t *testing.T) {
	const cs = 16
	r := rand.New(rand.NewPCG(70, 71))
	edgeCases := 0
	for n := 1; n <= 70; n++ {
		for _, mode := range []Mode{ToRoot, ToPeak} {
			size := (n-1)*cs + 1 + r.IntN(cs)
			content := randomContent(r, size)
			seeder, _ := Build(content, cs, SHA1)
			ps := Params{Hash: SHA1, ChunkSize: cs, Size: int64(size)}
			if mode == ToPeak {
				ps.Size = -1
			}
			recv, _ := NewFromRoot(seeder.Root(), ps)
			have := chunkHave{}
			p := r.Float64()
			for _, c := range r.Perm(n) {
				if r.Float64() >= p {
					continue
				}
				i := uint64(c)
				hashes, err := seeder.Uncles(nil, bins.Chunk(i), mode, Peer{Have: have, SizeKnown: mode == ToRoot})
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
				if err := recv.VerifyChunk(i, chunkOf(content, cs, i), hashes); err != nil {
					t.Fatalf("N=%d %v chunk %d: %v", n, mode, i, err)
				}
				have[i] = true
			}
			rp := ps
			if recv.NumChunks() == 0 {
				rp.Size = -1
			}
			enc := recv.AppendFrontier(nil)
			got, err := Restore(recv.Root(), rp, recv.NumChunks(), enc)
			if err != nil {
				t.Fatalf("N=%d %v chunks %v: %v", n, mode, have, err)
			}
			if !sameKnown(knownBins(got), knownBins(recv)) {
				t.Fatalf("N=%d %v chunks %v: restored tree knows different hashes", n, mode, have)
			}
			checkInvariant(t, got)
			if recv.NumChunks() == 0 {
				continue
			}
			v1, edges := withoutEdges(recv, enc)
			old, err := RestoreFormat(recv.Root(), rp, recv.NumChunks(), v1, FrontierFilled)
			switch {
			case edges == 0 && (err != nil || !sameKnown(knownBins(old), knownBins(recv))):
				t.Fatalf("N=%d %v chunks %v: format 1 without edge nodes: %v", n, mode, have, err)
			case edges > 0 && err == nil:
				t.Fatalf("N=%d %v chunks %v: format 1 restored without its %d edge hashes", n, mode, have, edges)
			}
			edgeCases += min(edges, 1)
		}
	}
	if edgeCases == 0 {
		t.Fatal("no case had an edge node in its frontier: the test does not cover the bug")
	}
}

// withoutEdges turns a FrontierEdge encoding of tree into the FrontierFilled one by
// dropping the edge bitmap and edge hashes (the trailing ones). It returns how many edge
// hashes it dropped.
func withoutEdges(tree *Tree, enc []byte) ([]byte, int) {
	filledLen := frontierMapLen(tree.n, FrontierFilled)
	edgeMap := enc[filledLen:frontierMapLen(tree.n, FrontierEdge)]
	edges := 0
	for _, b := range edgeMap {
		edges += bits.OnesCount8(b)
	}
	out := slices.Concat(enc[:filledLen], enc[filledLen+len(edgeMap):len(enc)-edges*tree.hl])
	return out, edges
}

// TestFrontierEdgeShape: after chunk 0 of 9 or 12 chunks, with uncles to the root, the
// frontier holds the edge node chunks 8…15 (layer 3). The edge bitmap accepts a bit only for
// an edge node below the root: a bit for layer 0, for a layer whose last node is filled,
// for the root, or past the top is refused as malformed; a bit for a real edge node with a
// wrong hash fails the check against the root.
func TestFrontierEdgeShape(t *testing.T) {
	const cs = 16
	for _, c := range []struct {
		n         int
		malformed []int // edge bits refused for their meaning
		wrongHash []int // real edge nodes, refused for their (zero) hash
	}{
		{9, []int{0, 4, 5, 6, 7}, []int{1, 2}},
		{12, []int{0, 1, 2, 4, 5, 6, 7}, nil},
	} {
		content := randomContent(rand.New(rand.NewPCG(5, uint64(c.n))), (c.n-1)*cs+3)
		seeder, _ := Build(content, cs, SHA1)
		ps := Params{Hash: SHA1, ChunkSize: cs, Size: int64(len(content))}
		recv, _ := NewFromRoot(seeder.Root(), ps)
		unc, _ := seeder.Uncles(nil, bins.Chunk(0), ToRoot, Peer{SizeKnown: true})
		if err := recv.VerifyChunk(0, chunkOf(content, cs, 0), unc); err != nil {
			t.Fatal(err)
		}
		n := uint64(c.n)
		enc := recv.AppendFrontier(nil)
		edgeAt := frontierMapLen(n, FrontierFilled)
		if enc[edgeAt] != 1<<3 {
			t.Fatalf("N=%d: edge bitmap %08b, want only layer 3 (chunks 8…15)", c.n, enc[edgeAt])
		}
		got, err := Restore(recv.Root(), ps, n, enc)
		if err != nil {
			t.Fatalf("N=%d: %v", c.n, err)
		}
		if h, ok := got.Hash(bins.New(3, 1)); !ok || !bytes.Equal(h, unc[0].Hash) {
			t.Fatalf("N=%d: edge node chunks 8…15 not restored", c.n)
		}
		withBit := func(l int) []byte {
			bad := bytes.Clone(enc)
			bad[edgeAt] |= 1 << l
			// Edge hashes go in layer order: layers below 3 before the existing one.
			at := len(bad) - SHA1.Size()
			if l > 3 {
				at = len(bad)
			}
			return slices.Insert(bad, at, make([]byte, SHA1.Size())...)
		}
		for _, l := range c.malformed {
			if _, err := Restore(recv.Root(), ps, n, withBit(l)); !errors.Is(err, ErrCorrupt) {
				t.Fatalf("N=%d edge bit %d: %v", c.n, l, err)
			}
		}
		for _, l := range c.wrongHash {
			_, err := Restore(recv.Root(), ps, n, withBit(l))
			if err == nil || !errors.Is(err, ErrCorrupt) && !errors.Is(err, ErrHashMismatch) {
				t.Fatalf("N=%d edge bit %d with a zero hash: %v", c.n, l, err)
			}
		}
		if _, err := RestoreFormat(recv.Root(), ps, n, enc, FrontierFormat(3)); err == nil {
			t.Fatalf("N=%d: unknown frontier format accepted", c.n)
		}
	}
}

// TestRestoreSizeDisagrees: a chunk count that disagrees with the size is refused before
// the tree for the size is allocated (here 2^27 chunks, 5 GiB of SHA-1 hashes).
func TestRestoreSizeDisagrees(t *testing.T) {
	root := make([]byte, SHA1.Size())
	p := Params{Hash: SHA1, ChunkSize: 1024, Size: DefaultMaxChunks * 1024}
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	_, err := Restore(root, p, 12, make([]byte, FrontierLen(12, 0, SHA1)))
	runtime.ReadMemStats(&after)
	if !errors.Is(err, ErrCorrupt) {
		t.Fatalf("12 chunks for %d bytes: %v", p.Size, err)
	}
	if mib := (after.TotalAlloc - before.TotalAlloc) >> 20; mib > 64 {
		t.Fatalf("%d MiB allocated to refuse it", mib)
	}
}
