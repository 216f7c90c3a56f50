// Package dissect turns captured PPSPP datagrams into readable records: it follows each
// channel's handshake so that later datagrams decode with what the handshake negotiated
// (chunk addressing, hash and signature lengths), and prints messages as text or JSON.
package dissect

import (
	"github.com/ppsppd/ppsppd/internal/capture"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// channelKey names a channel from the receiver's side: channel IDs are chosen by, and only
// unique at, the endpoint that receives on them (RFC 7574 §3.11).
type channelKey struct {
	endpoint string
	channel  wire.ChannelID
}

// Tracker decodes the datagrams of one capture in order, keeping a wire.Context per channel.
type Tracker struct {
	base     wire.Context
	channels map[channelKey]*wire.Context
	dec      wire.Decoder
}

// NewTracker starts with base as the context of channels whose handshake was not captured.
func NewTracker(base wire.Context) *Tracker {
	return &Tracker{base: base, channels: make(map[channelKey]*wire.Context)}
}

// Decoded is one datagram after decoding.
type Decoded struct {
	Record   capture.Record
	Datagram wire.Datagram
	// Context is the channel's context before this datagram, the one to encode it with again.
	Context wire.Context
	// After is the context that the rest of the channel uses (changed by a HANDSHAKE).
	After wire.Context
	Err   error
}

// Decode decodes rec. The returned messages are valid until the next call.
func (t *Tracker) Decode(rec capture.Record) Decoded {
	d := Decoded{Record: rec}
	ctx := t.contextFor(rec)
	d.Context = ctx
	d.After = ctx
	d.Datagram, d.Err = t.dec.Decode(rec.Payload, &d.After)
	if len(d.Datagram.Messages) == 0 {
		return d
	}
	h, ok := d.Datagram.Messages[0].(*wire.Handshake)
	if !ok || h.IsClose() {
		return d
	}
	// The sender names the channel it receives on; datagrams back to it carry h.Source.
	after := d.After
	after.SwarmID = append([]byte(nil), after.SwarmID...)
	t.channels[channelKey{rec.Src, h.Source}] = &after
	if d.Datagram.Channel != 0 {
		// A reply: the initiator's channel now knows the merged options too.
		t.channels[channelKey{rec.Dst, d.Datagram.Channel}] = &after
	}
	return d
}

func (t *Tracker) contextFor(rec capture.Record) wire.Context {
	if len(rec.Payload) >= wire.HeaderLen {
		ch := wire.ChannelID(uint32(rec.Payload[0])<<24 | uint32(rec.Payload[1])<<16 | uint32(rec.Payload[2])<<8 | uint32(rec.Payload[3]))
		if c, ok := t.channels[channelKey{rec.Dst, ch}]; ok && ch != 0 {
			return *c
		}
	}
	return t.base
}
