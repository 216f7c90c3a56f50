package httpgw

import (
	"errors"
	"net/http"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
)

// httpError is a handler's failure: the status and the text the client reads, and the
// cause for the log. One function, Server.fail, turns it into the reply and the log line.
type httpError struct {
	code int
	msg  string
	err  error
}

func (e *httpError) Error() string {
	if e.err != nil {
		return e.msg + ": " + e.err.Error()
	}
	return e.msg
}

func (e *httpError) Unwrap() error { return e.err }

func replyError(code int, msg string, err error) error {
	return &httpError{code: code, msg: msg, err: err}
}

// errClientGone ends a request whose client hung up before the headers went out: there is
// nobody to answer.
var errClientGone = errors.New("client went away")

func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, errClientGone) {
		s.log.Debug("client left before the reply", zap.String("path", r.URL.Path), zap.Error(err))
		return
	}
	var he *httpError
	if !errors.As(err, &he) {
		he = &httpError{code: http.StatusInternalServerError, msg: "internal error", err: err}
	}
	level := zap.DebugLevel
	if he.code >= 500 {
		level = zap.WarnLevel
	}
	s.log.Log(level, "http gateway request failed", zap.String("method", r.Method), zap.String("path", r.URL.Path),
		zap.Int("status", he.code), zap.Error(he))
	// The client reads the message only; the cause may hold local paths.
	http.Error(w, he.msg, he.code)
}

// recorder notes the status and counts the body bytes of a reply, for the metrics, and
// flushes each write: the next read may wait for chunks, and the bytes already read must
// reach the player meanwhile rather than sit in the connection's buffer. Body writes come
// in ServeContent's 32 KiB copies, which pass the buffers by anyway, so this costs little
// (BenchmarkServeComplete).
type recorder struct {
	http.ResponseWriter
	served prometheus.Counter
	code   int
}

func (rec *recorder) WriteHeader(code int) {
	if rec.code == 0 {
		rec.code = code
	}
	rec.ResponseWriter.WriteHeader(code)
}

func (rec *recorder) Write(p []byte) (int, error) {
	if rec.code == 0 {
		rec.code = http.StatusOK
	}
	n, err := rec.ResponseWriter.Write(p)
	rec.served.Add(float64(n))
	if err == nil {
		err = http.NewResponseController(rec.ResponseWriter).Flush()
	}
	return n, err
}

// Unwrap lets http.ResponseController reach the connection's writer.
func (rec *recorder) Unwrap() http.ResponseWriter { return rec.ResponseWriter }
