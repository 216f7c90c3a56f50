package storage

import (
	"bytes"
	"errors"
	"os"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// TestOnDemandCorruptLayersNeverServed: a hash in the layer file damaged while the seed is
// open (bit rot, tampering) never reaches a reader or a peer: every chunk read fails or gives
// the right bytes, every uncle list fails (with hashtree.ErrCorruptLayers) or is the
// in-memory tree's; the bad page is counted, the layer file is dropped, and the next Open
// hashes the content again and serves everything.
func TestOnDemandCorruptLayersNeverServed(t *testing.T) {
	const size, cs = 300_001, 1024 // 293 chunks: three pages of hashes, a ragged right edge
	n := (size + cs - 1) / cs
	for _, slot := range []int{2 * 200, 2*5 + 1, 127, 255, 256 + 127, 2*n - 2} {
		opts, content, st := onDemandSeed(t, size, cs)
		closeStore(t, st)
		mem, err := hashtree.Build(content, cs, hashtree.SHA1)
		if err != nil {
			t.Fatal(err)
		}
		st = open(t, opts) // from the layer file: no page read yet
		layers := opts.ContentPath + CheckpointExt + LayersExt
		if got := st.Recovery().From; got != "layers" {
			t.Fatalf("opened from %q", got)
		}
		base := int64(layersFixed + hashtree.SHA1.Size() + ckptCRCLen)
		damage(t, layers, base+int64(slot)*int64(hashtree.SHA1.Size())+7)

		failed := 0
		for c := range n {
			buf := make([]byte, min(cs, size-c*cs))
			got, err := st.ReadAt(buf, int64(c*cs))
			if err != nil {
				failed++
				continue
			}
			if !bytes.Equal(buf[:got], content[c*cs:c*cs+got]) {
				t.Fatalf("slot %d: chunk %d read wrong bytes", slot, c)
			}
		}
		for c := range uint64(n) {
			want, err := mem.Uncles(nil, bins.Chunk(c), hashtree.ToRoot, hashtree.Peer{SizeKnown: true})
			if err != nil {
				t.Fatal(err)
			}
			got, err := st.Uncles(nil, bins.Chunk(c), hashtree.ToRoot, hashtree.Peer{SizeKnown: true})
			if err != nil {
				if !errors.Is(err, hashtree.ErrCorruptLayers) {
					t.Fatalf("slot %d: uncles of %d: %v", slot, c, err)
				}
				failed++
				continue
			}
			if !slices.EqualFunc(got, want, func(a, b hashtree.NodeHash) bool { return a.Bin == b.Bin && bytes.Equal(a.Hash, b.Hash) }) {
				t.Fatalf("slot %d: uncles of %d: %v, want %v", slot, c, got, want)
			}
		}
		if failed == 0 || st.CorruptLayerPages() == 0 {
			t.Fatalf("slot %d: damage unnoticed (%d failures, %d bad pages)", slot, failed, st.CorruptLayerPages())
		}
		if _, err := os.Stat(layers); !errors.Is(err, os.ErrNotExist) {
			t.Fatalf("slot %d: damaged layer file kept: %v", slot, err)
		}
		if err := st.Checkpoint(); err != nil {
			t.Fatalf("slot %d: checkpoint after a bad page: %v", slot, err)
		}
		closeStore(t, st)

		st = open(t, opts)
		if rec := st.Recovery(); rec.From != "rehash" {
			t.Fatalf("slot %d: after a bad page the seed opened from %q, want a rehash", slot, rec.From)
		}
		if got, err := readAll(st, size); err != nil || !bytes.Equal(got, content) {
			t.Fatalf("slot %d: reading after the rehash: %v", slot, err)
		}
		if st.CorruptLayerPages() != 0 {
			t.Fatalf("slot %d: rebuilt layer file has %d bad pages", slot, st.CorruptLayerPages())
		}
		closeStore(t, st)
	}
}

// damage flips one bit of the file at off in place, as bit rot would.
func damage(t *testing.T, path string, off int64) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	b := make([]byte, 1)
	if _, err := f.ReadAt(b, off); err != nil {
		t.Fatal(err)
	}
	b[0] ^= 0x10
	if _, err := f.WriteAt(b, off); err != nil {
		t.Fatal(err)
	}
}
