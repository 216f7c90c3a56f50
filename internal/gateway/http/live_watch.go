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

// liveWatchPage plays a live swarm. A <video> cannot take an MPEG-TS stream as its src,
// but a browser whose Media Source Extensions parse MPEG-TS with H.264 (Chromium does) can
// be fed it: the script reads the open-ended response and appends what comes to a
// SourceBuffer, trims what was played more than 30 s ago, and starts the video at the first
// frame it has (a live stream joined mid-way does not start at time 0). Elsewhere the
// script gives the <video> the URL as its src, as the page does without scripts. The page
// also gives the URL for mpv, VLC and ffplay, and the tswift link for other PPSPP peers.
var liveWatchPage = template.Must(template.New("livewatch").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · live · ppsppd</title>
<style>body{margin:0;background:#111;color:#ddd;font-family:sans-serif}video{display:block;width:100%;max-height:80vh;background:#000}p{margin:.6em 1em;font-size:.9em}a{color:#9cf}code{color:#fff}</style>
</head><body>
<video id="live" controls autoplay muted playsinline></video>
<noscript><video controls src="{{.Src}}"></video></noscript>
<p>● live · {{.Title}} · <a href="{{.Src}}">stream</a></p>
<p>Players such as mpv, VLC and ffplay play the stream: <code>mpv {{.Direct}}</code>. This page plays MPEG-TS with H.264 where the browser's Media Source Extensions take it (Chromium does).</p>
<script>
(function () {
  var v = document.getElementById("live"), src = {{.Src}};
  var type = 'video/mp2t; codecs="avc1.42E01E"';
  if (!window.MediaSource || !MediaSource.isTypeSupported(type)) { v.src = src; return; }
  var ms = new MediaSource();
  v.src = URL.createObjectURL(ms);
  ms.addEventListener("sourceopen", function () {
    var sb = ms.addSourceBuffer(type), queue = [];
    function pump() {
      if (sb.updating || !queue.length) return;
      var b = v.buffered;
      if (b.length && v.currentTime - b.start(0) > 30) { sb.remove(b.start(0), v.currentTime - 10); return; }
      sb.appendBuffer(queue.shift());
    }
    sb.addEventListener("updateend", function () {
      var b = v.buffered;
      if (b.length && v.currentTime < b.start(0)) v.currentTime = b.start(0);
      if (v.paused) v.play().catch(function () {});
      pump();
    });
    fetch(src).then(function (r) {
      var reader = r.body.getReader();
      (function next() {
        reader.read().then(function (x) {
          if (x.done) return;
          queue.push(x.value); pump(); next();
        });
      })();
    });
  });
})();
</script>
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
