package wire

// Cancel withdraws earlier requests for chunks (RFC 7574 §3.8, §8.11).
type Cancel struct{ Spec ChunkSpec }

func (*Cancel) Type() MsgType        { return TypeCancel }
func (m *Cancel) Len(c *Context) int { return specMsgLen(c) }
func (m *Cancel) Append(b []byte, c *Context) ([]byte, error) {
	return appendSpecMsg(b, TypeCancel, c, m.Spec)
}
