package hashtree

import (
	"context"
	"fmt"
	"io"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// layerSegmentLayer sets the part of the content WriteLayers hashes at a time: subtrees of
// 2^16 chunks, whose hashes take 2^17·H bytes (2.5 MiB for SHA-1) whatever the content's
// size, so a 16 GiB file is hashed in as little memory as a 64 MiB one.
var layerSegmentLayer uint = 16 // a variable so tests can make segments small

// WriteLayers hashes size bytes of content read from r (all cores, as BuildFromReaderAt)
// and writes every hash of its tree to w in libswift's .mhash layout, the hash of bin b at
// offset base + b·H and a zero hash for bin 2N−1, without holding the tree in memory. It
// returns the root hash. OpenLayers reads the result.
func WriteLayers(ctx context.Context, r io.ReaderAt, size int64, chunkSize int, hf HashFunc, w io.WriterAt, base int64) ([]byte, error) {
	p, err := Params{Hash: hf, ChunkSize: chunkSize, Size: size, MaxChunks: 1 << 40}.normalize()
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("hashtree: hashing needs the content size, got %d", size)
	}
	n := chunkCount(size, p.ChunkSize)
	hl := int64(hf.Size())
	seg := uint(min(layerSegmentLayer, topLayer(n)))
	width := uint64(1) << seg
	cs := int64(p.ChunkSize)
	// The hashes of the full segments' roots: the filled nodes above them are made from
	// these once every segment is written.
	var tops []byte
	for c0 := uint64(0); c0 < n; c0 += width {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		c1 := min(c0+width, n)
		off := int64(c0) * cs
		segSize := min(int64(c1)*cs, size) - off
		t, err := build(ctx, readerSource{io.NewSectionReader(r, off, segSize)}, segSize, p.ChunkSize, hf)
		if err != nil {
			return nil, err
		}
		// An aligned subtree's bins are its own bins shifted by its first bin, so its
		// filled nodes land in one contiguous run of the file.
		filled := int64(2*t.n - 1)
		if _, err := w.WriteAt(t.hashes[:filled*hl], base+int64(2*c0)*hl); err != nil {
			return nil, fmt.Errorf("hashtree: writing hashes: %w", err)
		}
		if c1-c0 == width {
			h, _ := t.lookup(t.RootBin())
			tops = append(tops, h...)
		}
	}
	var h [MaxHashSize]byte
	for l := seg + 1; len(tops) >= int(2*hl); l++ {
		next := tops[:0:0]
		for k := int64(0); (k+1)*2*hl <= int64(len(tops)); k++ {
			hf.sumPair(h[:hl], tops[2*k*hl:(2*k+1)*hl], tops[(2*k+1)*hl:(2*k+2)*hl])
			b := bins.New(l, uint64(k))
			if _, err := w.WriteAt(h[:hl], base+int64(b)*hl); err != nil {
				return nil, fmt.Errorf("hashtree: writing hashes: %w", err)
			}
			next = append(next, h[:hl]...)
		}
		tops = next
	}
	// Bin 2N−1 holds no node; libswift's layout has a zero hash there.
	if _, err := w.WriteAt(zeroHash[:hl], base+int64(2*n-1)*hl); err != nil {
		return nil, fmt.Errorf("hashtree: writing hashes: %w", err)
	}
	ra, ok := w.(io.ReaderAt)
	if !ok {
		return nil, fmt.Errorf("hashtree: WriteLayers needs to read back the edge of the tree")
	}
	t, err := openLayersNoRoot(p, ra, base)
	if err != nil {
		return nil, err
	}
	return append([]byte(nil), t.root...), nil
}
