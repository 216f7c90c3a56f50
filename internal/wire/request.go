package wire

// Request asks the receiver to send chunks (RFC 7574 §3.7, §8.10).
type Request struct{ Spec ChunkSpec }

func (*Request) Type() MsgType        { return TypeRequest }
func (m *Request) Len(c *Context) int { return specMsgLen(c) }
func (m *Request) Append(b []byte, c *Context) ([]byte, error) {
	return appendSpecMsg(b, TypeRequest, c, m.Spec)
}
