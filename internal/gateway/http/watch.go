package httpgw

import (
	"html/template"
	"net/http"
	"net/url"

	"go.uber.org/zap"
)

// watchPage is a player: an HTML5 <video> on the stream, so a browser needs nothing else.
// The stream URL keeps the page's query (peer=, mt=, ...), so a watch link can start a swarm.
var watchPage = template.Must(template.New("watch").Parse(`<!doctype html>
<html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}} · ppsppd</title>
<style>body{margin:0;background:#111;color:#ddd;font-family:sans-serif}video{display:block;width:100%;max-height:90vh;background:#000}p{margin:.6em 1em;font-size:.9em}a{color:#9cf}</style>
</head><body>
{{if .Video}}<video controls autoplay preload="auto" src="{{.Src}}"></video>
<p>{{.Title}} · <a href="{{.Src}}">direct link</a> (for players such as mpv or VLC)</p>{{end}}
{{if .Files}}<p>{{len .Files}} files in this swarm:</p>
<ul>{{range .Files}}<li><a href="{{.Watch}}">{{.Path}}</a> ({{.Size}} bytes) · <a href="{{.Direct}}">direct link</a></li>
{{end}}</ul>{{end}}
</body></html>
`))

// watch answers /watch/SWARMHEX...: the page only, for any well-formed ID; the stream it
// points at does the finding, starting and error replies.
func (s *Server) watch(w http.ResponseWriter, r *http.Request, path string) error {
	req, err := parseContentRequest(path, r.URL.RawQuery)
	if err != nil {
		return replyError(http.StatusBadRequest, err.Error()+"\n"+usage, nil)
	}
	if buf, ok := s.liveBuffer(req.id); ok {
		return s.watchLive(w, r, path, req, buf) // live_watch.go
	}
	title := req.fileName
	if st, err := s.m.Status(req.id); err == nil && st.Name != "" && title == "" {
		title = st.Name
	}
	if title == "" {
		title = req.id.String()
	}
	src := &url.URL{Path: "/" + path, RawQuery: r.URL.RawQuery}
	files := s.fileLinks(r, req) // multifile.go
	page := struct {
		Title, Src string
		Video      bool
		Files      []fileLink
	}{title, src.String(), req.fileName != "" || files == nil, files}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	if err := watchPage.Execute(w, page); err != nil {
		s.log.Debug("watch page", zap.Error(err))
	}
	return nil
}
