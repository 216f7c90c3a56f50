package engine

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// serveState is what we serve the peer (RFC 7574 §3.7, §3.4): the chunks it asked for, in
// order, the DATA it has not acknowledged yet, whether we choke it, and which hashes we
// recently sent it, so that a DATA leaves out what the peer holds already (§5.3).
type serveState struct {
	queue   []bins.ChunkRange // requested chunks not yet sent, served in order
	queued  uint64            // chunks in queue
	lastReq bins.ChunkRange   // the last REQUEST queued, to count repeats
	// unacked maps each DATA sent and not acknowledged to when it went out: the flight
	// LEDBAT counts, and the round-trip sample an ACK gives.
	unacked map[uint64]time.Time
	weChoke bool // we choke the peer: its REQUESTs are not served (§3.9)

	sent sentHashes // uncle hashes recently sent to the peer (hashthin.go)
	// munrosSent: when each live munro's signature last went to the peer (munroDue).
	munrosSent map[uint64]time.Time
	hashFloor  int // the fewest hashes a DATA datagram carries in this flush (keptHashes)
}

func newServeState() serveState {
	return serveState{unacked: make(map[uint64]time.Time)}
}

// munroResend is how long a live munro's signature is taken to have reached the peer:
// after that, or when the peer asks again for DATA it was not acknowledged, it goes again
// with the next chunk under it (a datagram with it may have been lost).
const munroResend = 500 * time.Millisecond

// munroDue reports whether the signed munro starting at chunk start should go to the peer
// now, and if so records it as sent.
func (sv *serveState) munroDue(start uint64, now time.Time) bool {
	if t, ok := sv.munrosSent[start]; ok && now.Sub(t) < munroResend {
		return false
	}
	if sv.munrosSent == nil || len(sv.munrosSent) >= 64 {
		sv.munrosSent = make(map[uint64]time.Time) // the window moves on: old ones go
	}
	sv.munrosSent[start] = now
	return true
}

// isUnacked reports whether chunk i went out to the peer and is not acknowledged yet.
func (sv *serveState) isUnacked(i uint64) bool {
	_, ok := sv.unacked[i]
	return ok
}

// nextQueued pops the next requested chunk off the peer's queue.
func (sv *serveState) nextQueued() (uint64, bool) {
	if len(sv.queue) == 0 {
		return 0, false
	}
	r := &sv.queue[0]
	i := r.Start
	if r.Start == r.End {
		sv.queue = sv.queue[1:]
	} else {
		r.Start++
	}
	sv.queued--
	return i, true
}

// enqueue adds the chunks of a REQUEST to the queue, behind those asked for before (§3.7).
func (sv *serveState) enqueue(r bins.ChunkRange) {
	sv.queue = append(sv.queue, r)
	sv.queued += r.Len()
}

// cancel removes the chunks of c from the queue (§3.8).
func (sv *serveState) cancel(c bins.ChunkRange) {
	var kept []bins.ChunkRange
	var n uint64
	for _, r := range sv.queue {
		if r.End < c.Start || r.Start > c.End {
			kept = append(kept, r)
			n += r.Len()
			continue
		}
		if r.Start < c.Start {
			left := bins.ChunkRange{Start: r.Start, End: c.Start - 1}
			kept = append(kept, left)
			n += left.Len()
		}
		if r.End > c.End {
			right := bins.ChunkRange{Start: c.End + 1, End: r.End}
			kept = append(kept, right)
			n += right.Len()
		}
	}
	sv.queue, sv.queued = kept, n
}

// acked frees the DATA of r that the peer acknowledged at now: how many, and the round trip
// of the oldest of them (independent of map order).
func (sv *serveState) acked(now time.Time, r bins.ChunkRange) (n int, rtt time.Duration) {
	if r.Len() <= uint64(len(sv.unacked)) {
		for i := r.Start; i <= r.End; i++ {
			if sent, ok := sv.unacked[i]; ok {
				delete(sv.unacked, i)
				n++
				rtt = max(rtt, now.Sub(sent))
			}
		}
		return n, rtt
	}
	for i, sent := range sv.unacked { // a big ACK range: walk the few unacked instead
		if r.Contains(i) {
			delete(sv.unacked, i)
			n++
			rtt = max(rtt, now.Sub(sent))
		}
	}
	return n, rtt
}

// expire drops the DATA unacknowledged for cto or longer, taken for lost (LEDBAT's loss
// signal; PPSPP does not resend, the receiver asks again); it reports whether there was any.
func (sv *serveState) expire(now time.Time, cto time.Duration) bool {
	lost := false
	for i, sent := range sv.unacked {
		if now.Sub(sent) >= cto {
			delete(sv.unacked, i)
			lost = true
		}
	}
	return lost
}
