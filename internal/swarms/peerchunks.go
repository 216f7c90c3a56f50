package swarms

import (
	"fmt"
	"maps"
	"net/netip"
)

// countChunksFrom records n verified chunks from peer; m.mu must be held. The counts say
// where a download's content came from (the seeder or other leechers found through PEX,
// RFC 7574 §3.10.1), which the per-channel byte counters cannot once a channel closes.
func (e *entry) countChunksFrom(peer netip.AddrPort, n uint64) {
	if e.chunksFrom == nil {
		e.chunksFrom = make(map[netip.AddrPort]uint64)
	}
	e.chunksFrom[peer] += n
}

// ChunksFrom returns, for swarm id, how many verified chunks came from each peer address
// since the swarm was loaded, closed channels included. The counts come from the node's
// events, which a manager that falls behind can miss (NodeMetrics.EventsDropped), so they
// are a lower bound.
func (m *Manager) ChunksFrom(id ID) (map[netip.AddrPort]uint64, error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	e, ok := m.swarms[id]
	if !ok {
		return nil, fmt.Errorf("%w %v", ErrUnknown, id)
	}
	return maps.Clone(e.chunksFrom), nil
}
