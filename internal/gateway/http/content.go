package httpgw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/textproto"
	"strconv"
	"strings"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms"
)

// errStartTimeout cancels a request whose content did not start within StartTimeout.
var errStartTimeout = errors.New("content did not start in time")

// serveContent answers GET and HEAD on /SWARMHEX...: it finds or starts the swarm, opens a
// reader bound to the request, waits (bounded) for the size and the type, and hands the
// rest to http.ServeContent.
func (s *Server) serveContent(w http.ResponseWriter, r *http.Request, path string) error {
	req, err := parseContentRequest(path, r.URL.RawQuery)
	if err != nil {
		return replyError(http.StatusBadRequest, err.Error()+"\n"+usage, nil)
	}
	if buf, ok := s.liveBuffer(req.id); ok {
		return s.serveLive(w, r, req, buf) // live.go
	}
	st, err := s.findOrStart(r.Context(), req)
	if err != nil {
		return err
	}
	if st.State == swarms.StateError {
		return replyError(http.StatusServiceUnavailable, fmt.Sprintf("swarm %s failed: %s", req.id, st.Err), nil)
	}

	// The reader's context is the request's, so a client that hangs up cancels any wait
	// and the swarm drops this reader's window; start timeouts and close cancel it too.
	ctx, cancel := context.WithCancelCause(r.Context())
	defer cancel(nil)
	rd, err := s.m.OpenReader(ctx, req.id)
	if err != nil {
		return s.managerError(req.id, "opening a reader", err)
	}
	body := newStream(rd, cancel, s.metrics)
	defer func() {
		if err := body.close(); err != nil {
			s.log.Debug("closing swarm reader", zap.Stringer("swarm", req.id), zap.Error(err))
		}
	}()

	var timer *time.Timer
	if s.opts.StartTimeout > 0 {
		timer = time.AfterFunc(s.opts.StartTimeout, func() { cancel(errStartTimeout) })
	}
	ctype, err := s.start(body, req, st)
	if timer != nil && !timer.Stop() && err == nil {
		// The timer fired as the start succeeded: the reader's context is cancelled, so
		// answer as if it had fired first.
		err = context.Cause(ctx)
	}
	if err != nil {
		switch {
		case r.Context().Err() != nil:
			return fmt.Errorf("%w: %w", errClientGone, err)
		case errors.Is(context.Cause(ctx), errStartTimeout):
			return replyError(http.StatusGatewayTimeout, s.notStarted(req.id), err)
		case errors.As(err, new(*httpError)):
			return err // already the client's answer (a path naming no file: 404)
		}
		return s.managerError(req.id, "reading", err)
	}

	h := w.Header()
	h.Set("Content-Type", ctype)
	// Content named by its Merkle root never changes, so the ID is a strong validator
	// (RFC 9110 §8.8.3); If-Range and If-None-Match compare against it.
	h.Set("ETag", `"`+req.id.String()+body.etagSuffix+`"`)
	h.Set("Accept-Ranges", "bytes")
	if !dropEmptySuffixRanges(r) {
		h.Set("Content-Range", fmt.Sprintf("bytes */%d", body.size))
		return replyError(http.StatusRequestedRangeNotSatisfiable, "range not satisfiable: a suffix of 0 bytes selects nothing", nil)
	}
	// No name: ServeContent would guess the type from it, and ours is already set.
	http.ServeContent(w, r, "", time.Time{}, body)
	return nil
}

// isZero reports whether net/http reads s as a suffix length of zero ("0", "000", "+0"):
// it parses it with strconv.ParseInt.
func isZero(s string) bool {
	n, err := strconv.ParseInt(s, 10, 64)
	return err == nil && n == 0 && s != "" && s[0] != '-'
}

// dropEmptySuffixRanges removes "-0" (the last zero bytes) from a Range header, which
// selects nothing (RFC 9110 §14.1.1: a suffix-length of 0 is unsatisfiable) but which
// net/http answers with a 206 of an inverted, empty range. It reports false when no range
// is left, so the request is answered 416.
func dropEmptySuffixRanges(r *http.Request) bool {
	rng := r.Header.Get("Range")
	specs, ok := strings.CutPrefix(rng, "bytes=")
	if !ok {
		return true // not a byte range: ServeContent decides
	}
	var kept []string
	for _, spec := range strings.Split(specs, ",") {
		// Read the spec as net/http does: blanks trimmed around it and around both ends.
		start, end, _ := strings.Cut(textproto.TrimString(spec), "-")
		if textproto.TrimString(start) == "" && isZero(textproto.TrimString(end)) {
			continue
		}
		kept = append(kept, spec)
	}
	if len(kept) == 0 {
		return false
	}
	r.Header.Set("Range", "bytes="+strings.Join(kept, ","))
	return true
}

