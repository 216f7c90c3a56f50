// Package follow opens the input of a live source (RFC 7574 §6): a file that another
// process is still writing, read as `tail -f` reads it (from its start, then whatever is
// appended, until closed), or a FIFO.
package follow

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"sync"
	"time"
)

// DefaultPoll is how often a followed file at its end is checked for more bytes. It adds at
// most this much to a chunk's way from the file to the peers; a stat and a read every 10 ms
// cost next to nothing.
const DefaultPoll = 10 * time.Millisecond

// ErrTruncated is returned when a followed file shrinks below what was read: its writer
// started over, and the bytes that follow are not the continuation of the stream.
var ErrTruncated = errors.New("follow: file truncated")

// Open opens path as a live source's input:
//
//   - a regular file is read from its start; with follow, reaching its end waits for more
//     (polling every poll, DefaultPoll when 0) until Close, as tail -f does; without, its
//     end is the end of the stream;
//   - a FIFO is opened for reading and writing, which never blocks (on Linux) and keeps a
//     writer on it, so the stream goes on when its writer closes and another opens it (an
//     encoder restarted): it is read until Close, whatever follow says;
//   - anything else (a character device, a socket) is read as it is, until its end.
//
// Close interrupts a Read that waits, from any goroutine.
func Open(path string, follow bool, poll time.Duration) (io.ReadCloser, error) {
	fi, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("live input: %w", err)
	}
	switch {
	case fi.IsDir():
		return nil, fmt.Errorf("live input %s is a directory", path)
	case fi.Mode()&fs.ModeNamedPipe != 0:
		// O_RDWR: see above. The runtime's poller then serves the reads, so Close
		// interrupts one that waits.
		f, err := os.OpenFile(path, os.O_RDWR, 0)
		if err != nil {
			return nil, fmt.Errorf("live input: %w", err)
		}
		return f, nil
	}
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("live input: %w", err)
	}
	if !follow || !fi.Mode().IsRegular() {
		return f, nil
	}
	if poll <= 0 {
		poll = DefaultPoll
	}
	return &Reader{f: f, poll: poll, closed: make(chan struct{})}, nil
}

// Reader reads a regular file that is still being written: at its end, Read waits for
// more instead of returning io.EOF, until Close.
type Reader struct {
	f    *os.File
	poll time.Duration
	read int64 // bytes read so far: the file's size must not drop below it

	closeOnce sync.Once
	closed    chan struct{}
}

// Read returns the next bytes of the file, waiting at its end for its writer to add more.
// It returns io.EOF once the Reader is closed, and ErrTruncated when the file shrank.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	var timer *time.Timer
	defer func() {
		if timer != nil {
			timer.Stop()
		}
	}()
	for {
		select {
		case <-r.closed:
			return 0, io.EOF
		default:
		}
		n, err := r.f.Read(p)
		if errors.Is(err, os.ErrClosed) {
			return n, io.EOF // Close came while the read ran
		}
		r.read += int64(n)
		if n > 0 || (err != nil && !errors.Is(err, io.EOF)) {
			return n, err
		}
		if fi, err := r.f.Stat(); err == nil && fi.Size() < r.read {
			return 0, fmt.Errorf("%w: %s is %d bytes, %d were read", ErrTruncated, r.f.Name(), fi.Size(), r.read)
		}
		if timer == nil {
			timer = time.NewTimer(r.poll)
		} else {
			timer.Reset(r.poll)
		}
		select {
		case <-r.closed:
			return 0, io.EOF
		case <-timer.C:
		}
	}
}

// Close ends the Reader: a Read waiting for more returns io.EOF. It may be called more
// than once and concurrently with Read.
func (r *Reader) Close() error {
	var err error
	r.closeOnce.Do(func() {
		close(r.closed)
		err = r.f.Close()
	})
	return err
}
