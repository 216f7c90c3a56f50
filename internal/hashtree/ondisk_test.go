package hashtree

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// writeLayersFile hashes content into a layer file at base and opens it as a tree on disk.
func writeLayersFile(t *testing.T, content []byte, cs int, hf HashFunc, base int64) (*Tree, *os.File) {
	t.Helper()
	f, err := os.Create(filepath.Join(t.TempDir(), "layers"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	root, err := WriteLayers(context.Background(), bytes.NewReader(content), int64(len(content)), cs, hf, f, base)
	if err != nil {
		t.Fatal(err)
	}
	tree, err := OpenLayers(root, Params{Hash: hf, ChunkSize: cs, Size: int64(len(content))}, f, base)
	if err != nil {
		t.Fatal(err)
	}
	return tree, f
}

// TestLayersOnDiskMatchInMemory: for random sizes, a tree written by WriteLayers (also in
// several segments) and read on demand has the root, every node hash and, for random chunks
// and peers, the uncles of the tree built in memory; the file is libswift's .mhash layout.
func TestLayersOnDiskMatchInMemory(t *testing.T) {
	old := layerSegmentLayer
	defer func() { layerSegmentLayer = old }()
	r := rand.New(rand.NewPCG(7, 8))
	for round := range 60 {
		layerSegmentLayer = uint(1 + r.IntN(6))
		cs := 16
		n := 1 + r.IntN(700)
		content := make([]byte, (n-1)*cs+1+r.IntN(cs))
		for i := range content {
			content[i] = byte(r.Uint32())
		}
		mem, err := Build(content, cs, SHA1)
		if err != nil {
			t.Fatal(err)
		}
		base := int64(r.IntN(100))
		disk, f := writeLayersFile(t, content, cs, SHA1, base)
		if !bytes.Equal(disk.Root(), mem.Root()) || disk.NumChunks() != mem.NumChunks() || !disk.Complete() {
			t.Fatalf("round %d n=%d: disk root %x / %d chunks, memory %x / %d", round, n, disk.Root(), disk.NumChunks(), mem.Root(), mem.NumChunks())
		}
		raw, err := os.ReadFile(f.Name())
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(raw[base:], mem.AppendMhash(nil)) {
			t.Fatalf("round %d n=%d: layer file is not the .mhash layout", round, n)
		}
		for b := bins.Bin(0); b < bins.Bin(4*n); b++ {
			h1, ok1 := mem.Hash(b)
			h2, ok2 := disk.Hash(b)
			if ok1 != ok2 || !bytes.Equal(h1, h2) {
				t.Fatalf("round %d n=%d bin %v: disk %x %v, memory %x %v", round, n, b, h2, ok2, h1, ok1)
			}
		}
		for range 30 {
			have := chunkHave{}
			for range r.IntN(5) {
				have[uint64(r.IntN(n))] = true
			}
			peer := Peer{Have: have, SizeKnown: r.IntN(2) == 0}
			if len(have) == 0 {
				peer.Have = nil
			}
			mode := Mode(r.IntN(2))
			b := bins.Chunk(uint64(r.IntN(n)))
			want, err1 := mem.Uncles(nil, b, mode, peer)
			got, err2 := disk.Uncles(nil, b, mode, peer)
			same := slices.EqualFunc(want, got, func(a, b NodeHash) bool { return a.Bin == b.Bin && bytes.Equal(a.Hash, b.Hash) })
			if (err1 == nil) != (err2 == nil) || !same {
				t.Fatalf("round %d n=%d chunk %v %v: disk %v (%v), memory %v (%v)", round, n, b, mode, got, err2, want, err1)
			}
		}
		chunk := content[:cs]
		if n == 1 {
			chunk = content
		}
		if err := disk.VerifyChunk(0, chunk, nil); err != nil {
			t.Fatalf("round %d: chunk 0 does not verify on disk: %v", round, err)
		}
		bad := append([]byte(nil), chunk...)
		bad[0] ^= 1
		if err := disk.VerifyChunk(0, bad, nil); !errors.Is(err, ErrHashMismatch) {
			t.Fatalf("round %d: a changed chunk 0 gave %v", round, err)
		}
		if err := disk.AddPeaks(mem.Peaks()); err != nil {
			t.Fatalf("round %d: the tree's own peaks: %v", round, err)
		}
	}
}

// TestLayersOnDiskCacheBounded: reading every hash of a large tree keeps at most
// layerCachePages pages.
func TestLayersOnDiskCacheBounded(t *testing.T) {
	content := make([]byte, 20000*16)
	disk, _ := writeLayersFile(t, content, 16, SHA1, 0)
	for b := bins.Bin(0); b < 40000; b++ {
		disk.Hash(b)
	}
	if got := disk.cachedPages(); got > layerCachePages {
		t.Fatalf("%d pages cached, bound %d", got, layerCachePages)
	}
}

// TestLayersOnDiskWrongRoot: a layer file of other content is refused.
func TestLayersOnDiskWrongRoot(t *testing.T) {
	content := bytes.Repeat([]byte("x"), 1000)
	f, err := os.Create(filepath.Join(t.TempDir(), "layers"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, err := WriteLayers(context.Background(), bytes.NewReader(content), 1000, 16, SHA1, f, 0); err != nil {
		t.Fatal(err)
	}
	other, _ := Build(bytes.Repeat([]byte("y"), 1000), 16, SHA1)
	if _, err := OpenLayers(other.Root(), Params{Hash: SHA1, ChunkSize: 16, Size: 1000}, f, 0); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("other root: %v", err)
	}
}
