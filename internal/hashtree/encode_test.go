package hashtree

import (
	"bytes"
	"errors"
	"math/rand/v2"
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
