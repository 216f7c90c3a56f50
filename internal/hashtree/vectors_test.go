package hashtree

import (
	"bytes"
	"errors"
	"fmt"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

var vectorFiles = []struct {
	file string
	hf   HashFunc
}{{"merkle.json", SHA1}, {"merkle_sha256.json", SHA256}}

func sameNodes(t *testing.T, what string, got []NodeHash, want []NodeHash) {
	t.Helper()
	if len(got) != len(want) {
		t.Fatalf("%s: got %d hashes %v, want %d %v", what, len(got), binsOf(got), len(want), binsOf(want))
	}
	for i := range got {
		if got[i].Bin != want[i].Bin || !bytes.Equal(got[i].Hash, want[i].Hash) {
			t.Fatalf("%s[%d]: got %v %x, want %v %x", what, i, got[i].Bin, got[i].Hash, want[i].Bin, want[i].Hash)
		}
	}
}

func binsOf(ns []NodeHash) []bins.Bin {
	out := make([]bins.Bin, len(ns))
	for i, n := range ns {
		out[i] = n.Bin
	}
	return out
}

// TestVectorsBuild checks the seeder side against every case of the vector files: root
// (swarm ID), shape, every node, peaks, and both uncle lists in sending order.
func TestVectorsBuild(t *testing.T) {
	for _, vf := range vectorFiles {
		v := loadMerkle(t, vf.file)
		for _, c := range v.Cases {
			t.Run(fmt.Sprintf("%v/%s", vf.hf, c.Name), func(t *testing.T) {
				content := vectorContent(t, c.Content.File, c.Size)
				tree, err := Build(content, v.ChunkSize, vf.hf)
				if c.RootHash == nil {
					if !errors.Is(err, ErrEmptyContent) {
						t.Fatalf("empty content: err %v, want ErrEmptyContent", err)
					}
					return
				}
				if err != nil {
					t.Fatal(err)
				}
				if !bytes.Equal(tree.Root(), unhex(t, *c.RootHash)) {
					t.Fatalf("root %x, want %s", tree.Root(), *c.RootHash)
				}
				if tree.NumChunks() != c.NumChunks || uint64(tree.RootBin()) != c.RootBin {
					t.Fatalf("N=%d root bin %v, want %d, %d", tree.NumChunks(), tree.RootBin(), c.NumChunks, c.RootBin)
				}
				if size, ok := tree.Size(); !ok || size != c.Size {
					t.Fatalf("size %d %v", size, ok)
				}
				if l, _ := tree.ChunkLen(c.NumChunks - 1); l != c.LastChunkSize {
					t.Fatalf("last chunk %d bytes, want %d", l, c.LastChunkSize)
				}
				for _, n := range c.AllNodes {
					h, ok := tree.Hash(bins.Bin(n.Bin))
					if !ok || !bytes.Equal(h, unhex(t, n.Hash)) {
						t.Fatalf("node %d: %x %v, want %s", n.Bin, h, ok, n.Hash)
					}
				}
				sameNodes(t, "peaks", tree.Peaks(), toNodes(t, c.Peaks))
				for _, vc := range c.Verification {
					b := bins.Chunk(vc.Chunk)
					if h, _ := tree.Hash(b); !bytes.Equal(h, unhex(t, vc.ChunkHash)) {
						t.Fatalf("chunk %d hash %x", vc.Chunk, h)
					}
					got, err := tree.Uncles(nil, b, ToRoot, Peer{})
					if err != nil {
						t.Fatal(err)
					}
					sameNodes(t, fmt.Sprintf("uncles to root of chunk %d", vc.Chunk), got, toNodes(t, vc.UnclesToRoot))

					// libswift's order: peaks first to a cold peer, then uncles to the peak.
					got, err = tree.Uncles(nil, b, ToPeak, Peer{})
					if err != nil {
						t.Fatal(err)
					}
					want := append(toNodes(t, c.Peaks), toNodes(t, vc.UnclesToPeak)...)
					sameNodes(t, fmt.Sprintf("peaks+uncles of chunk %d", vc.Chunk), got, want)
					if tree.peakOf(vc.Chunk) != bins.Bin(vc.PeakOfChunk) {
						t.Fatalf("peak of chunk %d = %v, want %d", vc.Chunk, tree.peakOf(vc.Chunk), vc.PeakOfChunk)
					}

					// A peer that knows the size needs no all-zero padding hashes.
					got, err = tree.Uncles(nil, b, ToRoot, Peer{SizeKnown: true})
					if err != nil {
						t.Fatal(err)
					}
					var nonEmpty []NodeHash
					for _, u := range vc.UnclesToRoot {
						if !u.Empty {
							nonEmpty = append(nonEmpty, toNodes(t, []nodeJSON{u})...)
						}
					}
					sameNodes(t, "uncles to root, size known", got, nonEmpty)
				}
			})
		}
	}
}

// TestVectorsVerify plays the receiver with exactly the hashes the vectors list: uncles to
// the root when the size is known, or peaks then uncles to the peak when it is not.
func TestVectorsVerify(t *testing.T) {
	for _, vf := range vectorFiles {
		v := loadMerkle(t, vf.file)
		for _, c := range v.Cases {
			if c.RootHash == nil {
				continue
			}
			t.Run(fmt.Sprintf("%v/%s", vf.hf, c.Name), func(t *testing.T) {
				content := vectorContent(t, c.Content.File, c.Size)
				root := unhex(t, *c.RootHash)
				for _, vc := range c.Verification {
					data := chunkOf(content, v.ChunkSize, vc.Chunk)

					known, err := NewFromRoot(root, Params{Hash: vf.hf, ChunkSize: v.ChunkSize, Size: c.Size})
					if err != nil {
						t.Fatal(err)
					}
					if err := known.VerifyChunk(vc.Chunk, data, toNodes(t, vc.UnclesToRoot)); err != nil {
						t.Fatalf("chunk %d with uncles to root: %v", vc.Chunk, err)
					}

					cold, err := NewFromRoot(root, Params{Hash: vf.hf, ChunkSize: v.ChunkSize, Size: -1})
					if err != nil {
						t.Fatal(err)
					}
					if err := cold.VerifyChunk(vc.Chunk, data, nil); !errors.Is(err, ErrSizeUnknown) {
						t.Fatalf("verify before peaks: %v", err)
					}
					cands := append(toNodes(t, c.Peaks), toNodes(t, vc.UnclesToPeak)...)
					np, err := cold.AddPeaksPrefix(cands)
					if err != nil || np != len(c.Peaks) {
						t.Fatalf("peaks: used %d, err %v", np, err)
					}
					if cold.NumChunks() != c.NumChunks {
						t.Fatalf("peaks gave N=%d, want %d", cold.NumChunks(), c.NumChunks)
					}
					if err := cold.VerifyChunk(vc.Chunk, data, cands[np:]); err != nil {
						t.Fatalf("chunk %d with uncles to peak: %v", vc.Chunk, err)
					}
					size, ok := cold.Size()
					if isLast := vc.Chunk == c.NumChunks-1; ok != isLast || (ok && size != c.Size) {
						t.Fatalf("after chunk %d: size %d %v", vc.Chunk, size, ok)
					}
				}
			})
		}
	}
}
