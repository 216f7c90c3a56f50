package engine

import (
	"math/bits"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// bitmap is a set of chunk indices with a fixed capacity, used for our own verified chunks
// and for what each peer announced in HAVE messages.
type bitmap struct {
	words []uint64
	// tree answers "is any chunk under this bin set" in one bit test for bins of 64 chunks
	// and more: a binary tree over the words in bin numbering (RFC 7574 §4.2), the word w
	// being leaf w, each node set when a word under it is not zero. The seeder asks that
	// question for every uncle of every chunk it sends (hashtree's Uncles), up to the root.
	tree []uint64
	// top is the tree's root layer: the words, rounded up to a power of two, are 2^top.
	top   uint
	n     uint64 // capacity in chunks
	count uint64 // bits set
	// base is the chunk of bit 0: 0 for static content; for a live swarm the window of
	// chunks the bitmap covers slides along the stream (slideTo), a multiple of 64 so that
	// the words of a swarm's bitmaps line up. Methods take chunk indices; the words and
	// the tree are relative to base.
	base uint64
}

func newBitmap(n uint64) bitmap {
	w := (n + 63) / 64
	top := uint(bits.Len64(max(w, 1) - 1))
	return bitmap{words: make([]uint64, w), tree: make([]uint64, (uint64(2)<<top+63)/64), top: top, n: n}
}

// treeIndex is the bit of the tree node at layer l (in words), offset o.
func treeIndex(l uint, o uint64) uint64 { return o<<(l+1) | (1<<l - 1) }

func (b *bitmap) treeHas(l uint, o uint64) bool {
	i := treeIndex(l, o)
	return b.tree[i/64]&(1<<(i%64)) != 0
}

// wordFilled marks word w's leaf and the nodes above it up to the first already marked.
func (b *bitmap) wordFilled(w uint64) {
	for l := uint(0); l <= b.top; l, w = l+1, w/2 {
		i := treeIndex(l, w)
		if b.tree[i/64]&(1<<(i%64)) != 0 {
			return
		}
		b.tree[i/64] |= 1 << (i % 64)
	}
}

// wordEmptied clears word w's leaf and each node above it whose other half is empty too.
func (b *bitmap) wordEmptied(w uint64) {
	i := treeIndex(0, w)
	b.tree[i/64] &^= 1 << (i % 64)
	for l := uint(1); l <= b.top; l++ {
		w /= 2
		if b.treeHas(l-1, 2*w) || b.treeHas(l-1, 2*w+1) {
			return
		}
		i := treeIndex(l, w)
		b.tree[i/64] &^= 1 << (i % 64)
	}
}

func (b *bitmap) has(i uint64) bool {
	if i < b.base {
		return false
	}
	i -= b.base
	return i < b.n && b.words[i/64]&(1<<(i%64)) != 0
}

// set marks chunk i and reports whether it was new.
func (b *bitmap) set(i uint64) bool {
	if i < b.base || b.has(i) {
		return false
	}
	i -= b.base
	if i >= b.n {
		return false
	}
	if b.words[i/64] == 0 {
		b.wordFilled(i / 64)
	}
	b.words[i/64] |= 1 << (i % 64)
	b.count++
	return true
}

// setRange marks chunks r (clipped to capacity) and returns how many were new.
func (b *bitmap) setRange(r bins.ChunkRange) uint64 {
	if !r.Valid() || r.End < b.base || r.Start-min(r.Start, b.base) >= b.n {
		return 0
	}
	start := max(r.Start, b.base) - b.base
	end := min(r.End-b.base, b.n-1)
	var added uint64
	for i := start; i <= end; {
		if i%64 == 0 && end-i >= 63 {
			w := &b.words[i/64]
			fresh := 64 - uint64(bits.OnesCount64(*w))
			if *w == 0 {
				b.wordFilled(i / 64)
			}
			*w = ^uint64(0)
			added += fresh
			b.count += fresh
			i += 64
			continue
		}
		if b.set(b.base + i) {
			added++
		}
		i++
	}
	return added
}

func (b *bitmap) unset(i uint64) {
	if b.has(i) {
		i -= b.base
		b.words[i/64] &^= 1 << (i % 64)
		if b.words[i/64] == 0 {
			b.wordEmptied(i / 64)
		}
		b.count--
	}
}

func (b *bitmap) full() bool { return b.count == b.n }

// allSet reports whether every chunk of r is in the set. Chunks past the end are not: a HAVE
// names real chunks only, as libswift's (0,1023),(1024,1024) for 1025 chunks does.
func (b *bitmap) allSet(r bins.ChunkRange) bool {
	if r.Start < b.base || r.End-b.base >= b.n {
		return false
	}
	end := r.End - b.base
	for i := r.Start - b.base; i <= end; {
		w := i / 64
		m := wordMask(i%64, min(end-w*64, 63))
		if b.words[w]&m != m {
			return false
		}
		i = (w + 1) * 64
	}
	return true
}

// largestComplete is the biggest bin containing chunk i whose chunks are all set: what HAVE
// and ACK announce (RFC 7574 §4.3.1, §4.3.2). Chunk i itself must be set.
func (b *bitmap) largestComplete(i uint64) bins.Bin {
	cur := bins.Chunk(i)
	for cur.Layer() < bins.MaxLayer {
		p := cur.Parent()
		if !b.allSet(p.Range()) {
			break
		}
		cur = p
	}
	return cur
}

// anySet reports whether any chunk of r is in the set. It walks r in the largest aligned
// blocks that fit: blocks within a word by mask, blocks of whole words by one tree bit, so an
// aligned bin costs one test and any range O(log) of them.
func (b *bitmap) anySet(r bins.ChunkRange) bool {
	if !r.Valid() || r.End < b.base || r.Start-min(r.Start, b.base) >= b.n {
		return false
	}
	// Relative to base, which is 0 for static content; for a live window the blocks are
	// aligned to the window's words, which the tree is built over.
	end := min(r.End-b.base, b.n-1)
	for i := max(r.Start, b.base) - b.base; i <= end; {
		// The block at i: as large as i's alignment allows and the rest of the range holds.
		size := uint64(1) << (bits.Len64(end-i+1) - 1)
		if i != 0 {
			size = min(size, i&-i)
		}
		if size < 64 {
			w := i / 64
			hi := min(end, w*64+63)
			if b.words[w]&wordMask(i%64, hi%64) != 0 {
				return true
			}
			i = hi + 1
			continue
		}
		l := uint(bits.TrailingZeros64(size)) - 6
		if l > b.top {
			// A block larger than the tree starts at 0 (alignment) and covers all of it.
			return b.treeHas(b.top, 0)
		}
		if b.treeHas(l, i>>(l+6)) {
			return true
		}
		i += size
	}
	return false
}

// slideTo moves the bitmap's window to start at chunk base (a multiple of 64, not behind
// the current one): the chunks before it are forgotten, those after the old end start
// unset. A live swarm's bitmaps slide together, so their words stay aligned.
func (b *bitmap) slideTo(base uint64) {
	if base <= b.base {
		return
	}
	k := (base - b.base) / 64
	if k >= uint64(len(b.words)) {
		clear(b.words)
	} else {
		n := copy(b.words, b.words[k:])
		clear(b.words[n:])
	}
	b.base = base
	clear(b.tree)
	b.count = 0
	for w, word := range b.words {
		if word != 0 {
			b.count += uint64(bits.OnesCount64(word))
			b.wordFilled(uint64(w))
		}
	}
}

// wordMask has bits lo..hi (inclusive) set.
func wordMask(lo, hi uint64) uint64 { return (^uint64(0) >> (63 - hi)) &^ (1<<lo - 1) }

func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }
