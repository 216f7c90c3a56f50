package testpeer

import (
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// Start begins a leecher mode's attack on Config.Target: RequestFlood opens a channel
// first (its REQUESTs need one), HandshakeFlood sends its first burst. Seeder modes return
// nothing.
func (p *Peer) Start(now time.Time) []Packet {
	if !p.cfg.Mode.Leecher() || p.started {
		return nil
	}
	p.started = true
	p.nextFlood = now
	if p.cfg.Mode == RequestFlood {
		c := &conn{peer: p.cfg.Target, ours: p.newChannelID(), ctx: p.baseContext(), opened: now}
		p.conns[c.ours] = c
		p.attack = c
		b, err := wire.AppendDatagram(nil, 0, &c.ctx, &wire.Handshake{Source: c.ours, Options: p.options()})
		if err != nil {
			return nil
		}
		return p.send(nil, p.cfg.Target, b)
	}
	return p.Tick(now)
}

// NextDeadline is when Tick should run next; zero when nothing is scheduled.
func (p *Peer) NextDeadline() time.Time {
	if !p.started || (!p.cfg.Persistent && p.floods > 0) {
		return time.Time{}
	}
	return p.nextFlood
}

// Tick sends the flood burst that is due.
func (p *Peer) Tick(now time.Time) []Packet {
	if !p.started || now.Before(p.nextFlood) || (!p.cfg.Persistent && p.floods > 0) {
		return nil
	}
	var out []Packet
	switch p.cfg.Mode {
	case RequestFlood:
		c := p.attack
		if c == nil || c.theirs == 0 {
			p.nextFlood = now.Add(p.cfg.Period)
			return nil // not answered yet (or closed on us)
		}
		for range p.cfg.Burst {
			// The whole content in every datagram: a seeder that queued it once must not
			// queue (and send) it again for each copy.
			b, err := wire.AppendDatagram(nil, c.theirs, &c.ctx, &wire.Request{Spec: wire.RangeSpec(0, p.n-1)})
			if err != nil {
				return out
			}
			out = p.send(out, c.peer, b)
			p.counts.FloodSent++
		}
	case HandshakeFlood:
		ctx := p.baseContext()
		for range p.cfg.Burst {
			p.nextPort++
			if p.nextPort == 0 || int(p.cfg.Self.Port())+int(p.nextPort) > 65535 {
				p.nextPort = 1
			}
			from := netip.AddrPortFrom(p.cfg.Self.Addr(), p.cfg.Self.Port()+p.nextPort)
			src := wire.ChannelID(p.rng.Uint32() | 1)
			b, err := wire.AppendDatagram(nil, 0, &ctx, &wire.Handshake{Source: src, Options: p.options()})
			if err != nil {
				return out
			}
			out = append(out, Packet{From: from, To: p.cfg.Target, Data: b})
			p.counts.FloodSent++
		}
	}
	p.floods++
	p.nextFlood = now.Add(p.cfg.Period)
	return out
}
