package wire

// HAVE, REQUEST and CANCEL carry nothing but a chunk spec; this file holds their shared
// encoding so each type stays a one-liner.

func appendSpecMsg(b []byte, t MsgType, c *Context, s ChunkSpec) ([]byte, error) {
	return appendSpec(append(b, byte(t)), c.Addressing, s)
}

func specMsgLen(c *Context) int { return 1 + c.Addressing.SpecSize() }
