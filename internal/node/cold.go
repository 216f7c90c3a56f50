package node

import (
	"net/netip"
	"sync/atomic"
	"time"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// Cold swarms: the manager may hold a swarm as a record only (not in the engine) until a
// peer asks for it. A HANDSHAKE for a swarm the engine does not hold is offered to the
// SwarmLoader; when it takes it, the datagram is kept (bounded) and handed to the engine
// again as soon as AddSwarm adds that swarm, so the peer's first HANDSHAKE is answered
// once the swarm is loaded rather than after its retry.

// SwarmLoader is asked, on the node's loop goroutine, whether swarm id can be loaded; it
// returns true when it starts loading it (it must then call AddSwarm, or give up) and
// false for a swarm it does not know. It must not block or call the node.
type SwarmLoader func(id engine.SwarmID) bool

// Bounds on the HANDSHAKEs kept while their swarms load: a flood naming random swarm IDs
// is refused by the loader, but a flood for known ones must not grow without bound either.
const (
	coldMaxSwarms    = 1024
	coldMaxDatagrams = 8
	// coldTimeout: a swarm whose load did not end in AddSwarm by then (it failed) has its
	// datagrams dropped; the peer retries its HANDSHAKE anyway.
	coldTimeout = 10 * time.Second
)

type coldDatagram struct {
	from netip.AddrPort
	data []byte
}

type coldPending struct {
	since time.Time
	dgs   []coldDatagram
}

// coldState is the loop goroutine's; loader is set before Run.
type coldState struct {
	loader  atomic.Pointer[SwarmLoader]
	pending map[engine.SwarmID]*coldPending
}

// SetSwarmLoader installs the loader asked about HANDSHAKEs for swarms not held; nil
// removes it. Call it before Run.
func (n *Node) SetSwarmLoader(l SwarmLoader) {
	if l == nil {
		n.cold.loader.Store(nil)
		return
	}
	n.cold.loader.Store(&l)
}

// unknownSwarm is the engine's Config.UnknownSwarm: it runs on the loop goroutine.
func (n *Node) unknownSwarm(id engine.SwarmID, from netip.AddrPort, datagram []byte) {
	now := n.now()
	c := &n.cold
	for k, p := range c.pending {
		if now.Sub(p.since) > coldTimeout {
			delete(c.pending, k)
		}
	}
	p := c.pending[id]
	if p == nil {
		l := c.loader.Load()
		if l == nil || len(c.pending) >= coldMaxSwarms || !(*l)(id) {
			return
		}
		if c.pending == nil {
			c.pending = make(map[engine.SwarmID]*coldPending)
		}
		p = &coldPending{since: now}
		c.pending[id] = p
	}
	if len(p.dgs) < coldMaxDatagrams {
		p.dgs = append(p.dgs, coldDatagram{from: from, data: append([]byte(nil), datagram...)})
	}
}

// replayCold hands the engine the HANDSHAKEs that waited for swarm id, now added, and
// sends the answers at once.
func (n *Node) replayCold(now time.Time, e *engine.Engine, id engine.SwarmID) {
	p := n.cold.pending[id]
	if p == nil {
		return
	}
	delete(n.cold.pending, id)
	for _, d := range p.dgs {
		e.Receive(now, d.from, d.data)
	}
	e.Flush(now)
}
