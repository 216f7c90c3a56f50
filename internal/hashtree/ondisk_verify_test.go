package hashtree

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"slices"
	"sync"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// memFile is a layer file in memory that a test can damage while a tree reads it.
type memFile struct {
	mu  sync.Mutex
	buf []byte
}

func (f *memFile) WriteAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if need := int(off) + len(p); need > len(f.buf) {
		f.buf = append(f.buf, make([]byte, need-len(f.buf))...)
	}
	return copy(f.buf[off:], p), nil
}

func (f *memFile) ReadAt(p []byte, off int64) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if off >= int64(len(f.buf)) {
		return 0, errors.New("memFile: read past the end")
	}
	n := copy(p, f.buf[off:])
	if n < len(p) {
		return n, errors.New("memFile: short read")
	}
	return n, nil
}

func (f *memFile) flip(off int64, mask byte) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.buf[off] ^= mask
}

// layersInMemory writes content's layer file into a memFile at base and returns the
// in-memory tree of the same content.
func layersInMemory(t testing.TB, content []byte, cs int, base int64) (*memFile, *Tree) {
	t.Helper()
	f := &memFile{}
	if _, err := WriteLayers(context.Background(), bytes.NewReader(content), int64(len(content)), cs, SHA1, f, base); err != nil {
		t.Fatal(err)
	}
	mem, err := Build(content, cs, SHA1)
	if err != nil {
		t.Fatal(err)
	}
	return f, mem
}

func openMem(t testing.TB, f *memFile, mem *Tree, cs int, size int64, base int64) (*Tree, error) {
	t.Helper()
	return OpenLayers(mem.Root(), Params{Hash: SHA1, ChunkSize: cs, Size: size}, f, base)
}

func sameHashes(a, b []NodeHash) bool {
	return slices.EqualFunc(a, b, func(x, y NodeHash) bool { return x.Bin == y.Bin && bytes.Equal(x.Hash, y.Hash) })
}

// unclePeers are the peers every chunk's uncles are asked for: cold (peaks first), one
// that knows the size, and one holding chunk 0.
var unclePeers = []struct {
	mode Mode
	peer Peer
}{
	{ToPeak, Peer{}},
	{ToRoot, Peer{SizeKnown: true}},
	{ToPeak, Peer{Have: chunkHave{0: true}}},
}

// checkNeverWrong asks disk for every node hash and every chunk's uncles and fails the test
// when any answer differs from mem's; failures are allowed. It returns the failed lookups.
func checkNeverWrong(t *testing.T, what string, disk, mem *Tree) (failed int) {
	t.Helper()
	n := mem.NumChunks()
	for b := bins.Bin(0); b < bins.Bin(4*n); b++ {
		want, okMem := mem.Hash(b)
		got, ok := disk.Hash(b)
		if !okMem {
			if ok {
				t.Fatalf("%s: bin %v outside the tree gave %x", what, b, got)
			}
			continue
		}
		if !ok {
			failed++
			continue
		}
		if !bytes.Equal(got, want) {
			t.Fatalf("%s: bin %v: disk gave %x, the tree is %x", what, b, got, want)
		}
	}
	for c := range n {
		for _, up := range unclePeers {
			want, err := mem.Uncles(nil, bins.Chunk(c), up.mode, up.peer)
			if err != nil {
				t.Fatalf("%s: memory uncles of %d: %v", what, c, err)
			}
			got, err := disk.Uncles(nil, bins.Chunk(c), up.mode, up.peer)
			if err != nil {
				if !errors.Is(err, ErrMissingHash) {
					t.Fatalf("%s: uncles of %d failed with %v", what, c, err)
				}
				failed++
				continue
			}
			if !sameHashes(got, want) {
				t.Fatalf("%s: chunk %d %v: disk uncles %v, memory %v", what, c, up.mode, got, want)
			}
		}
	}
	return failed
}

// corruptionCounts are the chunk counts tried: the small trees, the page boundaries and a
// few with a ragged right edge over several pages.
var corruptionCounts = []int{1, 2, 3, 127, 128, 129, 255, 256, 257, 383, 1000}

