package dissect

import (
	"encoding/hex"
	"fmt"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// DatagramJSON is the machine-readable form of one datagram (one JSON object per line).
type DatagramJSON struct {
	Index    int           `json:"index"`
	Time     float64       `json:"time"`
	Src      string        `json:"src"`
	Dst      string        `json:"dst"`
	Length   int           `json:"length"`
	Channel  string        `json:"channel,omitempty"`
	Messages []MessageJSON `json:"messages"`
	Error    string        `json:"error,omitempty"`
}

// MessageJSON holds the fields of any message; only those of its type are set.
type MessageJSON struct {
	Type          string         `json:"type"`
	SourceChannel string         `json:"source_channel,omitempty"`
	Close         bool           `json:"close,omitempty"`
	Options       map[string]any `json:"options,omitempty"`
	Spec          *SpecJSON      `json:"spec,omitempty"`
	Timestamp     *uint64        `json:"timestamp,omitempty"`
	Delay         *int64         `json:"delay_us,omitempty"`
	Hash          string         `json:"hash,omitempty"`
	Signature     string         `json:"signature,omitempty"`
	PayloadLen    *int           `json:"payload_len,omitempty"`
	Addr          string         `json:"addr,omitempty"`
	Cert          string         `json:"cert,omitempty"`
}

// SpecJSON is a chunk spec with its unit; Bin is set under bin addressing, and Start/End
// are then the chunks it covers.
type SpecJSON struct {
	Unit  string  `json:"unit"` // "chunks" or "bytes"
	Bin   *uint64 `json:"bin,omitempty"`
	Start uint64  `json:"start"`
	End   uint64  `json:"end"`
}

func specJSON(a wire.Addressing, s wire.ChunkSpec) *SpecJSON {
	switch {
	case a.IsBin():
		v := uint64(s.Bin)
		if s.Bin == bins.None {
			return &SpecJSON{Unit: "chunks", Bin: &v, Start: 1, End: 0}
		}
		return &SpecJSON{Unit: "chunks", Bin: &v, Start: s.Bin.BaseLeft(), End: s.Bin.BaseRight()}
	case a == wire.ByteRange64:
		return &SpecJSON{Unit: "bytes", Start: s.Start, End: s.End}
	}
	return &SpecJSON{Unit: "chunks", Start: s.Start, End: s.End}
}

// ToJSON converts a decoded datagram; c is the context it was decoded with.
func ToJSON(d Decoded) DatagramJSON {
	out := DatagramJSON{
		Index:    d.Record.Index,
		Time:     d.Record.Time.Seconds(),
		Src:      d.Record.Src,
		Dst:      d.Record.Dst,
		Length:   len(d.Record.Payload),
		Messages: []MessageJSON{},
	}
	if len(d.Record.Payload) >= wire.HeaderLen {
		out.Channel = fmt.Sprintf("%08x", uint32(d.Datagram.Channel))
	}
	c := d.Context
	for _, m := range d.Datagram.Messages {
		out.Messages = append(out.Messages, messageJSON(m, &c))
		if h, ok := m.(*wire.Handshake); ok {
			_ = c.Apply(&h.Options) // as the decoder did
		}
	}
	if d.Err != nil {
		out.Error = d.Err.Error()
	}
	return out
}

func messageJSON(m wire.Message, c *wire.Context) MessageJSON {
	j := MessageJSON{Type: m.Type().String()}
	a := c.Addressing
	switch m := m.(type) {
	case *wire.Handshake:
		j.SourceChannel = fmt.Sprintf("%08x", uint32(m.Source))
		j.Close = m.IsClose()
		if !m.Options.Empty() {
			j.Options = map[string]any{}
			for _, f := range optionFields(&m.Options) {
				j.Options[f.name] = f.json
			}
		}
	case *wire.Data:
		n := len(m.Payload)
		j.Spec, j.Timestamp, j.PayloadLen = specJSON(a, m.Spec), &m.Timestamp, &n
	case *wire.Ack:
		j.Spec, j.Delay = specJSON(a, m.Spec), &m.Delay
	case *wire.Have:
		j.Spec = specJSON(a, m.Spec)
	case *wire.Request:
		j.Spec = specJSON(a, m.Spec)
	case *wire.Cancel:
		j.Spec = specJSON(a, m.Spec)
	case *wire.Integrity:
		j.Spec, j.Hash = specJSON(a, m.Spec), hex.EncodeToString(m.Hash)
	case *wire.SignedIntegrity:
		j.Spec, j.Timestamp, j.Signature = specJSON(a, m.Spec), &m.Timestamp, hex.EncodeToString(m.Signature)
	case *wire.PexResV4:
		j.Addr = m.Addr.String()
	case *wire.PexResV6:
		j.Addr = m.Addr.String()
	case *wire.PexResCert:
		j.Cert = hex.EncodeToString(m.Cert)
	}
	return j
}
