package engine

import (
	"math/bits"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// bitmap is a set of chunk indices with a fixed capacity, used for our own verified chunks
// and for what each peer announced in HAVE messages.
type bitmap struct {
	words []uint64
	// summary has bit w set when words[w] is not zero, so anySet over a long range looks at
	// one bit per 64 chunks. The seeder asks "does the peer have anything under this tree
	// node" for every uncle of every chunk it sends, over ranges as large as the file.
	summary []uint64
	n       uint64 // capacity in chunks
	count   uint64 // bits set
}

func newBitmap(n uint64) bitmap {
	w := (n + 63) / 64
	return bitmap{words: make([]uint64, w), summary: make([]uint64, (w+63)/64), n: n}
}

func (b *bitmap) has(i uint64) bool { return i < b.n && b.words[i/64]&(1<<(i%64)) != 0 }

// set marks chunk i and reports whether it was new.
func (b *bitmap) set(i uint64) bool {
	if i >= b.n || b.has(i) {
		return false
	}
	b.words[i/64] |= 1 << (i % 64)
	b.summary[i/4096] |= 1 << (i / 64 % 64)
	b.count++
	return true
}

// setRange marks chunks r (clipped to capacity) and returns how many were new.
func (b *bitmap) setRange(r bins.ChunkRange) uint64 {
	if !r.Valid() || r.Start >= b.n {
		return 0
	}
	end := min(r.End, b.n-1)
	var added uint64
	for i := r.Start; i <= end; {
		if i%64 == 0 && end-i >= 63 {
			w := &b.words[i/64]
			fresh := 64 - uint64(bits.OnesCount64(*w))
			*w = ^uint64(0)
			b.summary[i/4096] |= 1 << (i / 64 % 64)
			added += fresh
			b.count += fresh
			i += 64
			continue
		}
		if b.set(i) {
			added++
		}
		i++
	}
	return added
}

func (b *bitmap) unset(i uint64) {
	if b.has(i) {
		b.words[i/64] &^= 1 << (i % 64)
		if b.words[i/64] == 0 {
			b.summary[i/4096] &^= 1 << (i / 64 % 64)
		}
		b.count--
	}
}

func (b *bitmap) full() bool { return b.count == b.n }

// allSet reports whether every chunk of r is in the set. Chunks past the end are not: a HAVE
// names real chunks only, as libswift's (0,1023),(1024,1024) for 1025 chunks does.
func (b *bitmap) allSet(r bins.ChunkRange) bool {
	if r.End >= b.n {
		return false
	}
	for i := r.Start; i <= r.End; {
		w := i / 64
		m := wordMask(i%64, min(r.End-w*64, 63))
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

// anySet reports whether any chunk of r is in the set: whole words by mask, and a summary
// bit per 64 words where the range covers them whole.
func (b *bitmap) anySet(r bins.ChunkRange) bool {
	if !r.Valid() || r.Start >= b.n {
		return false
	}
	end := min(r.End, b.n-1)
	for i := r.Start; i <= end; {
		if i%4096 == 0 && end-i >= 4095 {
			if b.summary[i/4096] != 0 {
				return true
			}
			i += 4096
			continue
		}
		w := i / 64
		if b.words[w]&wordMask(i%64, min(end-w*64, 63)) != 0 {
			return true
		}
		i = (w + 1) * 64
	}
	return false
}

// wordMask has bits lo..hi (inclusive) set.
func wordMask(lo, hi uint64) uint64 { return (^uint64(0) >> (63 - hi)) &^ (1<<lo - 1) }

func trailingZeros(x uint64) int { return bits.TrailingZeros64(x) }