// targetSlots picks the slots to damage in a tree of n chunks: leaves, inner nodes, each
// page's subtree root and ancestor slot, the right edge, and random ones.
func targetSlots(r *rand.Rand, n int) []int {
	slots := 2*n - 1
	out := []int{0, slots - 1, slots / 2, r.IntN(slots)}
	for k := 0; k*layerPageHashes < slots; k++ {
		for _, at := range []int{127, 255, 2 * r.IntN(127), 2*r.IntN(63) + 1} {
			if s := k*layerPageHashes + at; s < slots {
				out = append(out, s)
			}
		}
	}
	for i := max(0, slots-8); i < slots; i++ {
		out = append(out, i)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// TestLayersCorruptAfterOpenNeverWrong: one damaged byte in any hash of the layer file,
// made after the tree was opened, never gives a wrong hash or uncle: the lookups that need
// the damaged page fail, with ErrCorruptLayers, and the page is counted.
func TestLayersCorruptAfterOpenNeverWrong(t *testing.T) {
	r := rand.New(rand.NewPCG(11, 12))
	const cs = 16
	for _, n := range append(slices.Clone(corruptionCounts), 1+r.IntN(600), 600+r.IntN(1500)) {
		content := randomContent(r, (n-1)*cs+1+r.IntN(cs))
		base := int64(r.IntN(64))
		f, mem := layersInMemory(t, content, cs, base)
		clean, err := openMem(t, f, mem, cs, int64(len(content)), base)
		if err != nil {
			t.Fatalf("n=%d: %v", n, err)
		}
		if failed := checkNeverWrong(t, "clean", clean, mem); failed != 0 || clean.CorruptPages() != 0 {
			t.Fatalf("n=%d: clean file: %d lookups failed, %d pages corrupt", n, failed, clean.CorruptPages())
		}
		slotsTried := targetSlots(r, n)
		if testing.Short() && len(slotsTried) > 6 {
			slotsTried = slotsTried[:6]
		}
		for _, slot := range slotsTried {
			disk, err := openMem(t, f, mem, cs, int64(len(content)), base)
			if err != nil {
				t.Fatalf("n=%d: %v", n, err)
			}
			off := base + int64(slot)*20 + int64(r.IntN(20))
			mask := byte(1 << r.IntN(8))
			f.flip(off, mask)
			failed := checkNeverWrong(t, "damaged", disk, mem)
			b := bins.Bin(slot)
			_, kind := mem.classify(b)
			if kind == kindFilled {
				// The damaged node itself may still be answered, correctly, when a climb
				// from another page proved it; checkNeverWrong saw every answer.
				if failed == 0 || disk.CorruptPages() == 0 {
					t.Fatalf("n=%d slot %d: damage unnoticed (%d failed, %d pages counted)", n, slot, failed, disk.CorruptPages())
				}
				if _, err := disk.Uncles(nil, b.Sibling(), ToRoot, Peer{SizeKnown: true}); b.Layer() == 0 && b.Sibling().BaseLeft() < uint64(n) && !errors.Is(err, ErrCorruptLayers) {
					t.Fatalf("n=%d slot %d: uncles needing the damaged leaf gave %v", n, slot, err)
				}
			}
			f.flip(off, mask) // repaired: a new tree reads it well again
		}
	}
}

// TestLayersCorruptBeforeOpen: damage made before open is refused at open or, like
// damage after open, never gives a wrong hash.
func TestLayersCorruptBeforeOpen(t *testing.T) {
	r := rand.New(rand.NewPCG(13, 14))
	const cs = 16
	for _, n := range corruptionCounts {
		content := randomContent(r, n*cs)
		f, mem := layersInMemory(t, content, cs, 0)
		for range 4 {
			off := int64(r.IntN(2*n-1))*20 + int64(r.IntN(20))
			f.flip(off, 0x80)
			disk, err := openMem(t, f, mem, cs, int64(len(content)), 0)
			if err == nil {
				checkNeverWrong(t, "damaged before open", disk, mem)
			} else if !errors.Is(err, ErrHashMismatch) {
				t.Fatalf("n=%d: open of a damaged file: %v", n, err)
			}
			f.flip(off, 0x80)
		}
	}
}

// TestLayersVerifiedEveryChunkInOrder: on a clean file, the uncles of every chunk, asked
// in order as a seeder serving a downloader would, are exactly the in-memory tree's,
// across many pages and with the trusted set overflowing.
func TestLayersVerifiedEveryChunkInOrder(t *testing.T) {
	r := rand.New(rand.NewPCG(15, 16))
	const cs = 1
	n := 70000
	if testing.Short() {
		n = 5000
	}
	content := randomContent(r, n*cs)
	f, mem := layersInMemory(t, content, cs, 7)
	disk, err := openMem(t, f, mem, cs, int64(len(content)), 7)
	if err != nil {
		t.Fatal(err)
	}
	have := &prefixHave{}
	for c := range uint64(n) {
		for _, mode := range []Mode{ToPeak, ToRoot} {
			peer := Peer{Have: have, SizeKnown: true}
			if c == 0 {
				peer.Have = nil
			}
			want, err1 := mem.Uncles(nil, bins.Chunk(c), mode, peer)
			got, err2 := disk.Uncles(nil, bins.Chunk(c), mode, peer)
			if err1 != nil || err2 != nil || !sameHashes(got, want) {
				t.Fatalf("chunk %d %v: disk %v (%v), memory %v (%v)", c, mode, got, err2, want, err1)
			}
		}
		leaf, ok := disk.Hash(bins.Chunk(c))
		want, _ := mem.Hash(bins.Chunk(c))
		if !ok || !bytes.Equal(leaf, want) {
			t.Fatalf("leaf %d: %x %v", c, leaf, ok)
		}
		have.n = c + 1
	}
	if disk.CorruptPages() != 0 {
		t.Fatalf("%d pages of a clean file failed", disk.CorruptPages())
	}
}

// prefixHave is a peer holding chunks 0 … n−1, one that downloads in order.
type prefixHave struct{ n uint64 }

func (h *prefixHave) HasAny(r bins.ChunkRange) bool { return r.Start < h.n }

var _ HaveSet = (*prefixHave)(nil)
