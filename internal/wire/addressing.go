package wire

import (
	"encoding/binary"
	"fmt"
	"strconv"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// Addressing is the chunk addressing method, the value of protocol option 6
// (RFC 7574 §7.8, Table 6).
type Addressing uint8

// Chunk addressing methods. ChunkRange32 is the RFC's default and what libswift speaks.
const (
	Bin32        Addressing = 0
	ByteRange64  Addressing = 1
	ChunkRange32 Addressing = 2
	Bin64        Addressing = 3
	ChunkRange64 Addressing = 4
)

// Known reports whether a is an assigned addressing method.
func (a Addressing) Known() bool { return a <= ChunkRange64 }

// SpecSize is the wire size of one chunk specification, or 0 for an unknown method.
func (a Addressing) SpecSize() int {
	switch a {
	case Bin32:
		return 4
	case ChunkRange32, Bin64:
		return 8
	case ByteRange64, ChunkRange64:
		return 16
	}
	return 0
}

// WindowSize is the width of the live discard window option under this method: one number
// of the chunk specification (RFC 7574 §7.9), or 0 for an unknown method.
func (a Addressing) WindowSize() int {
	switch a {
	case Bin32, ChunkRange32:
		return 4
	case ByteRange64, Bin64, ChunkRange64:
		return 8
	}
	return 0
}

// IsBin reports whether the method names chunks by bin numbers.
func (a Addressing) IsBin() bool { return a == Bin32 || a == Bin64 }

func (a Addressing) String() string {
	switch a {
	case Bin32:
		return "bin32"
	case ByteRange64:
		return "byte64"
	case ChunkRange32:
		return "chunk32"
	case Bin64:
		return "bin64"
	case ChunkRange64:
		return "chunk64"
	}
	return "addressing_" + strconv.Itoa(int(a))
}

// ParseAddressing reads the names String prints.
func ParseAddressing(s string) (Addressing, error) {
	for a := Bin32; a <= ChunkRange64; a++ {
		if a.String() == s {
			return a, nil
		}
	}
	return 0, fmt.Errorf("unknown chunk addressing %q (want bin32, byte64, chunk32, bin64 or chunk64)", s)
}

// ChunkSpec is a chunk specification as it appears on the wire (RFC 7574 §4). Which field
// means something depends on the addressing method: Bin for bin addressing; Start and End
// (inclusive) for range addressing, in chunks, or in bytes for ByteRange64. The codec keeps
// the wire value as is, so a decoded spec encodes back to the same bytes.
type ChunkSpec struct {
	Bin        bins.Bin
	Start, End uint64
}

// BinSpec returns the spec of bin b for bin addressing.
func BinSpec(b bins.Bin) ChunkSpec { return ChunkSpec{Bin: b} }

// RangeSpec returns the spec of the inclusive range start..end for range addressing.
func RangeSpec(start, end uint64) ChunkSpec { return ChunkSpec{Start: start, End: end} }

// bin32None is the 32-bit wire form of the empty bin (RFC 7574 §4.2).
const bin32None = 0xFFFFFFFF

func appendSpec(b []byte, a Addressing, s ChunkSpec) ([]byte, error) {
	switch a {
	case Bin32:
		v := uint64(s.Bin)
		if s.Bin == bins.None {
			v = bin32None
		} else if v >= bin32None {
			return b, fmt.Errorf("%w: bin %d does not fit 32-bit bins", ErrBadValue, v)
		}
		return binary.BigEndian.AppendUint32(b, uint32(v)), nil
	case Bin64:
		return binary.BigEndian.AppendUint64(b, uint64(s.Bin)), nil
	case ChunkRange32:
		if s.Start > 0xFFFFFFFF || s.End > 0xFFFFFFFF {
			return b, fmt.Errorf("%w: range %d-%d does not fit 32-bit chunk ranges", ErrBadValue, s.Start, s.End)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(s.Start))
		return binary.BigEndian.AppendUint32(b, uint32(s.End)), nil
	case ByteRange64, ChunkRange64:
		b = binary.BigEndian.AppendUint64(b, s.Start)
		return binary.BigEndian.AppendUint64(b, s.End), nil
	}
	return b, fmt.Errorf("%w: chunk addressing %d", ErrBadValue, uint8(a))
}

// parseSpec reads one chunk spec from the front of b. Ranges must not be inverted; the RFC's
// ranges are inclusive and an inverted one names nothing (libswift ignores them too).
func parseSpec(b []byte, a Addressing) (ChunkSpec, int, error) {
	n := a.SpecSize()
	if n == 0 {
		return ChunkSpec{}, 0, fmt.Errorf("%w: chunk addressing %d", ErrBadValue, uint8(a))
	}
	if len(b) < n {
		return ChunkSpec{}, 0, truncated("chunk spec", n, len(b))
	}
	var s ChunkSpec
	switch a {
	case Bin32:
		v := uint64(binary.BigEndian.Uint32(b))
		if v == bin32None {
			s.Bin = bins.None
		} else {
			s.Bin = bins.Bin(v)
		}
		return s, n, nil
	case Bin64:
		s.Bin = bins.Bin(binary.BigEndian.Uint64(b))
		return s, n, nil
	case ChunkRange32:
		s.Start = uint64(binary.BigEndian.Uint32(b))
		s.End = uint64(binary.BigEndian.Uint32(b[4:]))
	default:
		s.Start = binary.BigEndian.Uint64(b)
		s.End = binary.BigEndian.Uint64(b[8:])
	}
	if s.End < s.Start {
		return ChunkSpec{}, 0, fmt.Errorf("%w: inverted range %d-%d", ErrBadValue, s.Start, s.End)
	}
	return s, n, nil
}

// FormatSpec prints a spec the way a reader thinks of it under method a: "bin 7 (0-7)",
// "chunks 0-1023", "bytes 0-1023".
func FormatSpec(a Addressing, s ChunkSpec) string {
	switch {
	case a.IsBin():
		if s.Bin == bins.None {
			return "bin none"
		}
		return fmt.Sprintf("bin %d (%d-%d)", uint64(s.Bin), s.Bin.BaseLeft(), s.Bin.BaseRight())
	case a == ByteRange64:
		return fmt.Sprintf("bytes %d-%d", s.Start, s.End)
	}
	return fmt.Sprintf("chunks %d-%d", s.Start, s.End)
}

// AppendSpec appends s in addressing a's wire form. Besides messages, live signatures need
// it: RFC 7574 §6.1.1 and §6.1.2.2 sign "the on-the-wire representation of the chunk
// specification".
func AppendSpec(b []byte, a Addressing, s ChunkSpec) ([]byte, error) { return appendSpec(b, a, s) }
