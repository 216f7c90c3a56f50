package wire

// Have announces chunks the sender has verified (RFC 7574 §3.2, §8.5).
type Have struct{ Spec ChunkSpec }

func (*Have) Type() MsgType        { return TypeHave }
func (m *Have) Len(c *Context) int { return specMsgLen(c) }
func (m *Have) Append(b []byte, c *Context) ([]byte, error) {
	return appendSpecMsg(b, TypeHave, c, m.Spec)
}
