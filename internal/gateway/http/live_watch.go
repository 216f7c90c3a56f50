package httpgw

import (
	"html/template"
	"net/http"
	"net/netip"
	"net/url"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/livebuf"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// localAddrer is what a manager that knows its PPSPP socket adds (*swarms.Manager has
// it): the live page's tswift link names that address as the peer to join.
type localAddrer interface {
	LocalAddr() netip.AddrPort
}

// liveWatchPage plays a live swarm. Browsers play MPEG-TS only through a script library
// (none is bundled), so the page also gives the stream's URL for players that do and the
// tswift link for other PPSPP peers.
var liveWatchPage = template.Must(template.New("livewatch").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · live · ppsppd</title>
<style>body{margin:0;background:#111;color:#ddd;font-family:sans-serif}video{display:block;width:100%;max-height:80vh;background:#000}p{margin:.6em 1em;font-size:.9em}a{color:#9cf}code{color:#fff}</style>
</head><body>
<video controls autoplay muted src="{{.Src}}"></video>
<p>● live · {{.Title}} · <a href="{{.Src}}">stream</a></p>
<p>Players such as mpv, VLC and ffplay play the stream: <code>mpv {{.Direct}}</code>. Browsers cannot play raw MPEG-TS without a script library, so the video above may stay black.</p>
<p>PPSPP link (for another ppsppd or libswift): <code>{{.Link}}</code></p>
</body></html>
`))

// watchLive answers /watch/SWARMHEX... for a live swarm.
func (s *Server) watchLive(w http.ResponseWriter, r *http.Request, path string, req contentRequest, buf *livebuf.Buffer) error {
	title := req.id.String()
	if st, err := s.m.Status(req.id); err == nil && st.Name != "" {
		title = st.Name
	}
	src := &url.URL{Path: "/" + path, RawQuery: r.URL.RawQuery}
	direct := &url.URL{Scheme: "http", Host: r.Host, Path: src.Path, RawQuery: src.RawQuery}
	page := struct{ Title, Src, Direct, Link string }{title, src.String(), direct.String(), s.liveLink(req.id, buf)}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	if err := liveWatchPage.Execute(w, page); err != nil {
		s.log.Debug("live watch page", zap.Error(err))
	}
	return nil
}

// liveLink is the swarm's tswift link, naming this daemon as the peer when the manager
// knows its address.
func (s *Server) liveLink(id swarms.ID, buf *livebuf.Buffer) string {
	link := swarmurl.Link{SwarmID: []byte(id), ChunkSize: uint32(buf.ChunkSize()), Size: -1, Hash: -1}
	if s.local != nil {
		if a := s.local.LocalAddr(); a.IsValid() {
			link.Peer = swarms.Advertised(a).String()
		}
	}
	return link.String()
}
