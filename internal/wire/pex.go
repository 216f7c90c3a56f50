package wire

import (
	"encoding/binary"
	"fmt"
	"net/netip"
)

// PexReq asks for peer addresses (RFC 7574 §3.10, §8.13).
type PexReq struct{}

// PexResV4 gives one IPv4 peer address (RFC 7574 §8.13).
type PexResV4 struct{ Addr netip.AddrPort }

// PexResV6 gives one IPv6 peer address (RFC 7574 §8.13).
type PexResV6 struct{ Addr netip.AddrPort }

// PexResCert gives one peer as a DER X.509v3 membership certificate (RFC 7574 §8.13);
// Cert aliases the decoded datagram.
type PexResCert struct{ Cert []byte }

func (*PexReq) Type() MsgType                               { return TypePexReq }
func (*PexReq) Len(*Context) int                            { return 1 }
func (*PexReq) Append(b []byte, _ *Context) ([]byte, error) { return append(b, byte(TypePexReq)), nil }

func (*PexResV4) Type() MsgType    { return TypePexResV4 }
func (*PexResV4) Len(*Context) int { return 1 + 4 + 2 }

func (m *PexResV4) Append(b []byte, _ *Context) ([]byte, error) {
	if !m.Addr.Addr().Is4() {
		return b, fmt.Errorf("%w: PEX_RESv4 with address %v", ErrBadValue, m.Addr.Addr())
	}
	ip := m.Addr.Addr().As4()
	b = append(append(b, byte(TypePexResV4)), ip[:]...)
	return binary.BigEndian.AppendUint16(b, m.Addr.Port()), nil
}

func parsePexResV4(m *PexResV4, b []byte) (int, error) {
	if len(b) < 6 {
		return 0, truncated("address", 6, len(b))
	}
	m.Addr = netip.AddrPortFrom(netip.AddrFrom4([4]byte(b[:4])), binary.BigEndian.Uint16(b[4:]))
	return 6, nil
}

func (*PexResV6) Type() MsgType    { return TypePexResV6 }
func (*PexResV6) Len(*Context) int { return 1 + 16 + 2 }

func (m *PexResV6) Append(b []byte, _ *Context) ([]byte, error) {
	if !m.Addr.Addr().Is6() || m.Addr.Addr().Zone() != "" {
		return b, fmt.Errorf("%w: PEX_RESv6 with address %v", ErrBadValue, m.Addr.Addr())
	}
	ip := m.Addr.Addr().As16()
	b = append(append(b, byte(TypePexResV6)), ip[:]...)
	return binary.BigEndian.AppendUint16(b, m.Addr.Port()), nil
}

func parsePexResV6(m *PexResV6, b []byte) (int, error) {
	if len(b) < 18 {
		return 0, truncated("address", 18, len(b))
	}
	m.Addr = netip.AddrPortFrom(netip.AddrFrom16([16]byte(b[:16])), binary.BigEndian.Uint16(b[16:]))
	return 18, nil
}

func (*PexResCert) Type() MsgType      { return TypePexResCert }
func (m *PexResCert) Len(*Context) int { return 1 + 2 + len(m.Cert) }

func (m *PexResCert) Append(b []byte, _ *Context) ([]byte, error) {
	if len(m.Cert) > 0xFFFF {
		return b, fmt.Errorf("%w: %d-byte certificate", ErrTooLong, len(m.Cert))
	}
	b = binary.BigEndian.AppendUint16(append(b, byte(TypePexResCert)), uint16(len(m.Cert)))
	return append(b, m.Cert...), nil
}

func parsePexResCert(m *PexResCert, b []byte) (int, error) {
	if len(b) < 2 {
		return 0, truncated("certificate length", 2, len(b))
	}
	n := int(binary.BigEndian.Uint16(b))
	if len(b) < 2+n {
		return 0, truncated("certificate", n, len(b)-2)
	}
	m.Cert = b[2 : 2+n : 2+n]
	return 2 + n, nil
}
