package stats

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Options configure the gateway.
type Options struct {
	// Version is the daemon's version, for ppsppd_build_info and the status page.
	Version string
	// HTTPBase is the HTTP gateway's base URL (e.g. "http://127.0.0.1:8080"); the status
	// page links each swarm to its /watch/HEX page there. Empty: no links.
	HTTPBase string
	// Collectors are other components' metrics (the HTTP gateway's) served on /metrics too.
	Collectors []prometheus.Collector
	Log        *zap.Logger
}

// Server is the STATS gateway.
type Server struct {
	src  Source
	opts Options
	log  *zap.Logger
	reg  *prometheus.Registry
	mux  *http.ServeMux
}

// New builds the gateway; its own registry keeps tests and several nodes apart.
func New(src Source, opts Options) *Server {
	log := opts.Log
	if log == nil {
		log = zap.NewNop()
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{src: src, version: opts.Version})
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	reg.MustRegister(opts.Collectors...)
	s := &Server{src: src, opts: opts, log: log, reg: reg, mux: http.NewServeMux()}
	s.mux.Handle("GET /metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{ErrorLog: zap.NewStdLog(log)}))
	s.mux.HandleFunc("GET /{$}", s.status)
	return s
}

// ServeHTTP makes the gateway an http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Run serves on ln until ctx ends.
func (s *Server) Run(ctx context.Context, ln net.Listener) error {
	srv := &http.Server{Handler: s, ReadHeaderTimeout: 5 * time.Second}
	go func() {
		<-ctx.Done()
		shut, cancel := context.WithTimeout(context.Background(), 2*time.Second)
		defer cancel()
		_ = srv.Shutdown(shut)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("stats gateway: %w", err)
	}
	return nil
}
