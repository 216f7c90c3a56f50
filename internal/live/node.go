package live

import (
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Node is one tree node's hash, named by the chunk range under it, as an INTEGRITY message
// carries it (RFC 7574 §8.8).
type Node struct {
	Start, End uint64
	Hash       []byte
}

// Signed is what a SIGNED_INTEGRITY message carries (RFC 7574 §8.9): the signed range
// (a munro, or one chunk under Sign All), the timestamp and the signature.
type Signed struct {
	Start, End uint64
	Timestamp  uint64
	Signature  []byte
}

// SignedMunro is a munro as a sender puts it before the chunks under it (§6.1.2.3): an
// INTEGRITY message with Hash and a SIGNED_INTEGRITY message with the rest, in one datagram.
type SignedMunro struct {
	Signed
	Hash []byte
}

// Integrity is the INTEGRITY message of the munro.
func (m SignedMunro) Integrity() Node { return Node{Start: m.Start, End: m.End, Hash: m.Hash} }

// specOf is the chunk spec of start..end in addressing a: a bin for bin addressing (the
// range must be one bin's), the range itself for chunk ranges. Byte ranges name bytes, not
// chunks, and live trees here are built over chunks, so they are refused.
func specOf(a wire.Addressing, start, end uint64) (wire.ChunkSpec, error) {
	switch {
	case a.IsBin():
		b, ok := bins.ChunkRange{Start: start, End: end}.Bin()
		if !ok {
			return wire.ChunkSpec{}, fmt.Errorf("%w: chunks %d-%d are not one bin", ErrBadMunro, start, end)
		}
		return wire.BinSpec(b), nil
	case a == wire.ChunkRange32 || a == wire.ChunkRange64:
		return wire.RangeSpec(start, end), nil
	}
	return wire.ChunkSpec{}, fmt.Errorf("live signatures over %v addressing are not supported", a)
}
