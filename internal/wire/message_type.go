package wire

import "strconv"

// MsgType is the one-byte message type code of RFC 7574 §8.2 (Table 7).
type MsgType uint8

// Message types. 14–254 are unassigned and 255 is reserved.
const (
	TypeHandshake       MsgType = 0
	TypeData            MsgType = 1
	TypeAck             MsgType = 2
	TypeHave            MsgType = 3
	TypeIntegrity       MsgType = 4
	TypePexResV4        MsgType = 5
	TypePexReq          MsgType = 6
	TypeSignedIntegrity MsgType = 7
	TypeRequest         MsgType = 8
	TypeCancel          MsgType = 9
	TypeChoke           MsgType = 10
	TypeUnchoke         MsgType = 11
	TypePexResV6        MsgType = 12
	TypePexResCert      MsgType = 13

	// NumMsgTypes is the number of assigned message types (0–13).
	NumMsgTypes = 14
)

var msgTypeNames = [NumMsgTypes]string{
	"HANDSHAKE", "DATA", "ACK", "HAVE", "INTEGRITY", "PEX_RESv4", "PEX_REQ",
	"SIGNED_INTEGRITY", "REQUEST", "CANCEL", "CHOKE", "UNCHOKE", "PEX_RESv6", "PEX_REScert",
}

// Known reports whether t is a message type RFC 7574 assigns.
func (t MsgType) Known() bool { return t < NumMsgTypes }

func (t MsgType) String() string {
	if t.Known() {
		return msgTypeNames[t]
	}
	return "TYPE_" + strconv.Itoa(int(t))
}
