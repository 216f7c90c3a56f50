package wire

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"strconv"
)

// OptionCode is a HANDSHAKE protocol option code (RFC 7574 §7, Table 2).
type OptionCode uint8

// Protocol options. 10–254 are unassigned; 255 ends the list.
const (
	OptVersion           OptionCode = 0
	OptMinVersion        OptionCode = 1
	OptSwarmID           OptionCode = 2
	OptIntegrity         OptionCode = 3
	OptHashFunc          OptionCode = 4
	OptSigAlg            OptionCode = 5
	OptAddressing        OptionCode = 6
	OptDiscardWindow     OptionCode = 7
	OptSupportedMessages OptionCode = 8
	OptChunkSize         OptionCode = 9
	OptEnd               OptionCode = 255

	numOptions = 10
)

var optionNames = [numOptions]string{
	"version", "min_version", "swarm_id", "integrity", "hash_func", "live_sig_alg",
	"addressing", "live_discard_window", "supported_messages", "chunk_size",
}

func (c OptionCode) String() string {
	if c < numOptions {
		return optionNames[c]
	}
	if c == OptEnd {
		return "end"
	}
	return "option_" + strconv.Itoa(int(c))
}

// Limits on variable-length options. A swarm ID is a hash (≤ 64 bytes) or a live public key
// (an RSA-4096 DNSKEY is ~520 bytes); libswift caps it at 1024 too. The supported-messages
// bitmap has 256 bits at most (RFC 7574 §7.10).
const (
	MaxSwarmIDLen           = 1024
	MaxSupportedMessagesLen = 32
)

// Special option values.
const (
	// VariableChunkSize in option 9 announces variable-size chunks (RFC 7574 §7.11).
	VariableChunkSize uint32 = 0xFFFFFFFF
	// KeepAll in option 7 says the peer never discards live chunks (RFC 7574 §7.9); encoded
	// as all ones in the window's width.
	KeepAll uint64 = 1<<64 - 1
)

// Options is the protocol option list of a HANDSHAKE. Only options marked present are
// encoded; Has tells which ones a decoded list carried. Byte fields alias the decoded input.
type Options struct {
	present uint16 // bit c set: option c is present

	Version           uint8
	MinVersion        uint8
	SwarmID           []byte
	Integrity         IntegrityMethod
	Hash              HashFunc
	SigAlg            SigAlg
	Addressing        Addressing
	DiscardWindow     uint64 // all ones (KeepAll) in any width means "never discards"
	SupportedMessages []byte // compressed bitmap as on the wire (RFC 7574 §7.10)
	ChunkSize         uint32
}

// Has reports whether option c is present.
func (o *Options) Has(c OptionCode) bool { return c < numOptions && o.present&(1<<c) != 0 }

// Remove drops option c from the list (used to fall back to what libswift accepts).
func (o *Options) Remove(c OptionCode) {
	if c < numOptions {
		o.present &^= 1 << c
	}
}

// Empty reports whether no option is present (the list is only the end option).
func (o *Options) Empty() bool { return o.present == 0 }

func (o *Options) mark(c OptionCode) { o.present |= 1 << c }

// SetVersion sets option 0.
func (o *Options) SetVersion(v uint8) { o.Version = v; o.mark(OptVersion) }

// SetMinVersion sets option 1.
func (o *Options) SetMinVersion(v uint8) { o.MinVersion = v; o.mark(OptMinVersion) }

// SetSwarmID sets option 2.
func (o *Options) SetSwarmID(id []byte) { o.SwarmID = id; o.mark(OptSwarmID) }

// SetIntegrity sets option 3.
func (o *Options) SetIntegrity(m IntegrityMethod) { o.Integrity = m; o.mark(OptIntegrity) }

// SetHash sets option 4.
func (o *Options) SetHash(h HashFunc) { o.Hash = h; o.mark(OptHashFunc) }

// SetSigAlg sets option 5.
func (o *Options) SetSigAlg(a SigAlg) { o.SigAlg = a; o.mark(OptSigAlg) }

// SetAddressing sets option 6.
func (o *Options) SetAddressing(a Addressing) { o.Addressing = a; o.mark(OptAddressing) }