// findOrStart returns the swarm's status, adding it first if the daemon does not hold it
// and a peer to fetch it from is known.
func (s *Server) findOrStart(ctx context.Context, req contentRequest) (swarms.Status, error) {
	st, err := s.m.Status(req.id)
	if err == nil {
		return st, nil
	}
	if !errors.Is(err, swarms.ErrUnknown) {
		return st, s.managerError(req.id, "status", err)
	}
	peers := req.peers
	if s.opts.KnownPeers != nil {
		peers = append(peers, s.opts.KnownPeers(req.id)...)
	}
	if len(peers) == 0 && !s.opts.Discovery {
		return st, replyError(http.StatusNotFound, notHeld(req.id), nil)
	}
	spec := swarms.AddSpec{
		ID: req.id, Peers: peers, ChunkSize: req.chunkSize, Hash: req.hash, Size: req.size, Name: req.fileName,
	}
	st, err = s.m.Add(ctx, spec)
	switch {
	case err == nil:
		s.metrics.swarmsStarted.Inc()
		s.log.Info("http gateway started a swarm", zap.Stringer("swarm", req.id), zap.Strings("peers", peers))
		return st, nil
	case errors.Is(err, swarms.ErrExists):
		// Another request added it meanwhile.
		st, err = s.m.Status(req.id)
		if err != nil {
			return st, s.managerError(req.id, "status", err)
		}
		return st, nil
	case ctx.Err() != nil:
		return st, fmt.Errorf("%w: %w", errClientGone, err)
	}
	return st, replyError(http.StatusBadGateway, fmt.Sprintf("starting swarm %s: %v", req.id, err), err)
}

// start waits for the size and picks the Content-Type: ?mt=, then a file name's
// extension, then the types seen before for this swarm, then the first bytes.
func (s *Server) start(st *stream, req contentRequest, status swarms.Status) (string, error) {
	size, err := st.loadSize()
	if err != nil {
		return "", err
	}
	inFile := false // a file of a multi-file swarm: the swarm's cached type is not its
	if req.fileName != "" {
		if size, inFile, err = s.selectFile(st, req); err != nil {
			return "", err
		}
	}
	if req.mimeType != "" {
		return req.mimeType, nil
	}
	for _, name := range []string{req.fileName, status.Name} {
		if t := typeByName(name); t != "" {
			return t, nil
		}
	}
	if t, ok := s.types.get(req.id); ok && !inFile {
		return t, nil
	}
	if size == 0 {
		return octetStream, nil
	}
	head, err := st.head(sniffLen)
	if err != nil {
		return "", fmt.Errorf("first bytes: %w", err)
	}
	t := sniffType(head)
	if !inFile {
		s.types.put(req.id, t)
	}
	return t, nil
}

// managerError answers an error of the manager: a swarm removed meanwhile is 404, a
// stopping manager 503.
func (s *Server) managerError(id swarms.ID, what string, err error) error {
	switch {
	case errors.Is(err, swarms.ErrUnknown):
		return replyError(http.StatusNotFound, notHeld(id), err)
	case errors.Is(err, swarms.ErrClosed):
		return replyError(http.StatusServiceUnavailable, "the daemon is stopping", err)
	}
	return replyError(http.StatusServiceUnavailable, fmt.Sprintf("swarm %s: %s failed", id, what), err)
}

func notHeld(id swarms.ID) string {
	hexID := id.String()
	return strings.Join([]string{
		"swarm " + hexID + " is not in this daemon, and no peer to fetch it from is known.",
		"Add it with: ppsppd add tswift://IP:PORT/" + hexID,
		"or name a peer in the URL: /" + hexID + "?peer=IP:PORT",
	}, "\n")
}

// notStarted says why a swarm's content did not start in time.
func (s *Server) notStarted(id swarms.ID) string {
	msg := fmt.Sprintf("swarm %s: no content within %v", id, s.opts.StartTimeout)
	st, err := s.m.Status(id)
	if err != nil {
		return msg
	}
	msg += fmt.Sprintf(" (%s, %d peers", st.State, st.Peers)
	if st.Err != "" {
		msg += ": " + st.Err
	}
	return msg + ")"
}
