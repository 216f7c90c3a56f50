package engine

import (
	"maps"
	"net/netip"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// PEX (RFC 7574 §3.10.1, §8.13): answer PEX_REQ with peers heard from in the last minute,
// and connect to peers we learn of while the swarm is incomplete.
const (
	pexRecent   = time.Minute
	pexMaxReply = 32
)

func (e *Engine) onPexReq(now time.Time, ch *channel) {
	s := ch.swarm
	private := isPrivate(ch.peer.Addr())
	sent := 0
	addrs := slices.SortedFunc(maps.Keys(s.known), netip.AddrPort.Compare) // repeatable replies
	for _, addr := range addrs {
		seen := s.known[addr]
		if sent >= pexMaxReply {
			break
		}
		if now.Sub(seen) > pexRecent {
			delete(s.known, addr)
			continue
		}
		// Never the requester itself; and addresses of private networks only to a requester
		// on one (§8.13).
		if addr == ch.peer || (!private && isPrivate(addr.Addr())) || !e.hasLiveChannel(s, addr) {
			continue
		}
		if a := addr.Addr().Unmap(); a.Is4() {
			ch.queueMsg(&wire.PexResV4{Addr: netip.AddrPortFrom(a, addr.Port())})
		} else {
			ch.queueMsg(&wire.PexResV6{Addr: addr})
		}
		sent++
	}
}

// hasLiveChannel: only peers we still exchange messages with are worth sharing.
func (e *Engine) hasLiveChannel(s *swarm, addr netip.AddrPort) bool {
	for _, c := range s.channels {
		if c.peer == addr && c.state == stateEstablished {
			return true
		}
	}
	return false
}

func (e *Engine) onPexRes(now time.Time, ch *channel, addr netip.AddrPort) {
	s := ch.swarm
	if s.complete || !addr.IsValid() || addr.Port() == 0 || addr.Addr().IsUnspecified() || addr.Addr().IsMulticast() {
		return
	}
	if len(s.channels) >= e.cfg.MaxPeers {
		return
	}
	e.connect(now, s, addr)
}

// isPrivate: RFC 1918, RFC 4193 unique-local, link-local and multicast (the §8.13 list).
func isPrivate(a netip.Addr) bool {
	a = a.Unmap()
	return a.IsPrivate() || a.IsLinkLocalUnicast() || a.IsLinkLocalMulticast() || a.IsMulticast()
}
