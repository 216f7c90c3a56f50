package wire

import (
	"encoding/binary"
	"fmt"
)

// Handshake opens (or, with source channel 0, closes) a channel (RFC 7574 §8.4): the sender's
// channel ID for the receiver to reply to, then the protocol options.
type Handshake struct {
	Source  ChannelID
	Options Options
}

// IsClose reports whether this is an explicit close (source channel all zeros, §8.4).
func (h *Handshake) IsClose() bool { return h.Source == 0 }

func (*Handshake) Type() MsgType { return TypeHandshake }

func (h *Handshake) Len(*Context) int { return 1 + 4 + h.Options.Len() }

func (h *Handshake) Append(b []byte, _ *Context) ([]byte, error) {
	b = append(b, byte(TypeHandshake))
	b = binary.BigEndian.AppendUint32(b, uint32(h.Source))
	return h.Options.Append(b)
}

func parseHandshake(h *Handshake, b []byte) (int, error) {
	if len(b) < 4 {
		return 0, truncated("source channel", 4, len(b))
	}
	h.Source = ChannelID(binary.BigEndian.Uint32(b))
	o, n, err := parseOptions(b[4:])
	if err != nil {
		return 0, fmt.Errorf("options: %w", err)
	}
	h.Options = o
	return 4 + n, nil
}
