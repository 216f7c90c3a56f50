package stats

import (
	"fmt"
	"html/template"
	"net/http"
	"net/netip"
	"strings"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// statusView is what the status page shows. It is built from one Metrics call and one List
// (statuses the manager already holds), so the page costs the same node round trip with a
// thousand swarms as with one.
type statusView struct {
	Version string
	UDP     netip.AddrPort // the socket's address
	// Advertised is the address the links name (loopback for an unspecified UDP address).
	Advertised netip.AddrPort
	Metrics    swarmapi.NodeMetrics
	Swarms     []swarmRow
}

type swarmRow struct {
	swarmapi.Status
	URL   string // tswift link naming this daemon as the peer
	Watch string // the HTTP gateway's page for the swarm; empty when no HTTP base is set
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	nm, err := s.src.Metrics(r.Context())
	if err != nil {
		http.Error(w, "node not available: "+err.Error(), http.StatusServiceUnavailable)
		return
	}
	udp := s.src.LocalAddr()
	view := statusView{Version: s.opts.Version, UDP: udp, Advertised: swarmapi.Advertised(udp), Metrics: nm}
	base := strings.TrimRight(s.opts.HTTPBase, "/")
	for _, st := range s.src.List() {
		row := swarmRow{Status: st, URL: st.Link(udp).String()}
		if base != "" {
			row.Watch = base + "/watch/" + st.ID.String()
		}
		view.Swarms = append(view.Swarms, row)
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := statusPage.Execute(w, view); err != nil {
		s.log.Debug("status page", zap.Error(err))
	}
}

// bytesIEC writes a byte count with a binary prefix.
func bytesIEC(n float64) string {
	const unit = 1024
	if n < unit {
		return fmt.Sprintf("%.0f B", n)
	}
	div, exp := float64(unit), 0
	for v := n / unit; v >= unit && exp < 5; v /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %ciB", n/div, "KMGTPE"[exp])
}

var statusPage = template.Must(template.New("status").Funcs(template.FuncMap{
	"pct": func(have, total uint64) string {
		if total == 0 {
			return "size unknown"
		}
		return fmt.Sprintf("%.1f%%", 100*float64(have)/float64(total))
	},
	"bytes": func(n int64) string { return bytesIEC(float64(n)) },
	"rate":  func(r float64) string { return bytesIEC(r) + "/s" },
}).Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta http-equiv="refresh" content="5"><title>ppsppd</title>
<style>body{font-family:sans-serif;margin:2em}table{border-collapse:collapse}td,th{padding:.3em .8em;border-bottom:1px solid #ddd;text-align:left;vertical-align:top}code{font-size:.9em}.err{color:#a00}</style>
</head><body>
<h1>ppsppd</h1>
<p>version <code>{{.Version}}</code> · UDP <code>{{.UDP}}</code>{{if ne .UDP .Advertised}} (links name <code>{{.Advertised}}</code>){{end}}</p>
{{with .Metrics}}<p>{{.Channels}} channels · {{.DatagramsIn}} datagrams in, {{.DatagramsOut}} out ·
{{.ChunksVerified}} chunks verified, {{.ChunksServed}} served, {{.BadChunks}} failed verification</p>{{end}}
<table><tr><th>state</th><th>file</th><th>progress</th><th>rates (down / up)</th><th>peers</th><th>link</th></tr>
{{range .Swarms}}<tr><td>{{.State}}{{if .Err}}<br><span class="err">{{.Err}}</span>{{end}}</td>
<td>{{.Name}}<br><code>{{.Path}}</code></td>
<td>{{if .Live}}live{{if .LiveSource}} source{{end}}<br>{{if .HaveChunks}}edge at chunk {{.LiveEdge}}, {{bytes .Have}} so far{{else}}no chunk yet{{end}}{{else}}{{pct .HaveChunks .TotalChunks}}<br>{{.HaveChunks}}/{{.TotalChunks}} chunks{{if ge .Size 0}}, {{bytes .Have}} of {{bytes .Size}}{{end}}{{end}}</td>
<td>{{rate .DownRate}} / {{rate .UpRate}}</td>
<td>{{.Peers}} ({{.Seeders}} seeders)</td>
<td><code>{{.URL}}</code>{{if .Watch}}<br><a href="{{.Watch}}">watch</a>{{end}}</td></tr>
{{else}}<tr><td colspan="6">no swarms</td></tr>{{end}}
</table>
<p><a href="/metrics">/metrics</a></p>
</body></html>
`))
