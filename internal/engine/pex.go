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
	// pexAgain is how often an incomplete swarm asks a peer for peers again. One PEX_REQ per
	// channel is not enough: it or its reply may be lost (§3.10.1 gives PEX no resend; at
	// 10 % loss each way one exchange in five fails), and peers that join later are known
	// to the seeder only after our first question. Under loss a leecher that learned no
	// peer downloaded from the seeder alone, four times slower than the rest.
	pexAgain = 30 * time.Second
)

// pexTimer asks ch's peer for peers again every pexAgain while the swarm is incomplete and
// has room for more channels.
func (e *Engine) pexTimer(now time.Time, ch *channel) {
	s := ch.swarm
	if s.complete || ch.pexNext.IsZero() || now.Before(ch.pexNext) {
		return
	}
	ch.pexNext = now.Add(pexAgain)
	if len(s.channels) >= e.cfg.MaxPeers {
		return
	}
	ch.queueMsg(&wire.PexReq{})
	e.markDirty(ch)
}

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
