package httpgw

import (
	"sync"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// maxCachedPerSwarm bounds each per-swarm cache; past it the cache starts over, which only
// costs reading a swarm's first bytes again.
const maxCachedPerSwarm = 1024

// idCache remembers something the gateway learned from a swarm's verified first bytes: a
// static swarm's ID is its root hash, so its content, and what was read from it, never
// changes. Two uses: the sniffed Content-Type (a player's seek, a Range far into the file,
// should not wait for chunk 0) and the multi-file spec (parsed once, not per request).
type idCache[V any] struct {
	mu   sync.Mutex
	vals map[swarms.ID]V
}

func (c *idCache[V]) get(id swarms.ID) (V, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	v, ok := c.vals[id]
	return v, ok
}

func (c *idCache[V]) put(id swarms.ID, v V) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.vals == nil || len(c.vals) >= maxCachedPerSwarm {
		c.vals = make(map[swarms.ID]V)
	}
	c.vals[id] = v
}
