package httpgw

import (
	"sync"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// maxCachedTypes bounds the sniffed-type cache; past it the cache starts over, which only
// costs a sniff.
const maxCachedTypes = 1024

// typeCache remembers each swarm's sniffed Content-Type: sniffing reads the first bytes,
// and a player's seek (a Range far into the file) should not have to wait for chunk 0.
type typeCache struct {
	mu    sync.Mutex
	types map[swarms.ID]string
}

func (c *typeCache) get(id swarms.ID) (string, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	t, ok := c.types[id]
	return t, ok
}

func (c *typeCache) put(id swarms.ID, t string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.types == nil || len(c.types) >= maxCachedTypes {
		c.types = make(map[swarms.ID]string)
	}
	c.types[id] = t
}
