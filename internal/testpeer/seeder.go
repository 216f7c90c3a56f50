package testpeer

import (
	"bytes"
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// onHandshake answers a leecher's first HANDSHAKE (RFC 7574 §3.1.1 step 2) with ours and a
// HAVE for the whole content (FalseHave too: that is its lie).
func (p *Peer) onHandshake(now time.Time, from netip.AddrPort, dg wire.Datagram) []Packet {
	h, ok := dg.Messages[0].(*wire.Handshake)
	if !ok || h.IsClose() || p.cfg.Mode.Leecher() {
		return nil
	}
	if h.Options.Has(wire.OptSwarmID) && !bytes.Equal(h.Options.SwarmID, p.tree.Root()) {
		return nil
	}
	c := p.byKey[connKey{from, h.Source}]
	if c == nil {
		p.counts.Handshakes++
		c = &conn{peer: from, ours: p.newChannelID(), theirs: h.Source, ctx: p.baseContext(), opened: now}
		if err := c.ctx.Apply(&h.Options); err != nil || c.ctx.Addressing != wire.ChunkRange32 {
			return nil // this peer speaks 32-bit chunk ranges only, the RFC default (§7.8)
		}
		c.ctx.ChunkSize = uint32(p.cfg.ChunkSize)
		p.conns[c.ours] = c
		p.byKey[connKey{from, h.Source}] = c
	}
	o := p.options()
	b, err := wire.AppendDatagram(nil, c.theirs, &c.ctx,
		&wire.Handshake{Source: c.ours, Options: o},
		&wire.Have{Spec: wire.RangeSpec(0, p.n-1)})
	if err != nil {
		return nil
	}
	return p.send(nil, from, b)
}

// maxServe bounds the chunks one REQUEST makes us send: enough for any test, and a request
// for four billion chunks does not hang the test.
const maxServe = 4096

// onRequest serves the chunks of a REQUEST (§3.7), misbehaving as configured.
func (p *Peer) onRequest(now time.Time, c *conn, s wire.ChunkSpec, out []Packet) []Packet {
	p.counts.Requests++
	r, ok := p.chunkRange(s)
	if !ok || p.cfg.Mode.Leecher() {
		return out
	}
	p.counts.RequestedChunks += int(r.Len())
	if p.cfg.Mode == Silent && (p.cfg.Persistent || now.Sub(c.opened) < p.cfg.Silence) {
		p.counts.Misbehaved++
		return out
	}
	for i := r.Start; i <= r.End && i < r.Start+maxServe; i++ {
		out = p.serve(now, c, i, out)
	}
	return out
}

// serve sends chunk i: the peak hashes, the uncles up to its peak, then the DATA, in one
// datagram, the way libswift sends to a peer that holds nothing (§5.6.2).
func (p *Peer) serve(now time.Time, c *conn, i uint64, out []Packet) []Packet {
	p.sends[i]++
	bad := p.affected(i, p.sends[i] == 1)
	mode := p.cfg.Mode
	if !bad || mode == Silent { // a Silent peer that answers at all serves right
		mode = Honest
	}
	if mode == FalseHave {
		p.counts.Misbehaved++ // it announced the chunk but "lacks" it
		return out
	}
	peaks := p.tree.Peaks()
	b := wire.AppendHeader(nil, c.theirs)
	for _, pk := range peaks {
		b = p.appendHash(b, c, pk, mode == WrongPeaks)
	}
	uncles, err := p.tree.Uncles(nil, bins.Chunk(i), hashtree.ToPeak, hashtree.Peer{})
	if err != nil || len(uncles) < len(peaks) {
		return out
	}
	uncles = uncles[len(peaks):] // to a peer that holds nothing, Uncles lists the peaks first
	for _, u := range uncles {
		b = p.appendHash(b, c, u, mode == WrongUncles)
	}
	cs := p.cfg.ChunkSize
	end := min(int(i+1)*cs, len(p.cfg.Content))
	payload := bytes.Clone(p.cfg.Content[int(i)*cs : end])
	switch mode {
	case CorruptChunk:
		payload[len(payload)/2] ^= 0xff
	case OversizeData:
		// 0xa5 is no message type: what a receiver that cut the chunk reads next is junk.
		payload = append(payload, bytes.Repeat([]byte{0xa5}, p.cfg.Extra)...)
	case TruncatedData:
		payload = payload[:len(payload)/2]
	}
	b, err = (&wire.Data{Spec: wire.RangeSpec(i, i), Timestamp: uint64(now.UnixMicro()), Payload: payload}).Append(b, &c.ctx)
	if err != nil {
		return out
	}
	if mode != Honest {
		p.counts.Misbehaved++
	}
	p.counts.DataSent++
	if mode == Replay && len(p.history) >= replayDepth {
		old := p.history[len(p.history)-replayDepth]
		out = append(out, Packet{To: c.peer, Data: old.Data})
		p.counts.Replayed++
	}
	return p.send(out, c.peer, b)
}

// appendHash appends an INTEGRITY message, its hash flipped when lie is set.
func (p *Peer) appendHash(b []byte, c *conn, h hashtree.NodeHash, lie bool) []byte {
	hash := h.Hash
	if lie {
		hash = bytes.Clone(hash)
		hash[0] ^= 0xff
	}
	out, err := (&wire.Integrity{Spec: wire.RangeSpec(h.Bin.BaseLeft(), h.Bin.BaseRight()), Hash: hash}).Append(b, &c.ctx)
	if err != nil {
		return b
	}
	return out
}
