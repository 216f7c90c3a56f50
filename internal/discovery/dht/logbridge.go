package dht

import (
	"sync"
	"sync/atomic"

	alog "github.com/anacrolix/log"
	"go.uber.org/zap"
)

// zapLogger routes anacrolix/dht's log records to our zap logger, so they follow the
// daemon's level and format instead of going to stderr on their own. Its debug chatter (one
// line per query) stays at debug. Once stopped is set (Run has returned) records are dropped:
// a query the library still had in flight may finish, and log, after the DHT is gone.
func zapLogger(z *zap.Logger, stopped *atomic.Bool) alog.Logger {
	l := alog.NewLogger("dht")
	l.Handlers = []alog.Handler{zapHandler{z: z.Named("dht"), stopped: stopped}}
	return l.WithFilterLevel(alog.Debug)
}

type zapHandler struct {
	z       *zap.Logger
	stopped *atomic.Bool // nil: never stops
	debug   bool         // every record at debug level
}

func (h zapHandler) Handle(r alog.Record) {
	if h.stopped != nil && h.stopped.Load() {
		return
	}
	msg := r.Msg.String()
	switch {
	case h.debug || r.Level.LessThan(alog.Info):
		h.z.Debug(msg)
	case r.Level.LessThan(alog.Warning):
		h.z.Info(msg)
	case r.Level.LessThan(alog.Error):
		h.z.Warn(msg)
	default:
		h.z.Error(msg)
	}
}

var routeOnce sync.Once

// RouteLibraryLog sends what anacrolix/dht logs through its package-level logger (among
// others, one line for every malformed datagram a remote node sends) to z at debug level,
// instead of to stderr, where anyone could fill the daemon's log. It changes a global of
// that library, so only the program's wiring calls it, once, before the first DHT starts.
func RouteLibraryLog(z *zap.Logger) {
	routeOnce.Do(func() {
		l := alog.NewLogger("dht")
		l.Handlers = []alog.Handler{zapHandler{z: z.Named("dht"), debug: true}}
		alog.Default = l.WithFilterLevel(alog.Debug)
	})
}
