package wire

import (
	"encoding/binary"
	"fmt"
)

// SignedIntegrity carries the live injector's signature over a chunk (Sign All) or a munro
// (Unified Merkle Tree) (RFC 7574 §6.1, §8.9). Timestamp is a 64-bit NTP value per the RFC
// (libswift sends its microsecond clock instead). Signature is in DNSSEC RRSIG form and
// aliases the decoded datagram.
type SignedIntegrity struct {
	Spec      ChunkSpec
	Timestamp uint64
	Signature []byte
}

func (*SignedIntegrity) Type() MsgType { return TypeSignedIntegrity }

func (m *SignedIntegrity) Len(c *Context) int {
	return 1 + c.Addressing.SpecSize() + 8 + len(m.Signature)
}

func (m *SignedIntegrity) Append(b []byte, c *Context) ([]byte, error) {
	if want := c.SignatureSize(); want != 0 && len(m.Signature) != want {
		return b, fmt.Errorf("%w: %d-byte signature, algorithm %d signs with %d", ErrBadValue, len(m.Signature), c.SigAlg, want)
	}
	b, err := appendSpec(append(b, byte(TypeSignedIntegrity)), c.Addressing, m.Spec)
	if err != nil {
		return b, err
	}
	b = binary.BigEndian.AppendUint64(b, m.Timestamp)
	return append(b, m.Signature...), nil
}

func parseSignedIntegrity(m *SignedIntegrity, b []byte, c *Context) (int, error) {
	s, n, err := parseSpec(b, c.Addressing)
	if err != nil {
		return 0, err
	}
	sig := c.SignatureSize()
	if sig == 0 {
		return 0, fmt.Errorf("%w: signature length for algorithm %d", ErrNoContext, c.SigAlg)
	}
	if len(b) < n+8+sig {
		return 0, truncated("timestamp and signature", 8+sig, len(b)-n)
	}
	m.Spec, m.Timestamp = s, binary.BigEndian.Uint64(b[n:])
	m.Signature = b[n+8 : n+8+sig : n+8+sig]
	return n + 8 + sig, nil
}
