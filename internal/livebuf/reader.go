package livebuf

import "context"

// DefaultSkipAfter is Reader.SkipAfter as NewReader sets it: a chunk still missing once 64
// later chunks are held is taken as lost. Peers fetch the chunks near the edge in parallel,
// so a few may overtake one another, but not dozens (64 KiB of 1 KiB chunks).
const DefaultSkipAfter = 64

// Reader reads a live stream as bytes: those of chunks start, start+1, ..., waiting for the
// chunks not there yet. It never returns io.EOF while the stream runs: a Read ends with
// ErrClosed when the buffer closes, or the context's error.
//
// A chunk that never arrives (lost upstream, or evicted before this reader got to it, as
// happens to a reader slower than the stream) does not stall the reader: once the chunk
// fell behind the window, or chunks more than SkipAfter past it are held, the reader
// skips to the next held chunk and counts the chunks it passed over (Skipped).
//
// A Reader is for one goroutine; many readers may share a Buffer.
type Reader struct {
	// SkipAfter is how far the edge may run past a missing chunk before the reader gives
	// it up; set it before the first Read.
	SkipAfter uint64
	// StartOffset is where in the start chunk reading begins (TuneIn's offset); set it
	// before the first Read. When the start chunk is skipped it is ignored: reading then
	// begins at the start of the next chunk held.
	StartOffset int

	b       *Buffer
	ctx     context.Context
	next    uint64 // the next chunk to read
	started bool   // the start chunk was read or skipped
	pending []byte // the unread rest of a chunk that did not fit the caller's buffer
	scratch []byte // pending's storage, one chunk
	skipped uint64
}

// NewReader returns a reader of the stream from chunk start on; its waits end when ctx
// does.
func (b *Buffer) NewReader(ctx context.Context, start uint64) *Reader {
	return &Reader{SkipAfter: DefaultSkipAfter, b: b, ctx: ctx, next: start}
}

// Skipped is how many chunks the reader passed over because they never arrived in time.
func (r *Reader) Skipped() uint64 { return r.skipped }

// Next is the index of the next chunk the reader will read.
func (r *Reader) Next() uint64 { return r.next }

// Read copies the stream's next bytes into p. It waits only while it has nothing to
// return; once it has some bytes it returns them rather than wait for more.
func (r *Reader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	n := 0
	for n < len(p) {
		if len(r.pending) > 0 {
			k := copy(p[n:], r.pending)
			r.pending = r.pending[k:]
			n += k
			continue
		}
		k, ok := r.take(p[n:])
		if ok {
			n += k
			continue
		}
		if n > 0 {
			return n, nil
		}
		if _, err := r.b.waitUntil(r.ctx, r.readyLocked); err != nil {
			return 0, err
		}
	}
	return n, nil
}

// take copies the next chunk, skipping lost ones, into p (the part that does not fit goes
// to pending) without waiting; false when the next chunk is not there yet.
func (r *Reader) take(p []byte) (int, bool) {
	b := r.b
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.closed {
		return 0, false // the wait reports it
	}
	r.skipLostLocked()
	c, ok := b.slotLocked(r.next)
	if !ok {
		return 0, false
	}
	if !r.started {
		c = c[min(max(r.StartOffset, 0), len(c)):]
		r.started = true
	}
	r.next++
	if len(p) >= len(c) {
		return copy(p, c), true
	}
	if r.scratch == nil {
		r.scratch = make([]byte, b.chunkSize)
	}
	r.pending = r.scratch[:copy(r.scratch, c)]
	k := copy(p, r.pending)
	r.pending = r.pending[k:]
	return k, true
}

// readyLocked is the wait's condition: the next chunk is there, or it is lost.
func (r *Reader) readyLocked() (bool, error) {
	if _, ok := r.b.slotLocked(r.next); ok {
		return true, nil
	}
	return r.lostLocked(), nil
}

// lostLocked reports whether the next chunk is not held and will not be waited for.
func (r *Reader) lostLocked() bool {
	b := r.b
	if !b.hasEdge {
		return false
	}
	if b.behindLocked(r.next) {
		return true
	}
	return b.edge > r.next && b.edge-r.next > r.SkipAfter
}

// skipLostLocked moves the reader past missing chunks it has given up on, to the next held
// chunk, and counts them.
func (r *Reader) skipLostLocked() {
	b := r.b
	if _, ok := b.slotLocked(r.next); ok || !r.lostLocked() {
		return
	}
	j, ok := b.nextHeldLocked(r.next + 1)
	if !ok {
		return
	}
	r.skipped += j - r.next
	r.next = j
	r.started = true
}
