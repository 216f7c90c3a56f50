package swarms

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sync"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// playbackWindow is how many chunks ahead of a reader the picker fetches first and in order.
const playbackWindow = 256

// Reader reads a swarm's content for a player while it downloads: a read waits until
// the chunks it covers are verified, and moves the reader's own playback window there so
// the picker fetches them first. Several readers of one swarm (two players, or a player's
// two connections: a video's start and its index at the end) each keep their window.
// Bytes come only from verified storage. A Reader is for one goroutine (an HTTP request);
// the context given to OpenReader bounds its waits.
type Reader struct {
	m   *Manager
	e   *entry
	ctx context.Context
	pos int64
	// owner names this reader's window in the engine (engine.PlaybackID).
	owner engine.PlaybackID

	// windowMu orders the calls that set and clear the window, so that none sets it after
	// Close has cleared it; closed is set by Close.
	windowMu sync.Mutex
	closed   bool
}

// OpenReader returns a reader of swarm id. Close it to drop its playback window.
func (m *Manager) OpenReader(ctx context.Context, id ID) (*Reader, error) {
	m.mu.Lock()
	e, ok := m.swarms[id]
	if !ok {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w %v", ErrUnknown, id)
	}
	if e.state == StateStopped || e.state == StateError {
		m.mu.Unlock()
		return nil, fmt.Errorf("swarm %v is %v", id, e.state)
	}
	if e.live != nil {
		m.mu.Unlock()
		return nil, fmt.Errorf("%w: %v: read its chunks from its live store (Manager.LiveStore)", ErrLive, id)
	}
	m.playbackOwners++
	e.readers++ // keeps the swarm loaded (zerostate.go)
	r := &Reader{m: m, e: e, ctx: ctx, owner: m.playbackOwners}
	m.mu.Unlock()
	m.wakeCold(e) // a swarm held unloaded is loaded for the reader
	return r, nil
}

// Size waits until the content size is known and returns it.
//
// A download learns the chunk count from the peak hashes (RFC 7574 §5.6), but the size in
// bytes only with the last chunk, whose length nothing else tells. So once the count is
// known, Size points the reader's window at the last chunk: in bulk mode it would come at a
// random point of the download, and a player waits for the size before its first byte.
func (r *Reader) Size() (int64, error) {
	askedLast := false
	for {
		r.m.mu.Lock()
		size, st := r.e.size, r.e.store
		if st != nil {
			if s, ok := st.Size(); ok {
				size = s
			}
		}
		wait := r.waitLocked()
		r.m.mu.Unlock()
		if size >= 0 {
			return size, nil
		}
		if !askedLast && st != nil {
			if n := st.NumChunks(); n > 0 {
				askedLast = r.setWindow(n-1, 1)
			}
		}
		if err := r.block(wait); err != nil {
			return 0, err
		}
	}
}

// ReadAt reads verified bytes at off, waiting for the first chunk it covers; it returns
// fewer bytes than asked (and no error) when a later chunk is not there yet.
func (r *Reader) ReadAt(p []byte, off int64) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	moved := false
	for {
		r.m.mu.Lock()
		st, cs := r.e.store, int64(r.e.rec.ChunkSize)
		wait := r.waitLocked()
		r.m.mu.Unlock()
		if st != nil {
			n, err := st.ReadAt(p, off)
			if n > 0 {
				return n, nil
			}
			if err == nil || errors.Is(err, io.EOF) {
				return n, err
			}
			if !errors.Is(err, storage.ErrNotVerified) && !errors.Is(err, storage.ErrContentChanged) {
				return n, err
			}
			if !moved && cs > 0 {
				// Not there yet: have the picker fetch from here on, in order.
				moved = r.setWindow(uint64(off/cs), playbackWindow)
			}
		}
		if err := r.block(wait); err != nil {
			return 0, err
		}
	}
}

// Read implements io.Reader.
func (r *Reader) Read(p []byte) (int, error) {
	n, err := r.ReadAt(p, r.pos)
	r.pos += int64(n)
	return n, err
}

// Seek implements io.Seeker (http.ServeContent seeks to the end to learn the size).
func (r *Reader) Seek(offset int64, whence int) (int64, error) {
	switch whence {
	case io.SeekStart:
	case io.SeekCurrent:
		offset += r.pos
	case io.SeekEnd:
		size, err := r.Size()
		if err != nil {
			return 0, err
		}
		offset += size
	default:
		return 0, errors.New("seek: bad whence")
	}
	if offset < 0 {
		return 0, errors.New("seek: negative position")
	}
	r.pos = offset
	return offset, nil
}

// setWindow moves the reader's playback window to chunks [pos, pos+width). It reports false when the
// swarm is not in the node yet (its store is open, the node not told): the next wake-up
// tries again. Other failures (too many windows, the caller gone) leave the read waiting
// without priority.
func (r *Reader) setWindow(pos, width uint64) bool {
	r.windowMu.Lock()
	defer r.windowMu.Unlock()
	if r.closed {
		return true
	}
	err := r.m.node.SetPlayback(r.ctx, engine.SwarmID(r.e.id), r.owner, pos, width)
	return !errors.Is(err, engine.ErrUnknownSwarm)
}

// Close drops the reader's playback window; other readers of the swarm keep theirs.
func (r *Reader) Close() error {
	r.windowMu.Lock()
	defer r.windowMu.Unlock()
	if r.closed {
		return nil
	}
	r.closed = true
	r.m.mu.Lock()
	inNode := r.e.inNode
	r.e.readers--
	r.m.mu.Unlock()
	if inNode {
		// Not the reader's context: it is often cancelled already (the client hung up).
		ctx, cancel := context.WithTimeout(context.Background(), playbackResetTimeout)
		defer cancel()
		_ = r.m.node.ClearPlayback(ctx, engine.SwarmID(r.e.id), r.owner)
	}
	return nil
}

// waitLocked returns a channel closed at the swarm's next change (chunks verified, state
// changed); m.mu must be held.
func (r *Reader) waitLocked() <-chan struct{} {
	if r.e.changed == nil {
		r.e.changed = make(chan struct{})
	}
	return r.e.changed
}

func (r *Reader) block(wait <-chan struct{}) error {
	select {
	case <-wait:
		r.m.mu.Lock()
		state := r.e.state
		removed := r.m.swarms[r.e.id] != r.e
		r.m.mu.Unlock()
		if removed {
			return fmt.Errorf("swarm %v was removed", r.e.id)
		}
		if state == StateError || state == StateStopped {
			return fmt.Errorf("swarm %v is %v", r.e.id, state)
		}
		return nil
	case <-r.ctx.Done():
		return r.ctx.Err()
	case <-r.m.base.Done():
		return ErrClosed
	}
}
