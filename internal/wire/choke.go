package wire

// Choke tells the peer its requests will not be answered (RFC 7574 §3.9, §8.12).
type Choke struct{}

// Unchoke tells the peer it may send requests again (RFC 7574 §3.9, §8.12).
type Unchoke struct{}

func (*Choke) Type() MsgType                               { return TypeChoke }
func (*Choke) Len(*Context) int                            { return 1 }
func (*Choke) Append(b []byte, _ *Context) ([]byte, error) { return append(b, byte(TypeChoke)), nil }

func (*Unchoke) Type() MsgType    { return TypeUnchoke }
func (*Unchoke) Len(*Context) int { return 1 }
func (*Unchoke) Append(b []byte, _ *Context) ([]byte, error) {
	return append(b, byte(TypeUnchoke)), nil
}
