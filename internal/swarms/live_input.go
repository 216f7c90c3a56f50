package swarms

import (
	"context"
	"errors"
	"fmt"
	"sync"
)

// ErrLiveInputClosed is returned by a LiveInput's Write after Close, or after its swarm was
// removed or the manager stopped.
var ErrLiveInputClosed = errors.New("live input closed")

// LiveInput is where a live source's stream goes in (Manager.AddLiveSource): an
// io.WriteCloser that cuts the bytes written into chunks of the stream's chunk size and
// hands each full chunk to the engine, which signs it and tells peers (RFC 7574 §6.1).
//
// Every live chunk is full: a live stream has no end from which a short last chunk could be
// told apart, and peers check chunks against the chunk size the swarm announces. So bytes
// that do not fill a chunk wait in the input for the next Write, and Close drops them
// (Pending says how many) rather than sending a short chunk or padding one with bytes the
// stream never had. A source that must get its last bytes out writes whole chunks.
//
// Writes are serialized; a Write returns once every full chunk it completed was injected.
// After an injection fails, every later Write fails with that error.
type LiveInput struct {
	chunkSize int
	// inject hands one full chunk to the engine; it owns chunk from then on.
	inject func(ctx context.Context, chunk []byte) error
	// ctx ends when the input is closed, its swarm removed or the manager stopped: an
	// injection waiting for the node's loop gives up then.
	ctx    context.Context
	cancel context.CancelFunc

	mu       sync.Mutex
	pending  []byte // the start of the next chunk, shorter than chunkSize
	err      error  // sticky: the failure that ended the input
	injected uint64 // chunks injected
}

func newLiveInput(ctx context.Context, chunkSize int, inject func(context.Context, []byte) error) *LiveInput {
	ctx, cancel := context.WithCancel(ctx)
	return &LiveInput{chunkSize: chunkSize, inject: inject, ctx: ctx, cancel: cancel, pending: make([]byte, 0, chunkSize)}
}

// Write appends p to the stream. It returns len(p) when every byte is injected or waits in
// the partial next chunk; on an error, the bytes of p before the chunk that failed.
func (in *LiveInput) Write(p []byte) (int, error) {
	in.mu.Lock()
	defer in.mu.Unlock()
	if in.err != nil {
		return 0, in.err
	}
	n := 0
	for len(p) > 0 {
		take := min(in.chunkSize-len(in.pending), len(p))
		in.pending = append(in.pending, p[:take]...)
		p = p[take:]
		n += take
		if len(in.pending) < in.chunkSize {
			break // p is used up; the rest of the chunk comes with a later Write
		}
		chunk := in.pending
		// A fresh buffer each time: the engine keeps the chunk it is given (it signs,
		// stores and serves it), so the next one must not write over it.
		in.pending = make([]byte, 0, in.chunkSize)
		if err := in.ctx.Err(); err != nil {
			in.err = ErrLiveInputClosed
			return n - take, in.err
		}
		if err := in.inject(in.ctx, chunk); err != nil {
			if in.ctx.Err() != nil {
				err = ErrLiveInputClosed
			}
			in.err = fmt.Errorf("live input: chunk %d: %w", in.injected, err)
			return n - take, in.err
		}
		in.injected++
	}
	return n, nil
}

// Close ends the input; the bytes of a partial chunk are dropped (see LiveInput). The swarm
// goes on serving what it holds until it is removed. Close may be called more than once
// and from another goroutine than Write's: a Write waiting for the engine gives up.
func (in *LiveInput) Close() error {
	in.shut(ErrLiveInputClosed)
	return nil
}

// shut ends the input with err (unless it has already ended).
func (in *LiveInput) shut(err error) {
	in.cancel()
	in.mu.Lock()
	if in.err == nil {
		in.err = err
	}
	in.pending = in.pending[:0]
	in.mu.Unlock()
}

// Pending is how many bytes wait for the rest of their chunk (Close drops them).
func (in *LiveInput) Pending() int {
	in.mu.Lock()
	defer in.mu.Unlock()
	return len(in.pending)
}

// Injected is how many chunks were injected.
func (in *LiveInput) Injected() uint64 {
	in.mu.Lock()
	defer in.mu.Unlock()
	return in.injected
}

// ChunkSize is the stream's chunk size.
func (in *LiveInput) ChunkSize() int { return in.chunkSize }
