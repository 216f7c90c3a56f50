// Package bins implements the bin numbering of RFC 7574 §4.2 and the conversions between
// bins, chunk ranges and byte ranges that every layer of ppsppd shares.
//
// A bin names a node of the infinite binary tree laid over the chunks of a swarm: chunk i is
// bin 2i (layer 0), and a parent is the mean of its two children. The node at (layer L,
// offset k) is k·2^(L+1) + 2^L − 1 and covers chunks k·2^L … (k+1)·2^L − 1.
//
// The package has no dependencies and no state, so the wire codec, the hash tree and the
// engine can all import it without cycles.
package bins

import (
	"fmt"
	"math/bits"
)

// Bin is a node of the bin tree. Values are 64-bit; the 32-bit wire form is a narrowing done
// by the codec (see wire), which maps the 32-bit "empty" value to None.
type Bin uint64

const (
	// None is the empty interval (all ones, RFC 7574 §4.2).
	None Bin = 1<<64 - 1
	// All is the 64-bit "everything" bin: layer 63, covering 2^63 chunks (RFC 7574 §4.2).
	All Bin = 1<<63 - 1
	// All32 is the 32-bit "everything" bin: layer 31, covering 2^31 chunks.
	All32 Bin = 1<<31 - 1
	// MaxLayer is the highest layer a Bin other than None can have.
	MaxLayer = 63
)

// New returns the bin at the given layer and offset. It panics when the result does not fit
// 64 bits, which only a caller's arithmetic error can cause.
func New(layer uint, offset uint64) Bin {
	if layer > MaxLayer || (layer > 0 && offset >= 1<<(63-layer)) || (layer == 0 && offset >= 1<<63) {
		panic(fmt.Sprintf("bins.New(%d, %d): out of range", layer, offset))
	}
	return Bin(offset<<(layer+1) | (1<<layer - 1))
}

// Chunk returns the layer-0 bin of chunk i.
func Chunk(i uint64) Bin { return New(0, i) }

// IsNone reports whether b is the empty interval.
func (b Bin) IsNone() bool { return b == None }

// Layer is the height of the node: the number of trailing one bits.
func (b Bin) Layer() uint { return uint(bits.TrailingZeros64(^uint64(b))) }

// Offset is the position of the node among the nodes of its layer.
func (b Bin) Offset() uint64 { return uint64(b) >> (b.Layer() + 1) }

// BaseLength is the number of chunks the node covers.
func (b Bin) BaseLength() uint64 { return 1 << b.Layer() }

// BaseLeft is the first chunk the node covers.
func (b Bin) BaseLeft() uint64 { return b.Offset() << b.Layer() }

// BaseRight is the last chunk the node covers (inclusive).
func (b Bin) BaseRight() uint64 { return b.BaseLeft() + b.BaseLength() - 1 }

// Range is the chunk range the node covers.
func (b Bin) Range() ChunkRange { return ChunkRange{Start: b.BaseLeft(), End: b.BaseRight()} }

// IsLeft reports whether b is the left child of its parent.
func (b Bin) IsLeft() bool { return b.Offset()&1 == 0 }

// IsRight reports whether b is the right child of its parent.
func (b Bin) IsRight() bool { return !b.IsLeft() }

// Parent is the node one layer up that covers b: the mean of b and its sibling, found by
// clearing bit L+1 and setting bit L. The top bin (All) has no parent and yields None.
func (b Bin) Parent() Bin {
	l := b.Layer()
	if l >= MaxLayer {
		return None
	}
	return Bin((uint64(b) &^ (1 << (l + 1))) | 1<<l)
}

// Sibling is the other child of b's parent.
func (b Bin) Sibling() Bin { return b ^ Bin(1<<(b.Layer()+1)) }

// Left is the left child of b; b must not be a chunk (layer 0).
func (b Bin) Left() Bin {
	l := b.Layer()
	if l == 0 {
		panic("bins: Left of a layer-0 bin")
	}
	return b - Bin(1<<(l-1))
}

// Right is the right child of b; b must not be a chunk (layer 0).
func (b Bin) Right() Bin {
	l := b.Layer()
	if l == 0 {
		panic("bins: Right of a layer-0 bin")
	}
	return b + Bin(1<<(l-1))
}

// Contains reports whether node c lies inside (or is) node b.
func (b Bin) Contains(c Bin) bool {
	if b == None || c == None {
		return false
	}
	return b.BaseLeft() <= c.BaseLeft() && c.BaseRight() <= b.BaseRight()
}

// String prints the bin with the chunks it covers, e.g. "7(0-7)".
func (b Bin) String() string {
	if b == None {
		return "none"
	}
	return fmt.Sprintf("%d(%d-%d)", uint64(b), b.BaseLeft(), b.BaseRight())
}
