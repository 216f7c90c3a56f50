package dht

import (
	alog "github.com/anacrolix/log"
	"go.uber.org/zap"
)

// zapLogger routes anacrolix/dht's log records to our zap logger, so they follow the
// daemon's level and format instead of going to stderr on their own. Its debug chatter (one
// line per query) stays at debug.
func zapLogger(z *zap.Logger) alog.Logger {
	l := alog.NewLogger("dht")
	l.Handlers = []alog.Handler{zapHandler{z.Named("dht")}}
	return l.WithFilterLevel(alog.Debug)
}

type zapHandler struct{ z *zap.Logger }

func (h zapHandler) Handle(r alog.Record) {
	msg := r.Msg.String()
	switch {
	case r.Level.LessThan(alog.Info):
		h.z.Debug(msg)
	case r.Level.LessThan(alog.Warning):
		h.z.Info(msg)
	case r.Level.LessThan(alog.Error):
		h.z.Warn(msg)
	default:
		h.z.Error(msg)
	}
}
