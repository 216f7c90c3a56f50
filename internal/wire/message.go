package wire

// Message is one PPSPP message. Append encodes the message, type byte first, onto b; Len is
// the size Append adds, so a sender can fill a datagram without encoding twice. Both take the
// channel's Context because sizes depend on what the handshake negotiated.
type Message interface {
	Type() MsgType
	Len(c *Context) int
	Append(b []byte, c *Context) ([]byte, error)
}

// ChannelID is a channel identifier (RFC 7574 §8.3): chosen by the receiving side, carried
// as the first 4 bytes of every datagram sent to it. 0 is reserved for starting a handshake.
type ChannelID uint32
