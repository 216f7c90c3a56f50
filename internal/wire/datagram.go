package wire

import (
	"encoding/binary"
	"fmt"
)

// HeaderLen is the size of the destination channel ID that starts every datagram.
const HeaderLen = 4

// Datagram is a decoded datagram: the destination channel and its messages in order.
// A datagram with no messages is a keep-alive (RFC 7574 §8.14).
type Datagram struct {
	Channel  ChannelID
	Messages []Message
}

// AppendHeader starts a datagram to channel ch.
func AppendHeader(b []byte, ch ChannelID) []byte {
	return binary.BigEndian.AppendUint32(b, uint32(ch))
}

// AppendDatagram encodes a whole datagram: header, then msgs in order. A HANDSHAKE among
// msgs updates c, as it does when decoding, so what follows it encodes as negotiated.
func AppendDatagram(b []byte, ch ChannelID, c *Context, msgs ...Message) ([]byte, error) {
	b = AppendHeader(b, ch)
	for i, m := range msgs {
		var err error
		if b, err = m.Append(b, c); err != nil {
			return b, fmt.Errorf("encode message %d (%v): %w", i, m.Type(), err)
		}
		if h, ok := m.(*Handshake); ok {
			if err := c.Apply(&h.Options); err != nil {
				return b, fmt.Errorf("encode message %d (HANDSHAKE): %w", i, err)
			}
		}
	}
	return b, nil
}

// Decoder decodes datagrams into messages it owns and reuses, so a long-lived Decoder
// decodes without allocating. The messages of one Decode call, and the byte slices in them,
// stay valid until the next call on the same Decoder (and only as long as the input buffer).
// A Decoder is not safe for concurrent use.
type Decoder struct {
	msgs       []Message
	handshakes []Handshake
	datas      []Data
	acks       []Ack
	haves      []Have
	integrity  []Integrity
	signed     []SignedIntegrity
	requests   []Request
	cancels    []Cancel
	pexV4      []PexResV4
	pexV6      []PexResV6
	pexCert    []PexResCert
}

// Shared values for the message types that carry no fields.
var (
	chokeMsg   = &Choke{}
	unchokeMsg = &Unchoke{}
	pexReqMsg  = &PexReq{}
)

// DecodeDatagram decodes b with a fresh Decoder; see Decoder.Decode.
func DecodeDatagram(b []byte, c *Context) (Datagram, error) {
	var d Decoder
	return d.Decode(b, c)
}

// Decode decodes one datagram using channel context c. A HANDSHAKE's options are applied to
// c (see Context.Apply), so the messages after it decode as it negotiated. On error the
// returned Datagram holds the messages decoded before the failing one, and the error is a
// *DecodeError; RFC 7574 §3 says to drop the rest of such a datagram.
func (d *Decoder) Decode(b []byte, c *Context) (Datagram, error) {
	d.reset()
	if len(b) < HeaderLen {
		return Datagram{}, &DecodeError{Index: -1, Err: truncated("channel ID", HeaderLen, len(b))}
	}
	dg := Datagram{Channel: ChannelID(binary.BigEndian.Uint32(b))}
	off := HeaderLen
	for i := 0; off < len(b); i++ {
		t := MsgType(b[off])
		n, m, err := d.decodeMessage(t, b[off+1:], c, i)
		if err != nil {
			dg.Messages = d.msgs
			return dg, &DecodeError{Index: i, Type: t, Offset: off, Err: err}
		}
		d.msgs = append(d.msgs, m)
		off += 1 + n
	}
	dg.Messages = d.msgs
	return dg, nil
}

func (d *Decoder) decodeMessage(t MsgType, b []byte, c *Context, index int) (int, Message, error) {
	switch t {
	case TypeHandshake:
		if index != 0 {
			return 0, nil, ErrHandshakeNotFirst
		}
		m := grow(&d.handshakes)
		n, err := parseHandshake(m, b)
		if err == nil {
			err = c.Apply(&m.Options)
		}
		return n, m, err
	case TypeData:
		m := grow(&d.datas)
		n, err := parseData(m, b, c)
		return n, m, err
	case TypeAck:
		m := grow(&d.acks)
		n, err := parseAck(m, b, c)
		return n, m, err
	case TypeHave:
		m := grow(&d.haves)
		s, n, err := parseSpec(b, c.Addressing)
		m.Spec = s
		return n, m, err
	case TypeIntegrity:
		m := grow(&d.integrity)
		n, err := parseIntegrity(m, b, c)
		return n, m, err
	case TypePexResV4:
		m := grow(&d.pexV4)
		n, err := parsePexResV4(m, b)
		return n, m, err
	case TypePexReq:
		return 0, pexReqMsg, nil
	case TypeSignedIntegrity:
		m := grow(&d.signed)
		n, err := parseSignedIntegrity(m, b, c)
		return n, m, err
	case TypeRequest:
		m := grow(&d.requests)
		s, n, err := parseSpec(b, c.Addressing)
		m.Spec = s
		return n, m, err
	case TypeCancel:
		m := grow(&d.cancels)
		s, n, err := parseSpec(b, c.Addressing)
		m.Spec = s
		return n, m, err
	case TypeChoke:
		return 0, chokeMsg, nil
	case TypeUnchoke:
		return 0, unchokeMsg, nil
	case TypePexResV6:
		m := grow(&d.pexV6)
		n, err := parsePexResV6(m, b)
		return n, m, err
	case TypePexResCert:
		m := grow(&d.pexCert)
		n, err := parsePexResCert(m, b)
		return n, m, err
	}
	return 0, nil, ErrUnknownMessage
}

// grow appends a zero T to *s and returns a pointer to it. When the append reallocates, the
// pointers handed out earlier keep the old array alive, so they stay valid.
func grow[T any](s *[]T) *T {
	var zero T
	*s = append(*s, zero)
	return &(*s)[len(*s)-1]
}

func (d *Decoder) reset() {
	clear(d.msgs) // drop references so old payload buffers can be collected
	d.msgs = d.msgs[:0]
	d.handshakes = d.handshakes[:0]
	d.datas = d.datas[:0]
	d.acks = d.acks[:0]
	d.haves = d.haves[:0]
	d.integrity = d.integrity[:0]
	d.signed = d.signed[:0]
	d.requests = d.requests[:0]
	d.cancels = d.cancels[:0]
	d.pexV4 = d.pexV4[:0]
	d.pexV6 = d.pexV6[:0]
	d.pexCert = d.pexCert[:0]
}
