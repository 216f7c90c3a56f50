package swarms

import (
	"context"
	"slices"
	"sync"
)

// The engine's picker has one playback position per swarm (engine.SetPlayback), while
// several reads of a swarm may wait at once: a player that seeks opens a new request while
// its old one is still open and reading ahead (ffmpeg keeps the old connection until the
// new one answers). When every waiting read moved the position, the read that streams
// ahead could take it back before the picker had asked for anything at the other's, and
// the other then waited until the download reached it: ffprobe's read of the moov atom at
// the end of an MP4 waited seconds, up to the whole download. So the oldest waiting read
// owns the position, and when it is served (or gives up) the next oldest gets it.

// playWait is one read waiting for the chunks from pos on.
type playWait struct {
	pos, window uint64
}

// playQueue is a swarm's waiting reads, oldest first. mu is held across each change of
// the queue and the move of the picker it causes, so the engine sees the positions in
// the order they were decided.
type playQueue struct {
	mu    sync.Mutex
	waits []*playWait
}

// begin registers a read waiting for window chunks from chunk pos; when no older read
// waits, move puts the picker there.
func (q *playQueue) begin(pos, window uint64, move func(pos, window uint64)) *playWait {
	q.mu.Lock()
	defer q.mu.Unlock()
	w := &playWait{pos: pos, window: window}
	q.waits = append(q.waits, w)
	if len(q.waits) == 1 {
		move(w.pos, w.window)
	}
	return w
}

// end removes a served (or abandoned) wait; when it owned the position, move hands it to
// the next oldest. With none left the position stays: the read just served reads on from
// there, and the window after it is what it needs next.
func (q *playQueue) end(w *playWait, move func(pos, window uint64)) {
	q.mu.Lock()
	defer q.mu.Unlock()
	i := slices.Index(q.waits, w)
	if i < 0 {
		return
	}
	q.waits = slices.Delete(q.waits, i, i+1)
	if i == 0 && len(q.waits) > 0 {
		move(q.waits[0].pos, q.waits[0].window)
	}
}

func (r *Reader) beginWait(pos, window uint64) *playWait {
	return r.e.play.begin(pos, window, r.setPlayback)
}

func (r *Reader) endWait(w *playWait) { r.e.play.end(w, r.setPlayback) }

// setPlayback moves the picker, bounded by its own timeout rather than the reader's
// context: a wait that ends because its client left must still hand the position on.
func (r *Reader) setPlayback(pos, window uint64) {
	ctx, cancel := context.WithTimeout(r.m.base, playbackResetTimeout)
	defer cancel()
	_ = r.m.SetPlayback(ctx, r.e.id, pos, window)
}
