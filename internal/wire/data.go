package wire

import (
	"encoding/binary"
	"fmt"
)

// Data carries chunk bytes (RFC 7574 §3.3, §8.6). Timestamp is the sender's clock in
// microseconds (a 64-bit integer, not NTP; libswift counts from the Unix epoch); the receiver
// echoes the delay it implies in an ACK for LEDBAT.
type Data struct {
	Spec      ChunkSpec
	Timestamp uint64
	Payload   []byte // aliases the decoded datagram
}

func (*Data) Type() MsgType { return TypeData }

func (m *Data) Len(c *Context) int { return 1 + c.Addressing.SpecSize() + 8 + len(m.Payload) }

func (m *Data) Append(b []byte, c *Context) ([]byte, error) {
	b, err := appendSpec(append(b, byte(TypeData)), c.Addressing, m.Spec)
	if err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint64(b, m.Timestamp)
	return append(b, m.Payload...), nil
}

func parseData(m *Data, b []byte, c *Context) (int, error) {
	s, n, err := parseSpec(b, c.Addressing)
	if err != nil {
		return 0, err
	}
	if len(b) < n+8 {
		return 0, truncated("timestamp", 8, len(b)-n)
	}
	m.Spec, m.Timestamp = s, binary.BigEndian.Uint64(b[n:])
	n += 8
	size, err := dataSize(s, c, len(b)-n)
	if err != nil {
		return 0, err
	}
	m.Payload = b[n : n+size : n+size]
	return n + size, nil
}

// dataSize is how many of the rest bytes belong to a DATA payload. DATA has no length field
// (RFC 7574 §8.6): with byte ranges the spec says it; with fixed-size chunks a DATA that is
// followed by more bytes spans exactly its chunks (only the last DATA may be short); else the
// payload runs to the end of the datagram.
func dataSize(s ChunkSpec, c *Context, rest int) (int, error) {
	if rest == 0 {
		return 0, fmt.Errorf("%w: DATA without payload", ErrTruncated)
	}
	if c.Addressing == ByteRange64 {
		want := s.End - s.Start + 1
		if want == 0 || want > uint64(rest) {
			return 0, fmt.Errorf("%w: byte range %d-%d needs %d bytes, %d left", ErrTruncated, s.Start, s.End, want, rest)
		}
		return int(want), nil
	}
	if c.ChunkSize == 0 || c.ChunkSize == VariableChunkSize {
		return rest, nil
	}
	var chunks uint64
	if c.Addressing.IsBin() {
		if s.Bin.IsNone() {
			return 0, fmt.Errorf("%w: DATA for the empty bin", ErrBadValue)
		}
		chunks = s.Bin.BaseLength()
	} else {
		chunks = s.End - s.Start + 1
	}
	if chunks != 0 && chunks <= uint64(rest)/uint64(c.ChunkSize) {
		return int(chunks * uint64(c.ChunkSize)), nil
	}
	return rest, nil
}
