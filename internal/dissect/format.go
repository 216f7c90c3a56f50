package dissect

import (
	"encoding/hex"
	"fmt"
	"strings"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// ShortHex abbreviates long byte strings as "first4…last2 (NB)", keeping short ones whole.
func ShortHex(b []byte) string {
	if len(b) <= 8 {
		return hex.EncodeToString(b)
	}
	return fmt.Sprintf("%x…%x(%dB)", b[:4], b[len(b)-2:], len(b))
}

// FormatMessage prints one message's type and fields on one line.
func FormatMessage(m wire.Message, c *wire.Context) string {
	a := c.Addressing
	switch m := m.(type) {
	case *wire.Handshake:
		if m.IsClose() {
			return "HANDSHAKE close" + formatOptions(&m.Options)
		}
		return fmt.Sprintf("HANDSHAKE src=%08x%s", uint32(m.Source), formatOptions(&m.Options))
	case *wire.Data:
		return fmt.Sprintf("DATA %s ts=%d len=%d", wire.FormatSpec(a, m.Spec), m.Timestamp, len(m.Payload))
	case *wire.Ack:
		return fmt.Sprintf("ACK %s delay=%dus", wire.FormatSpec(a, m.Spec), m.Delay)
	case *wire.Have:
		return "HAVE " + wire.FormatSpec(a, m.Spec)
	case *wire.Request:
		return "REQUEST " + wire.FormatSpec(a, m.Spec)
	case *wire.Cancel:
		return "CANCEL " + wire.FormatSpec(a, m.Spec)
	case *wire.Integrity:
		return fmt.Sprintf("INTEGRITY %s %s", wire.FormatSpec(a, m.Spec), ShortHex(m.Hash))
	case *wire.SignedIntegrity:
		return fmt.Sprintf("SIGNED_INTEGRITY %s ts=%#016x sig=%s", wire.FormatSpec(a, m.Spec), m.Timestamp, ShortHex(m.Signature))
	case *wire.PexResV4:
		return "PEX_RESv4 " + m.Addr.String()
	case *wire.PexResV6:
		return "PEX_RESv6 " + m.Addr.String()
	case *wire.PexResCert:
		return fmt.Sprintf("PEX_REScert cert=%s", ShortHex(m.Cert))
	}
	return m.Type().String()
}

func formatOptions(o *wire.Options) string {
	var sb strings.Builder
	for _, f := range optionFields(o) {
		fmt.Fprintf(&sb, " %s=%v", f.name, f.text)
	}
	return sb.String()
}

type optionField struct {
	name string
	text string // for text output
	json any    // for JSON output
}

// optionFields lists the present options in wire order with readable values.
func optionFields(o *wire.Options) []optionField {
	var fs []optionField
	add := func(c wire.OptionCode, text string, j any) {
		if o.Has(c) {
			fs = append(fs, optionField{c.String(), text, j})
		}
	}
	add(wire.OptVersion, fmt.Sprint(o.Version), o.Version)
	add(wire.OptMinVersion, fmt.Sprint(o.MinVersion), o.MinVersion)
	add(wire.OptSwarmID, ShortHex(o.SwarmID), hex.EncodeToString(o.SwarmID))
	add(wire.OptIntegrity, o.Integrity.String(), o.Integrity.String())
	add(wire.OptHashFunc, o.Hash.String(), o.Hash.String())
	add(wire.OptSigAlg, fmt.Sprint(uint8(o.SigAlg)), uint8(o.SigAlg))
	add(wire.OptAddressing, o.Addressing.String(), o.Addressing.String())
	window := fmt.Sprint(o.DiscardWindow)
	if o.DiscardWindow == wire.KeepAll || (o.Addressing.WindowSize() == 4 && o.DiscardWindow == 0xFFFFFFFF) {
		window = "keep-all"
	}
	add(wire.OptDiscardWindow, window, o.DiscardWindow)
	var types []string
	for t := wire.MsgType(0); t < wire.NumMsgTypes; t++ {
		if o.Supports(t) {
			types = append(types, t.String())
		}
	}
	add(wire.OptSupportedMessages, strings.Join(types, ","), types)
	size := fmt.Sprint(o.ChunkSize)
	if o.ChunkSize == wire.VariableChunkSize {
		size = "variable"
	}
	add(wire.OptChunkSize, size, o.ChunkSize)
	return fs
}
