package httpgw

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"
	"time"
)

// stream is the io.ReadSeeker http.ServeContent reads: a swarm reader of known size, read
// only through ReadAt, so that every read names the offset it needs (which moves the
// swarm's playback position there) and is timed for the metrics.
//
// ServeContent reads multiple ranges from a goroutine of its own that may still be inside
// a read when the handler returns; mu keeps close from closing the reader under it.
type stream struct {
	rd     Reader
	cancel context.CancelCauseFunc // ends the context the reader was opened with
	m      *metrics

	mu   sync.Mutex
	base int64 // where the stream starts in the swarm: a multi-file swarm's file (multifile.go)
	// etagSuffix tells a file's ETag from its swarm's ("/PATH"); set with base.
	etagSuffix string
	size       int64
	pos        int64
	closed     bool
}

var errStreamClosed = errors.New("stream closed")

// maxEmptyReads bounds how often a reader may return no bytes and no error in a row
// before the stream calls it stuck, so a misbehaving reader cannot spin a request forever.
const maxEmptyReads = 100

func newStream(rd Reader, cancel context.CancelCauseFunc, m *metrics) *stream {
	return &stream{rd: rd, cancel: cancel, m: m, size: -1}
}

// loadSize waits until the swarm's content length is known.
func (s *stream) loadSize() (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return 0, errStreamClosed
	}
	s.m.readsWaiting.Inc()
	size, err := s.rd.Size()
	s.m.readsWaiting.Dec()
	if err != nil {
		return 0, fmt.Errorf("content length: %w", err)
	}
	if size < 0 {
		return 0, fmt.Errorf("content length %d", size)
	}
	s.size = size
	return size, nil
}

// head reads up to n bytes from the start, for sniffing. It reads until it has n bytes
// (or the whole content), as a reader may return one chunk at a time.
func (s *stream) head(n int) ([]byte, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	buf := make([]byte, min(int64(n), s.size))
	got := 0
	for got < len(buf) {
		k, err := s.readAtLocked(buf[got:], int64(got))
		got += k
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, err
		}
	}
	return buf[:got], nil
}

func (s *stream) Read(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.pos >= s.size {
		return 0, io.EOF
	}
	if rest := s.size - s.pos; int64(len(p)) > rest {
		p = p[:rest]
	}
	n, err := s.readAtLocked(p, s.pos)
	s.pos += int64(n)
	if err == io.EOF && s.pos < s.size {
		err = io.ErrUnexpectedEOF
	}
	return n, err
}

func (s *stream) Seek(offset int64, whence int) (int64, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += s.pos
	case io.SeekEnd:
		offset += s.size
	default:
		return 0, fmt.Errorf("seek: whence %d", whence)
	}
	if offset < 0 {
		return 0, fmt.Errorf("seek to %d: before the start", offset)
	}
	s.pos = offset
	return offset, nil
}

// readAtLocked reads at off, waiting for verified chunks, and records the wait.
func (s *stream) readAtLocked(p []byte, off int64) (int, error) {
	if s.closed {
		return 0, errStreamClosed
	}
	s.m.readsWaiting.Inc()
	defer s.m.readsWaiting.Dec()
	for range maxEmptyReads {
		start := time.Now()
		n, err := s.rd.ReadAt(p, s.base+off)
		s.m.readWait.Observe(time.Since(start).Seconds())
		if n > 0 || err != nil {
			return n, err
		}
	}
	return 0, fmt.Errorf("read at %d: %w", off, io.ErrNoProgress)
}

// close cancels any read in progress, waits for it to return and closes the reader, so the
// swarm drops this reader's playback window.
func (s *stream) close() error {
	s.cancel(errStreamClosed)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return nil
	}
	s.closed = true
	return s.rd.Close()
}
