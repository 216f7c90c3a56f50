package hashtree

import (
	"fmt"
	"math/bits"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// DefaultChunkSize is the chunk size RFC 7574 §8.1 recommends (a DATA datagram then fits an
// Ethernet frame); libswift uses it too.
const DefaultChunkSize = 1024

// DefaultMaxChunks bounds the trees a Tree will hold when Params.MaxChunks is zero: hashes
// live in memory (2·N·hash size bytes: 5 GiB of SHA-1 hashes at this bound, for 128 GiB of
// content in 1 KiB chunks). A verified peak list can announce any count, so a bound is
// needed to keep a hostile swarm ID from making us allocate without limit.
const DefaultMaxChunks = 1 << 27

// NodeHash is one tree node with its hash: what an INTEGRITY message carries (§8.8).
// Hash slices returned by a Tree point into the tree and must not be modified.
type NodeHash struct {
	Bin  bins.Bin
	Hash []byte
}

// Params describe a swarm's tree. They are swarm metadata, known out of band (§3.1).
type Params struct {
	Hash HashFunc
	// ChunkSize in bytes; 0 means DefaultChunkSize. Fixed-size chunks are assumed (needed
	// for §5.6 size detection and for chunk ↔ byte arithmetic).
	ChunkSize int
	// Size is the content length in bytes, or -1 when unknown (§5.6 automatic size
	// detection: the peaks give the chunk count, the last chunk the exact length).
	Size int64
	// MaxChunks caps the chunk count; 0 means DefaultMaxChunks.
	MaxChunks uint64
}

func (p Params) normalize() (Params, error) {
	if !p.Hash.Valid() {
		return p, fmt.Errorf("hashtree: invalid hash function %d", uint8(p.Hash))
	}
	if p.ChunkSize == 0 {
		p.ChunkSize = DefaultChunkSize
	}
	if p.ChunkSize < 1 {
		return p, fmt.Errorf("hashtree: chunk size %d", p.ChunkSize)
	}
	if p.MaxChunks == 0 {
		p.MaxChunks = DefaultMaxChunks
	}
	if p.MaxChunks > 1<<40 {
		p.MaxChunks = 1 << 40 // keeps slot arithmetic far from int overflow
	}
	if p.Size == 0 {
		return p, ErrEmptyContent
	}
	if p.Size < 0 {
		p.Size = -1
	} else if n := chunkCount(p.Size, p.ChunkSize); n > p.MaxChunks {
		return p, fmt.Errorf("%w: %d chunks > %d", ErrTooLarge, n, p.MaxChunks)
	}
	return p, nil
}

func chunkCount(size int64, chunkSize int) uint64 {
	return uint64((size + int64(chunkSize) - 1) / int64(chunkSize))
}

// Tree is a Merkle hash tree with a set of hashes known to be correct: all of them for a
// tree built from content, only the root for a tree made from a swarm ID.
//
// Layout: the hashes of filled nodes (every chunk they cover exists) sit in slot = bin
// number, bins 0 … 2N−2, which is libswift's .mhash order. The at most one node per layer
// that covers the last chunk and also padding (an "incomplete" node, §5.6.1) sits in slot
// 2N−1+layer. Nodes covering only padding are all-zero and not stored.
//
// A Tree is not safe for concurrent use while it is being changed (VerifyBin, AddPeaks);
// read-only methods may run concurrently with each other.
type Tree struct {
	p      Params
	hl     int
	root   []byte
	n      uint64 // chunk count, 0 while unknown
	top    uint   // layer of the root
	last   int    // length of the last chunk, 0 while unknown
	hashes []byte
	known  []uint64 // bit per slot
	// disk, when set, holds every hash of a complete tree in a file instead of hashes and
	// known (ondisk.go): read on demand, never changed.
	disk *diskHashes

	// Scratch for verification, kept here so that verifying a chunk does not allocate.
	cur, next [MaxHashSize]byte
	pendBin   [2 * (bins.MaxLayer + 1)]bins.Bin
	pendHash  [2 * (bins.MaxLayer + 1)][MaxHashSize]byte
	sub       []byte // subtree hashes when a DATA message carries a bin of several chunks
}

var zeroHash [MaxHashSize]byte

// node kinds, see Tree.
const (
	kindFilled = iota
	kindIncomplete
	kindEmpty
	kindOutside
)

// newTree allocates the hash storage for n chunks and stores the root in its slot when
// root is not nil.
func newTree(p Params, root []byte, n uint64) *Tree {
	t := &Tree{p: p, hl: p.Hash.Size()}
	if root != nil {
		t.root = append([]byte(nil), root...)
	}
	if n > 0 {
		t.setN(n)
	}
	return t
}

// setN fixes the chunk count, allocates storage and seeds the root slot.
func (t *Tree) setN(n uint64) {
	t.n = n
	t.top = topLayer(n)
	slots := t.slotCount()
	t.hashes = make([]byte, slots*t.hl)
	t.known = make([]uint64, (slots+63)/64)
	if t.p.Size > 0 {
		t.last = int(t.p.Size - int64(n-1)*int64(t.p.ChunkSize))
	}
	if t.root != nil {
		slot, _ := t.classify(t.RootBin())
		t.store(slot, t.root)
	}
}

func topLayer(n uint64) uint {
	if n <= 1 {
		return 0
	}
	return uint(bits.Len64(n - 1))
}

func (t *Tree) slotCount() int { return int(2*t.n-1) + int(t.top) + 1 }

// classify tells what kind of node b is in this tree and, for stored kinds, its slot.
func (t *Tree) classify(b bins.Bin) (slot int, kind int) {
	if b == bins.None || t.n == 0 {
		return 0, kindOutside
	}
	l := b.Layer()
	if l > t.top {
		return 0, kindOutside
	}
	left := b.BaseLeft()
	if left >= 1<<t.top {
		return 0, kindOutside
	}
	switch {
	case b.BaseRight() < t.n:
		return int(b), kindFilled
	case left >= t.n:
		return 0, kindEmpty
	default:
		return int(2*t.n-1) + int(l), kindIncomplete
	}
}

func (t *Tree) isKnown(slot int) bool {
	if t.disk != nil {
		return true // complete: every stored node is known
	}
	return t.known[slot>>6]&(1<<(slot&63)) != 0
}

func (t *Tree) slotHash(slot int) []byte {
	if t.disk != nil {
		return t.disk.slotOrZero(t, slot)
	}
	return t.hashes[slot*t.hl : (slot+1)*t.hl : (slot+1)*t.hl]
}

func (t *Tree) store(slot int, h []byte) {
	copy(t.hashes[slot*t.hl:], h[:t.hl])
	t.known[slot>>6] |= 1 << (slot & 63)
}

// lookup returns the trusted hash of b: stored and known, or all-zero padding.
func (t *Tree) lookup(b bins.Bin) ([]byte, bool) {
	slot, kind := t.classify(b)
	switch kind {
	case kindEmpty:
		return zeroHash[:t.hl:t.hl], true
	case kindFilled, kindIncomplete:
		if t.disk != nil {
			return t.disk.slot(t, slot)
		}
		if t.isKnown(slot) {
			return t.slotHash(slot), true
		}
	}
	return nil, false
}

// Hash returns the verified hash of node b, or false when it is not known (or b is not a
// node of this tree). Nodes wholly past the end of the content are all zero (§5.1).
// The slice must not be modified.
func (t *Tree) Hash(b bins.Bin) ([]byte, bool) { return t.lookup(b) }

// Root is the root hash, i.e. the swarm ID (§1.3, §5.1). Do not modify it.
func (t *Tree) Root() []byte { return t.root }

// RootBin is the root's bin, or bins.None while the chunk count is unknown.
func (t *Tree) RootBin() bins.Bin {
	if t.n == 0 {
		return bins.None
	}
	return bins.New(t.top, 0)
}

// HashFunc is the tree's hash function.
func (t *Tree) HashFunc() HashFunc { return t.p.Hash }

// ChunkSize is the fixed chunk size in bytes.
func (t *Tree) ChunkSize() int { return t.p.ChunkSize }

// NumChunks is the chunk count N, or 0 while it is unknown.
func (t *Tree) NumChunks() uint64 { return t.n }

// Size is the content length in bytes. It is known when it was given, when the tree was
// built from content, or once the last chunk has verified (§5.6.2).
func (t *Tree) Size() (int64, bool) {
	if t.n == 0 || t.last == 0 {
		return 0, false
	}
	return int64(t.n-1)*int64(t.p.ChunkSize) + int64(t.last), true
}

// ChunkLen is the length of chunk i in bytes, when known.
func (t *Tree) ChunkLen(i uint64) (int, bool) {
	switch {
	case t.n == 0 || i >= t.n:
		return 0, false
	case i < t.n-1:
		return t.p.ChunkSize, true
	case t.last == 0:
		return 0, false
	}
	return t.last, true
}

// Complete reports whether every chunk's hash is known, so the tree can serve and check
// any chunk. It scans the leaves: O(N).
func (t *Tree) Complete() bool {
	if t.n == 0 {
		return false
	}
	for i := uint64(0); i < t.n; i++ {
		if !t.isKnown(int(2 * i)) {
			return false
		}
	}
	return true
}

// AppendPeakBins appends the peaks of a tree over n chunks: one filled node per one bit of
// n, largest (leftmost) first (§5.6.1).
func AppendPeakBins(dst []bins.Bin, n uint64) []bins.Bin {
	start := uint64(0)
	for l := bits.Len64(n) - 1; l >= 0; l-- {
		if n&(1<<l) != 0 {
			dst = append(dst, bins.New(uint(l), start>>l))
			start += 1 << l
		}
	}
	return dst
}

// Peaks returns the peak hashes (§5.6.1), largest first, or nil while the chunk count or
// any peak's hash is unknown.
func (t *Tree) Peaks() []NodeHash {
	if t.n == 0 {
		return nil
	}
	var out []NodeHash
	for _, b := range AppendPeakBins(nil, t.n) {
		h, ok := t.lookup(b)
		if !ok {
			return nil
		}
		out = append(out, NodeHash{Bin: b, Hash: h})
	}
	return out
}

// peakOf returns the peak whose subtree holds chunk c (c < n).
func (t *Tree) peakOf(c uint64) bins.Bin {
	start := uint64(0)
	for l := bits.Len64(t.n) - 1; l >= 0; l-- {
		if t.n&(1<<l) != 0 {
			if c < start+1<<l {
				return bins.New(uint(l), start>>l)
			}
			start += 1 << l
		}
	}
	return bins.None
}

// underPeak reports whether b lies strictly below a peak: a node a libswift-style
// receiver learns only from uncles, not from the peak list.
func (t *Tree) underPeak(b bins.Bin) bool {
	left := b.BaseLeft()
	if left >= t.n {
		return false
	}
	p := t.peakOf(left)
	return p != b && p.Contains(b)
}
