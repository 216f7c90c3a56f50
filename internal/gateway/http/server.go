package httpgw

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// Server is the HTTP gateway.
type Server struct {
	m       manager
	live    LiveManager // m's live swarms; nil when m holds none (live.go)
	local   localAddrer // m's PPSPP address, for the live page's link; may be nil
	opts    Options
	log     *zap.Logger
	metrics *metrics
	types   idCache[string]     // sniffed Content-Type
	specs   idCache[swarmFiles] // multi-file spec, or none (multifile.go)
	baseURL atomic.Pointer[string]
	active  sync.WaitGroup // requests in ServeHTTP, which Run waits for
}

// New builds the gateway on the swarm manager m.
func New[R Reader](m Manager[R], opts Options) *Server {
	opts = opts.withDefaults()
	s := &Server{m: erased[R]{m}, opts: opts, log: opts.Log, metrics: newMetrics()}
	// Asked of m itself: the erased wrapper hides every method but Manager's.
	s.live, _ = any(m).(LiveManager)
	s.local, _ = any(m).(localAddrer)
	if opts.BaseURL != "" {
		base := strings.TrimRight(opts.BaseURL, "/")
		s.baseURL.Store(&base)
	}
	return s
}

// Collectors are the gateway's metrics, for the caller to register on the registry the
// STATS gateway serves.
func (s *Server) Collectors() []prometheus.Collector { return s.metrics.collectors() }

// URL is where a player streams the swarm, e.g. for the CMD gateway's PLAY lines. It is ""
// until the base URL is known (Options.BaseURL, or Run's listener).
func (s *Server) URL(id swarms.ID) string {
	base := s.baseURL.Load()
	if base == nil {
		return ""
	}
	return *base + "/" + id.String()
}

// WatchURL is the swarm's player page; "" like URL.
func (s *Server) WatchURL(id swarms.ID) string {
	base := s.baseURL.Load()
	if base == nil {
		return ""
	}
	return *base + "/watch/" + id.String()
}

// Run serves on ln until ctx ends, then shuts down: it stops accepting, waits up to
// Options.ShutdownTimeout for requests in flight, and closes the connections still open
// (players streaming a long video would otherwise hold it forever).
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	if s.baseURL.Load() == nil {
		base := "http://" + dialableAddr(ln.Addr())
		s.baseURL.CompareAndSwap(nil, &base)
	}
	srv := &http.Server{
		Handler:           s,
		ReadHeaderTimeout: 10 * time.Second,
		ErrorLog:          zap.NewStdLog(s.log),
	}
	served := make(chan error, 1)
	go func() { served <- srv.Serve(ln) }()
	select {
	case err := <-served:
		return fmt.Errorf("http gateway: %w", err)
	case <-ctx.Done():
	}
	shut, cancel := context.WithTimeout(context.Background(), s.opts.ShutdownTimeout)
	defer cancel()
	if err := srv.Shutdown(shut); err != nil {
		// Closing a connection cancels its request's context, which ends any read still
		// waiting for chunks.
		s.log.Info("http gateway: closing connections still streaming", zap.Error(err))
		_ = srv.Close()
	}
	if err := <-served; !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("http gateway: %w", err)
	}
	// Close does not wait for handlers; they end as soon as their reads see the cancelled
	// context. Wait for that, bounded, so no request outlives Run.
	handled := make(chan struct{})
	go func() { s.active.Wait(); close(handled) }()
	select {
	case <-handled:
	case <-time.After(s.opts.ShutdownTimeout):
		s.log.Warn("http gateway: requests still running after shutdown; a reader ignores its context")
	}
	return nil
}

// dialableAddr turns a listener's address into one a local player can dial: a wildcard
// host becomes loopback.
func dialableAddr(a net.Addr) string {
	tcp, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ip := tcp.IP
	if ip == nil || ip.IsUnspecified() {
		if ip.To4() == nil && ip != nil {
			ip = net.IPv6loopback
		} else {
			ip = net.IPv4(127, 0, 0, 1)
		}
	}
	return net.JoinHostPort(ip.String(), fmt.Sprint(tcp.Port))
}

// ServeHTTP makes the gateway an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	s.active.Add(1)
	defer s.active.Done()
	rec := &recorder{ResponseWriter: w, served: s.metrics.bytesServed}
	defer func() { s.metrics.countRequest(rec.code) }()
	if err := s.route(rec, r); err != nil {
		s.fail(rec, r, err)
	}
}

func (s *Server) route(w http.ResponseWriter, r *http.Request) error {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		return replyError(http.StatusMethodNotAllowed, "only GET and HEAD", nil)
	}
	p := strings.TrimPrefix(r.URL.Path, "/")
	switch {
	case p == "":
		return replyError(http.StatusBadRequest, usage, nil)
	case p == "favicon.ico":
		return replyError(http.StatusNotFound, "no icon", nil)
	case strings.HasPrefix(p, "watch/"):
		return s.watch(w, r, strings.TrimPrefix(p, "watch/"))
	}
	return s.serveContent(w, r, p)
}

const usage = "The path must be a swarm ID in hex: /SWARMHEX[$CHUNKSIZE][/FILENAME][?peer=IP:PORT&mt=TYPE], or /watch/SWARMHEX for a player page."
