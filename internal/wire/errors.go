package wire

import (
	"errors"
	"fmt"
)

// Sentinel causes of a decode or encode failure. A *DecodeError wraps exactly one of them.
var (
	// ErrTruncated: the input ends inside a message or option.
	ErrTruncated = errors.New("truncated")
	// ErrUnknownMessage: a message type code RFC 7574 §8.2 does not assign (14–255).
	ErrUnknownMessage = errors.New("unknown message type")
	// ErrUnknownOption: a HANDSHAKE option code RFC 7574 §7 does not assign. Options carry no
	// generic length, so the rest of the list cannot be parsed past it.
	ErrUnknownOption = errors.New("unknown protocol option")
	// ErrOptionOrder: options out of ascending order or repeated (RFC 7574 §7 requires sorted).
	ErrOptionOrder = errors.New("protocol options out of order or repeated")
	// ErrTooLong: a length field over the limit we accept.
	ErrTooLong = errors.New("length over limit")
	// ErrBadValue: a field whose value the codec cannot use (e.g. an unassigned chunk
	// addressing method, an inverted range, a bin that does not fit 32 bits).
	ErrBadValue = errors.New("bad value")
	// ErrNoContext: the message's length depends on something the handshake has not fixed
	// (a signature length without a known live signature algorithm or key).
	ErrNoContext = errors.New("length not known from the handshake")
	// ErrHandshakeNotFirst: a HANDSHAKE that is not the first message (RFC 7574 §3.1).
	ErrHandshakeNotFirst = errors.New("HANDSHAKE not first in datagram")
	// ErrTrailingBytes: bytes left after a structure that must end the input.
	ErrTrailingBytes = errors.New("trailing bytes")
)

// DecodeError says which message failed, where, and why.
type DecodeError struct {
	Index  int     // index of the message within the datagram (0-based); -1 for the header
	Type   MsgType // type of the failing message, when the type byte was read
	Offset int     // byte offset of the failing message within the datagram
	Err    error   // wraps one of the sentinel errors
}

func (e *DecodeError) Error() string {
	if e.Index < 0 {
		return fmt.Sprintf("ppspp datagram header: %v", e.Err)
	}
	return fmt.Sprintf("ppspp message %d (%v) at offset %d: %v", e.Index, e.Type, e.Offset, e.Err)
}

func (e *DecodeError) Unwrap() error { return e.Err }

// truncated builds the error for a field that needs more bytes than are left.
func truncated(what string, need, have int) error {
	return fmt.Errorf("%w: %s needs %d bytes, %d left", ErrTruncated, what, need, have)
}