// SetDiscardWindow sets option 7; its width follows option 6, which must be set too.
func (o *Options) SetDiscardWindow(w uint64) { o.DiscardWindow = w; o.mark(OptDiscardWindow) }

// SetSupportedMessages sets option 8 to a bitmap of the given types.
func (o *Options) SetSupportedMessages(types ...MsgType) {
	o.SupportedMessages = SupportedMessagesBitmap(types...)
	o.mark(OptSupportedMessages)
}

// SetChunkSize sets option 9.
func (o *Options) SetChunkSize(n uint32) { o.ChunkSize = n; o.mark(OptChunkSize) }

// Supports reports whether the peer announced support for message type t. Without option 8
// a peer supports every type (RFC 7574 §7.10: the option is sent only for a proper subset).
func (o *Options) Supports(t MsgType) bool {
	if !o.Has(OptSupportedMessages) {
		return true
	}
	i := int(t) / 8
	return i < len(o.SupportedMessages) && o.SupportedMessages[i]&(0x80>>(t%8)) != 0
}

// SupportedMessagesBitmap builds the compressed bitmap of RFC 7574 §7.10: bit t, counted
// from the most significant bit of the first byte, set for each type; trailing zero bytes
// dropped.
func SupportedMessagesBitmap(types ...MsgType) []byte {
	var full [MaxSupportedMessagesLen]byte
	n := 0
	for _, t := range types {
		full[t/8] |= 0x80 >> (t % 8)
		n = max(n, int(t)/8+1)
	}
	return bytes.Clone(full[:n])
}

// Len is the encoded size of the list including the end option.
func (o *Options) Len() int {
	n := 1
	for c := OptionCode(0); c < numOptions; c++ {
		if !o.Has(c) {
			continue
		}
		switch c {
		case OptSwarmID:
			n += 3 + len(o.SwarmID)
		case OptDiscardWindow:
			n += 1 + o.Addressing.WindowSize()
		case OptSupportedMessages:
			n += 2 + len(o.SupportedMessages)
		case OptChunkSize:
			n += 5
		default:
			n += 2
		}
	}
	return n
}

// Append encodes the present options in ascending code order (RFC 7574 §7) and the end option.
func (o *Options) Append(b []byte) ([]byte, error) {
	for c := OptionCode(0); c < numOptions; c++ {
		if !o.Has(c) {
			continue
		}
		b = append(b, byte(c))
		switch c {
		case OptVersion:
			b = append(b, o.Version)
		case OptMinVersion:
			b = append(b, o.MinVersion)
		case OptSwarmID:
			if len(o.SwarmID) > MaxSwarmIDLen {
				return b, fmt.Errorf("option swarm_id: %w: %d bytes", ErrTooLong, len(o.SwarmID))
			}
			b = binary.BigEndian.AppendUint16(b, uint16(len(o.SwarmID)))
			b = append(b, o.SwarmID...)
		case OptIntegrity:
			b = append(b, byte(o.Integrity))
		case OptHashFunc:
			b = append(b, byte(o.Hash))
		case OptSigAlg:
			b = append(b, byte(o.SigAlg))
		case OptAddressing:
			b = append(b, byte(o.Addressing))
		case OptDiscardWindow:
			switch {
			case !o.Has(OptAddressing):
				return b, fmt.Errorf("option live_discard_window: %w: needs the addressing option for its width", ErrBadValue)
			case o.Addressing.WindowSize() == 4:
				b = binary.BigEndian.AppendUint32(b, uint32(o.DiscardWindow))
			case o.Addressing.WindowSize() == 8:
				b = binary.BigEndian.AppendUint64(b, o.DiscardWindow)
			default:
				return b, fmt.Errorf("option live_discard_window: %w: addressing %d", ErrBadValue, o.Addressing)
			}
		case OptSupportedMessages:
			if len(o.SupportedMessages) > MaxSupportedMessagesLen {
				return b, fmt.Errorf("option supported_messages: %w: %d bytes", ErrTooLong, len(o.SupportedMessages))
			}
			b = append(b, byte(len(o.SupportedMessages)))
			b = append(b, o.SupportedMessages...)
		case OptChunkSize:
			b = binary.BigEndian.AppendUint32(b, o.ChunkSize)
		}
	}
	return append(b, byte(OptEnd)), nil
}

