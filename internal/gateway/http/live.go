package httpgw

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/livebuf"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// LiveManager is what a manager that holds live swarms adds. The gateway checks for it on
// the manager New is given (*swarms.Manager has it); without it every swarm is static.
type LiveManager interface {
	// LiveBuffer returns the chunk buffer of a live swarm; ok is false for a swarm that is
	// not live (or not held).
	LiveBuffer(id swarms.ID) (buf *livebuf.Buffer, ok bool)
}

// liveCopySize is the most one write of a live response carries. A Read returns what is
// there, usually a chunk or a few, so this only bounds a reader catching up on a backlog.
const liveCopySize = 32 << 10

// liveBuffer returns the buffer of id if the manager holds it as a live swarm.
func (s *Server) liveBuffer(id swarms.ID) (*livebuf.Buffer, bool) {
	if s.live == nil {
		return nil, false
	}
	return s.live.LiveBuffer(id)
}

// serveLive answers GET and HEAD on a live swarm (RFC 7574 §6): an open-ended 200 response,
// no Content-Length, that starts a little behind the live edge at a place a player can
// start (for MPEG-TS, a packet boundary, a PAT when one is near: livebuf.TuneIn) and then
// follows the stream, a write and a flush as chunks arrive, until the client leaves or the
// stream ends.
//
// Range requests get the same 200: a live stream has no byte positions a player could seek
// to (the bytes before the window are gone, those after it do not exist yet), so the Range
// header is ignored as RFC 9110 §14.2 allows, and Accept-Ranges says "none".
func (s *Server) serveLive(w http.ResponseWriter, r *http.Request, req contentRequest, buf *livebuf.Buffer) error {
	ctx := r.Context()
	startCtx, cancel := ctx, context.CancelFunc(func() {})
	if s.opts.StartTimeout > 0 {
		startCtx, cancel = context.WithTimeout(ctx, s.opts.StartTimeout)
	}
	chunk, offset, err := buf.TuneIn(startCtx, s.opts.LiveLag)
	cancel()
	switch {
	case err == nil:
	case ctx.Err() != nil:
		return fmt.Errorf("%w: tuning in: %w", errClientGone, err)
	case errors.Is(err, context.DeadlineExceeded):
		return replyError(http.StatusGatewayTimeout,
			fmt.Sprintf("live swarm %s: no chunk arrived within %v", req.id, s.opts.StartTimeout), err)
	case errors.Is(err, livebuf.ErrClosed):
		return replyError(http.StatusNotFound, fmt.Sprintf("live swarm %s has ended", req.id), err)
	default:
		return replyError(http.StatusServiceUnavailable, fmt.Sprintf("live swarm %s: tuning in failed", req.id), err)
	}

	h := w.Header()
	h.Set("Content-Type", liveType(req, buf, chunk))
	// Every request gets the stream as it is now: nothing to cache or revalidate.
	h.Set("Cache-Control", "no-store")
	h.Set("Accept-Ranges", "none")
	w.WriteHeader(http.StatusOK)
	if r.Method == http.MethodHead {
		return nil
	}
	// The headers go out now, so a player knows the stream is on before the next chunk.
	if err := http.NewResponseController(w).Flush(); err != nil {
		return nil // the client is gone; the status is already recorded
	}
	s.copyLive(ctx, w, req.id, buf, chunk, offset)
	return nil
}

// copyLive streams the live swarm from chunk, offset on until ctx ends (the client left,
// or the gateway shuts down), a write fails or the buffer closes (the swarm was removed).
// Each write is flushed by the recorder.
func (s *Server) copyLive(ctx context.Context, w http.ResponseWriter, id swarms.ID, buf *livebuf.Buffer, chunk uint64, offset int) {
	s.metrics.liveStreams.Inc()
	defer s.metrics.liveStreams.Dec()
	rd := buf.NewReader(ctx, chunk)
	rd.StartOffset = offset
	p := make([]byte, min(liveCopySize, max(buf.ChunkSize(), 1)*8))
	var skipped uint64
	started := time.Now()
	var sent int64
	for {
		n, err := rd.Read(p)
		if k := rd.Skipped(); k > skipped {
			s.metrics.liveSkipped.Add(float64(k - skipped))
			skipped = k
		}
		if n > 0 {
			m, werr := w.Write(p[:n])
			sent += int64(m)
			s.metrics.liveServed.Add(float64(m))
			if werr != nil {
				err = werr
			}
		}
		if err != nil {
			s.log.Debug("live stream ended", zap.Stringer("swarm", id), zap.Int64("bytes", sent),
				zap.Uint64("chunks_skipped", skipped), zap.Duration("for", time.Since(started)), zap.Error(err))
			return
		}
	}
}

// liveType is the Content-Type of a live stream: ?mt=, else the path's file name, else
// MPEG-TS when the tune-in chunk looks like it (the usual live container: ffmpeg -f
// mpegts, libswift's live sources), else bytes.
func liveType(req contentRequest, buf *livebuf.Buffer, chunk uint64) string {
	if req.mimeType != "" {
		return req.mimeType
	}
	if t := typeByName(req.fileName); t != "" {
		return t
	}
	p := make([]byte, buf.ChunkSize())
	n, ok := buf.Get(chunk, p)
	if !ok {
		// Evicted since TuneIn: the newest chunk says as much about the container.
		edge, _ := buf.Edge()
		n, _ = buf.Get(edge, p)
	}
	if _, ok := livebuf.TSStart(p[:n]); ok {
		return "video/mp2t"
	}
	return octetStream
}
