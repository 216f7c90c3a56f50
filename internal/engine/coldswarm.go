package engine

import (
	"net/netip"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// askForSwarm hands a HANDSHAKE for a swarm we do not hold to Config.UnknownSwarm, which
// may load the swarm and give the datagram back; it reports whether it did. A swarm held
// unloaded (a complete seed kept as a small record while idle) so costs no memory until a
// peer asks for it. Until then we stay silent, as RFC 7574 §3.1.1 step 2 has us do for a
// swarm we do not serve; the replayed datagram, or the peer's retry, gets the answer.
func (e *Engine) askForSwarm(o *wire.Options, from netip.AddrPort, datagram []byte) bool {
	if e.cfg.UnknownSwarm == nil || !versionOK(o) || !o.Has(wire.OptSwarmID) {
		return false
	}
	id := SwarmID(o.SwarmID)
	if _, held := e.swarms[id]; held {
		return false // held, and refused for another reason (its options)
	}
	e.stats.ColdHandshakes++
	e.cfg.UnknownSwarm(id, from, datagram)
	return true
}
