package livebuf_test

import (
	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/livebuf"
)

// The engine keeps a live swarm's verified chunks in a Buffer.
var _ engine.LiveStore = (*livebuf.Buffer)(nil)
