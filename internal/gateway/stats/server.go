package stats

import (
	"context"
	"errors"
	"fmt"
	"html/template"
	"net"
	"net/http"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"go.uber.org/zap"
)

// Server is the STATS gateway.
type Server struct {
	src Source
	log *zap.Logger
	reg *prometheus.Registry
	mux *http.ServeMux
}

// New builds the gateway; its own registry keeps tests and several nodes apart.
func New(src Source, version string, log *zap.Logger) *Server {
	reg := prometheus.NewRegistry()
	reg.MustRegister(&collector{src: src, version: version})
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	s := &Server{src: src, log: log, reg: reg, mux: http.NewServeMux()}
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

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"pct": func(have, total uint64) string {
		if total == 0 {
			return "size unknown"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(have)/float64(total))
	},
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="2"><title>ppsppd</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left}code{font-size:.9em}</style>
</head><body>
<h1>ppsppd</h1>
<p>{{.Channels}} channels · {{.Stats.DatagramsIn}} datagrams in, {{.Stats.DatagramsOut}} out ·
{{.Stats.ChunksVerified}} chunks verified, {{.Stats.ChunksServed}} served, {{.Stats.BadChunks}} failed verification</p>
<table><tr><th>swarm</th><th>progress</th><th>chunks</th><th>peers</th><th>state</th></tr>
{{range .Swarms}}<tr><td><code>{{.ID}}</code></td><td>{{pct .Have .Total}}</td><td>{{.Have}}/{{.Total}}</td><td>{{.Peers}}</td>
<td>{{if .Err}}error: {{.Err}}{{else if and .Total (eq .Have .Total)}}seeding{{else}}downloading{{end}}</td></tr>
{{else}}<tr><td colspan="5">no swarms</td></tr>{{end}}
</table>
<p><a href="/metrics">/metrics</a></p>
</body></html>
`))

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	snap, err := s.src.Snapshot(r.Context())
	if err != nil {
		http.Error(w, "node not available: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusPage.Execute(w, snap); err != nil {
		s.log.Debug("status page", zap.Error(err))
	}
}
