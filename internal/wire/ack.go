package wire

import "encoding/binary"

// Ack acknowledges verified chunks and returns a one-way delay sample in microseconds for
// LEDBAT (RFC 7574 §3.4, §8.7). The RFC leaves the sign open; libswift sends it signed.
type Ack struct {
	Spec  ChunkSpec
	Delay int64
}

func (*Ack) Type() MsgType        { return TypeAck }
func (m *Ack) Len(c *Context) int { return 1 + c.Addressing.SpecSize() + 8 }

func (m *Ack) Append(b []byte, c *Context) ([]byte, error) {
	b, err := appendSpec(append(b, byte(TypeAck)), c.Addressing, m.Spec)
	if err != nil {
		return b, err
	}
	return binary.BigEndian.AppendUint64(b, uint64(m.Delay)), nil
}

func parseAck(m *Ack, b []byte, c *Context) (int, error) {
	s, n, err := parseSpec(b, c.Addressing)
	if err != nil {
		return 0, err
	}
	if len(b) < n+8 {
		return 0, truncated("delay sample", 8, len(b)-n)
	}
	m.Spec, m.Delay = s, int64(binary.BigEndian.Uint64(b[n:]))
	return n + 8, nil
}
