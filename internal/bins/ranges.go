package bins

import (
	"fmt"
	"math/bits"
)

// ChunkRange is an inclusive range of chunk indices, the form RFC 7574 §4.1.1 puts on the
// wire for chunk addressing.
type ChunkRange struct {
	Start, End uint64
}

// Len is the number of chunks in r; zero when r is inverted.
func (r ChunkRange) Len() uint64 {
	if r.End < r.Start {
		return 0
	}
	return r.End - r.Start + 1
}

// Valid reports whether Start <= End.
func (r ChunkRange) Valid() bool { return r.Start <= r.End }

// Contains reports whether chunk i lies in r.
func (r ChunkRange) Contains(i uint64) bool { return r.Start <= i && i <= r.End }

// Bin returns the bin whose range is exactly r, and false when r is not one bin's range
// (not a power-of-two length, or not aligned to it).
func (r ChunkRange) Bin() (Bin, bool) {
	n := r.Len()
	if n == 0 || n&(n-1) != 0 || r.Start%n != 0 {
		return None, false
	}
	layer := uint(0)
	for 1<<layer < n {
		layer++
	}
	if layer > MaxLayer {
		return None, false
	}
	return New(layer, r.Start>>layer), true
}

func (r ChunkRange) String() string { return fmt.Sprintf("(%d,%d)", r.Start, r.End) }

// MaxChunk is the highest chunk index the bin tree can name (RFC 7574 §4.2: the largest
// 64-bit interval is 2^63 chunks).
const MaxChunk = 1<<63 - 1

// AppendCover appends to dst the minimal ordered list of bins that covers r exactly: from the
// left, each step takes the largest bin that starts at the current chunk (aligned) and does
// not pass the end. It appends nothing for an inverted range or one that ends past MaxChunk.
// It does not allocate when dst has room (a range needs at most 2·63 bins).
func AppendCover(dst []Bin, r ChunkRange) []Bin {
	if !r.Valid() || r.End > MaxChunk {
		return dst
	}
	cur := r.Start
	for {
		// The largest layer at which cur is aligned, shrunk until the bin ends inside r.
		layer := uint(MaxLayer)
		if cur != 0 {
			layer = min(uint(bits.TrailingZeros64(cur)), MaxLayer)
		}
		for layer > 0 && r.End-cur < uint64(1)<<layer-1 {
			layer--
		}
		dst = append(dst, New(layer, cur>>layer))
		last := cur + (uint64(1)<<layer - 1)
		if last >= r.End {
			return dst
		}
		cur = last + 1
	}
}

// ByteRange is an inclusive range of byte offsets, the wire form of 64-bit byte-range
// addressing (RFC 7574 §4.1.2).
type ByteRange struct {
	Start, End uint64
}

func (r ByteRange) String() string { return fmt.Sprintf("[%d-%d]", r.Start, r.End) }

// ChunksToBytes converts chunks r of content with fixed chunkSize and total length
// contentLen into the bytes they hold. The end byte is inclusive and clipped at the content's
// end (RFC 7574 §4.1). It returns false when r starts beyond the content.
func ChunksToBytes(r ChunkRange, chunkSize, contentLen uint64) (ByteRange, bool) {
	if !r.Valid() || chunkSize == 0 {
		return ByteRange{}, false
	}
	start, ok := mulNoOverflow(r.Start, chunkSize)
	if !ok || start >= contentLen {
		return ByteRange{}, false
	}
	end, ok := mulNoOverflow(r.End+1, chunkSize)
	if !ok || r.End+1 == 0 || end > contentLen {
		end = contentLen
	}
	return ByteRange{Start: start, End: end - 1}, true
}

// BytesToChunks returns the chunks that hold any byte of r, for a fixed chunkSize.
func BytesToChunks(r ByteRange, chunkSize uint64) (ChunkRange, bool) {
	if r.End < r.Start || chunkSize == 0 {
		return ChunkRange{}, false
	}
	return ChunkRange{Start: r.Start / chunkSize, End: r.End / chunkSize}, true
}

func mulNoOverflow(a, b uint64) (uint64, bool) {
	if a == 0 || b == 0 {
		return 0, true
	}
	p := a * b
	return p, p/b == a
}
