package httpgw

import (
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// Options configure the gateway. The listen address is the caller's: it passes a listener
// to Run.
type Options struct {
	// BaseURL is what URL puts in front of a swarm's path, e.g. "http://127.0.0.1:6779".
	// Empty: taken from the listener Run serves on.
	BaseURL string
	// KnownPeers returns peers (HOST:PORT) that may have a swarm the daemon does not hold,
	// so a GET can start it: configured peers now, discovery later. Nil: none.
	KnownPeers func(id swarms.ID) []string
	// Discovery says the daemon finds peers by swarm ID itself (the DHT is on): a GET for
	// a swarm it does not hold starts it even when no peer is named; StartTimeout then
	// bounds the wait for the discovered peers.
	Discovery bool
	// StartTimeout bounds how long a request waits for the content length and first bytes
	// before its headers go out (a swarm whose peers never answer gets a 504 saying so, not
	// a connection that hangs). 0: DefaultStartTimeout; negative: no bound. Body reads are
	// not bounded: a player that has started is cancelled by hanging up.
	StartTimeout time.Duration
	// ShutdownTimeout bounds how long Run waits for requests in flight when its context
	// ends, before it closes their connections. 0: DefaultShutdownTimeout.
	ShutdownTimeout time.Duration
	// LiveLag is how many chunks behind a live swarm's edge a response starts (the start
	// then moves forward to a place a player can start at): enough for a player to fill
	// its buffer at once, few enough to stay near live. 0: DefaultLiveLag.
	LiveLag uint64
	Log     *zap.Logger // nil: no logging
}

// Defaults for zero Options fields.
const (
	DefaultStartTimeout    = time.Minute
	DefaultShutdownTimeout = 2 * time.Second
	DefaultLiveLag         = 8 // chunks: 8 KiB of 1 KiB chunks, a fraction of a second of video
)

func (o Options) withDefaults() Options {
	if o.StartTimeout == 0 {
		o.StartTimeout = DefaultStartTimeout
	}
	if o.ShutdownTimeout <= 0 {
		o.ShutdownTimeout = DefaultShutdownTimeout
	}
	if o.LiveLag == 0 {
		o.LiveLag = DefaultLiveLag
	}
	if o.Log == nil {
		o.Log = zap.NewNop()
	}
	return o
}