// ParseOptions decodes an option list that makes up the whole of b (end option last).
// Bytes after the end option are an error here; inside a datagram they are the next message.
func ParseOptions(b []byte) (Options, error) {
	o, n, err := parseOptions(b)
	if err != nil {
		return o, err
	}
	if n != len(b) {
		return o, fmt.Errorf("%w: %d bytes after the end option", ErrTrailingBytes, len(b)-n)
	}
	return o, nil
}

// parseOptions decodes options from the front of b up to and including the end option and
// returns how many bytes that took. Options must be in strictly ascending order; an unknown
// code cannot be skipped (there is no generic length), so it fails the whole list.
func parseOptions(b []byte) (Options, int, error) {
	var o Options
	off := 0
	last := -1
	for {
		if off >= len(b) {
			return o, off, fmt.Errorf("%w: option list has no end option", ErrTruncated)
		}
		c := OptionCode(b[off])
		if c == OptEnd {
			return o, off + 1, nil
		}
		if c >= numOptions {
			return o, off, fmt.Errorf("%w: code %d at offset %d", ErrUnknownOption, uint8(c), off)
		}
		if int(c) <= last {
			return o, off, fmt.Errorf("%w: %v after %v", ErrOptionOrder, c, OptionCode(last))
		}
		last = int(c)
		n, err := o.parseValue(c, b[off+1:])
		if err != nil {
			return o, off, fmt.Errorf("option %v at offset %d: %w", c, off, err)
		}
		o.mark(c)
		off += 1 + n
	}
}

// parseValue reads option c's value from the front of b into o and returns its length.
func (o *Options) parseValue(c OptionCode, b []byte) (int, error) {
	switch c {
	case OptSwarmID:
		if len(b) < 2 {
			return 0, truncated("length", 2, len(b))
		}
		n := int(binary.BigEndian.Uint16(b))
		if n > MaxSwarmIDLen {
			return 0, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLong, n, MaxSwarmIDLen)
		}
		if len(b) < 2+n {
			return 0, truncated("swarm ID", n, len(b)-2)
		}
		o.SwarmID = b[2 : 2+n : 2+n]
		return 2 + n, nil
	case OptDiscardWindow:
		if !o.Has(OptAddressing) {
			return 0, fmt.Errorf("%w: width unknown without an earlier addressing option", ErrBadValue)
		}
		w := o.Addressing.WindowSize()
		if w == 0 {
			return 0, fmt.Errorf("%w: width unknown for addressing %d", ErrBadValue, uint8(o.Addressing))
		}
		if len(b) < w {
			return 0, truncated("window", w, len(b))
		}
		if w == 4 {
			o.DiscardWindow = uint64(binary.BigEndian.Uint32(b))
		} else {
			o.DiscardWindow = binary.BigEndian.Uint64(b)
		}
		return w, nil
	case OptSupportedMessages:
		if len(b) < 1 {
			return 0, truncated("length", 1, 0)
		}
		n := int(b[0])
		if n > MaxSupportedMessagesLen {
			return 0, fmt.Errorf("%w: %d bytes (max %d)", ErrTooLong, n, MaxSupportedMessagesLen)
		}
		if len(b) < 1+n {
			return 0, truncated("bitmap", n, len(b)-1)
		}
		o.SupportedMessages = b[1 : 1+n : 1+n]
		return 1 + n, nil
	case OptChunkSize:
		if len(b) < 4 {
			return 0, truncated("value", 4, len(b))
		}
		o.ChunkSize = binary.BigEndian.Uint32(b)
		return 4, nil
	}
	if len(b) < 1 {
		return 0, truncated("value", 1, 0)
	}
	v := b[0]
	switch c {
	case OptVersion:
		o.Version = v
	case OptMinVersion:
		o.MinVersion = v
	case OptIntegrity:
		o.Integrity = IntegrityMethod(v)
	case OptHashFunc:
		o.Hash = HashFunc(v)
	case OptSigAlg:
		o.SigAlg = SigAlg(v)
	case OptAddressing:
		o.Addressing = Addressing(v)
	}
	return 1, nil
}
