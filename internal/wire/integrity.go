package wire

import "fmt"

// Integrity carries the hash of one Merkle tree node, named by the chunk range under it
// (RFC 7574 §5.3, §8.8). Hash aliases the decoded datagram.
type Integrity struct {
	Spec ChunkSpec
	Hash []byte
}

func (*Integrity) Type() MsgType        { return TypeIntegrity }
func (m *Integrity) Len(c *Context) int { return 1 + c.Addressing.SpecSize() + c.HashSize() }

func (m *Integrity) Append(b []byte, c *Context) ([]byte, error) {
	if len(m.Hash) != c.HashSize() {
		return b, fmt.Errorf("%w: %d-byte hash on a %v channel", ErrBadValue, len(m.Hash), c.Hash)
	}
	b, err := appendSpec(append(b, byte(TypeIntegrity)), c.Addressing, m.Spec)
	return append(b, m.Hash...), err
}

func parseIntegrity(m *Integrity, b []byte, c *Context) (int, error) {
	s, n, err := parseSpec(b, c.Addressing)
	if err != nil {
		return 0, err
	}
	h := c.HashSize()
	if h == 0 {
		return 0, fmt.Errorf("%w: hash function %d", ErrNoContext, uint8(c.Hash))
	}
	if len(b) < n+h {
		return 0, truncated("hash", h, len(b)-n)
	}
	m.Spec, m.Hash = s, b[n:n+h:n+h]
	return n + h, nil
}
