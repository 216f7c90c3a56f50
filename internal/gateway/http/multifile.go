package httpgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/multifile"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// A multi-file swarm (libswift's layout, internal/multifile) is served file by file: for
// /SWARMHEX/PATH, when the swarm's content begins with a spec that names PATH, the reply is
// that file's bytes, a section of the swarm, with its own length and Range support. For
// any other swarm the trailing name stays what it always was, a display name giving the
// Content-Type. Telling the two apart reads the swarm's first chunk (verified, as every
// read), which a player needs first anyway.

// selectFile narrows st to the file req names, when the swarm is a multi-file one, and
// returns the length now served and whether it is a file. A path the spec does not name is
// answered 404, with the files it does name.
func (s *Server) selectFile(st *stream, req contentRequest) (int64, bool, error) {
	spec, err := s.spec(st, req.id)
	if err != nil {
		return 0, false, err
	}
	if spec == nil {
		return st.size, false, nil
	}
	f, ok := spec.Lookup(req.fileName)
	if !ok {
		return 0, false, replyError(http.StatusNotFound, notInSwarm(req, spec), nil)
	}
	st.mu.Lock()
	defer st.mu.Unlock()
	st.base, st.size, st.etagSuffix = f.Offset, f.Size, "/"+f.Path
	return f.Size, true, nil
}

// swarmFiles is what a swarm's first bytes said about its files: a spec, or nil for a
// swarm that is not a multi-file one.
type swarmFiles struct{ spec *multifile.Spec }

// spec returns the multi-file spec of swarm id read through st, or nil when the swarm is
// not a multi-file one. Either answer is cached: it was read from verified bytes of a
// swarm whose ID fixes its content.
func (s *Server) spec(st *stream, id swarms.ID) (*multifile.Spec, error) {
	if f, ok := s.specs.get(id); ok {
		return f.spec, nil
	}
	spec, err := st.spec()
	if errors.Is(err, multifile.ErrNotMultifile) {
		spec, err = nil, nil
	}
	if err != nil {
		return nil, err
	}
	s.specs.put(id, swarmFiles{spec})
	return spec, nil
}

// spec reads the multi-file spec at the start of the whole swarm (before any section is
// selected); ErrNotMultifile for any other content.
func (st *stream) spec() (*multifile.Spec, error) {
	st.mu.Lock()
	defer st.mu.Unlock()
	if st.base != 0 {
		return nil, errors.New("spec: a section is already selected")
	}
	return multifile.ReadSpec(lockedReaderAt{st}, st.size)
}

// lockedReaderAt reads a stream whose mu the caller holds.
type lockedReaderAt struct{ st *stream }

func (l lockedReaderAt) ReadAt(p []byte, off int64) (int, error) { return l.st.readAtLocked(p, off) }

var _ io.ReaderAt = lockedReaderAt{}

func notInSwarm(req contentRequest, spec *multifile.Spec) string {
	var b strings.Builder
	fmt.Fprintf(&b, "swarm %s is a multi-file swarm with no file %q. Its files:\n", req.id, req.fileName)
	for i, f := range spec.Files() {
		if i == 20 {
			fmt.Fprintf(&b, "... and %d more: see /watch/%s\n", len(spec.Files())-i, req.id)
			break
		}
		fmt.Fprintf(&b, "/%s/%s (%d bytes)\n", req.id, f.Path, f.Size)
	}
	return b.String()
}

// fileLink is one file of a multi-file swarm on its /watch page.
type fileLink struct {
	Path          string
	Size          int64
	Watch, Direct string
}

// watchSpecWait bounds how long a /watch page waits for a held swarm's first chunk to
// list its files; the page is shown without the list after that.
const watchSpecWait = 5 * time.Second

// fileLinks lists the files of a held multi-file swarm for its /watch page; nil for
// another swarm, one not held, or one whose spec is not there within watchSpecWait.
func (s *Server) fileLinks(r *http.Request, req contentRequest) []fileLink {
	if _, err := s.m.Status(req.id); err != nil {
		return nil
	}
	ctx, cancel := context.WithTimeoutCause(r.Context(), watchSpecWait, errStartTimeout)
	defer cancel()
	rd, err := s.m.OpenReader(ctx, req.id)
	if err != nil {
		return nil
	}
	st := newStream(rd, func(error) { cancel() }, s.metrics)
	defer st.close()
	if _, err := st.loadSize(); err != nil {
		return nil
	}
	spec, err := s.spec(st, req.id)
	if err != nil {
		s.log.Debug("watch page: no file list", zap.Stringer("swarm", req.id), zap.Error(err))
		return nil
	}
	if spec == nil {
		return nil
	}
	links := make([]fileLink, 0, len(spec.Files()))
	for _, f := range spec.Files() {
		p := req.id.String() + "/" + f.Path
		links = append(links, fileLink{Path: f.Path, Size: f.Size,
			Watch:  (&url.URL{Path: "/watch/" + p, RawQuery: r.URL.RawQuery}).String(),
			Direct: (&url.URL{Path: "/" + p, RawQuery: r.URL.RawQuery}).String()})
	}
	return links
}
