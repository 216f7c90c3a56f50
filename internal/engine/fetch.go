package engine

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// fetchState is what we fetch from the peer: our requests to it, in the order sent, how
// many we keep out (adapted to its sender, see adaptRequests), the endgame duplicates, and
// how its requests fared (timeouts; losses seen by reordering, see detectLosses).
type fetchState struct {
	requested int // chunks we have outstanding at this peer
	// reqOrder lists our requests to this peer in the order sent, which is the order it
	// serves them; reqSeq numbers them. See detectLosses.
	reqOrder []requestedChunk
	reqSeq   uint64
	// reorderLost holds the chunks detectLosses took for lost at this peer and that have
	// not arrived from it since: the next time they are left to RequestTimeout.
	reorderLost map[uint64]struct{}
	// reqLimit is how many chunks we keep requested at this peer: enough to keep its sender
	// busy, few enough that they do not wait long in its queue (see adaptRequests).
	reqLimit   float64
	minLatency time.Duration // shortest request-to-DATA time seen recently
	minSince   time.Time     // when minLatency was last reset
	lastShrink time.Time
	// extra holds endgame requests: chunks also requested from another peer.
	extra       map[uint64]time.Time
	timeouts    int       // request-timeout rounds in a row without a chunk in between
	lastTimeout time.Time // start of the last counted round
	choked      bool      // the peer chokes us: no requests until it unchokes (§3.9)
	// pexNext is when to ask this peer for peers again while our swarm is incomplete
	// (pex.go); zero until the first PEX_REQ.
	pexNext time.Time
}

func newFetchState() fetchState {
	return fetchState{
		extra:       make(map[uint64]time.Time),
		reorderLost: make(map[uint64]struct{}),
	}
}

// Request pipelining. A request that waits in the peer's queue only adds latency (bad for
// streaming: the chunk the player needs queues behind others) and gets re-asked on timeout.
// So the number of chunks we keep requested at a peer follows what its sender (paced by its
// LEDBAT window) delivers: while a chunk comes back within about twice the shortest
// request-to-DATA time, the limit grows by one per chunk (doubling per round trip, like the
// sender's slow start); when chunks take much longer, requests are queueing, and the limit
// shrinks by a quarter, at most once per shortest latency.
const (
	minRequestLimit  = 8
	initRequestLimit = 32
	latencyWindow    = 10 * time.Second // minLatency is re-learned this often
)

func (f *fetchState) requestLimit() int {
	if f.reqLimit == 0 {
		return initRequestLimit
	}
	return int(f.reqLimit)
}

func (f *fetchState) adaptRequests(now time.Time, latency time.Duration, max int) {
	if f.reqLimit == 0 {
		f.reqLimit = initRequestLimit
	}
	if f.minLatency == 0 || latency < f.minLatency || now.Sub(f.minSince) > latencyWindow {
		f.minLatency, f.minSince = latency, now
	}
	switch {
	case latency <= 2*f.minLatency+5*time.Millisecond:
		f.reqLimit = min(f.reqLimit+1, float64(max))
	case latency > 4*f.minLatency+20*time.Millisecond && now.Sub(f.lastShrink) > f.minLatency:
		f.reqLimit = maxf(f.reqLimit*3/4, minRequestLimit)
		f.lastShrink = now
	}
}

type requestedChunk struct {
	chunk, seq uint64
}

// lossReorder is how many chunks requested later must arrive before an outstanding one is
// taken for lost, in the spirit of TCP's duplicate-ACK threshold (RFC 5681 §3.2) but higher:
// a paced sender's datagrams jittered by a few milliseconds on a slow link overtake each
// other by several places (the picker's simulation has that), and a spurious loss costs a
// duplicate chunk on that link.
const lossReorder = 8

// detectLosses runs when the chunk with request number seq arrived from ch. A peer serves
// requests in order (RFC 7574 §3.7), so chunks requested well before it and still missing
// were lost on the way (the REQUEST or the DATA): they are asked for again at once, instead
// of after RequestTimeout. The peer is not blamed: loss is the path's doing.
//
// Only once per chunk and peer, until the chunk arrives from it: a chunk asked for again
// and overtaken again is more likely withheld than lost twice (a peer whose HAVEs lie, issue
// 13), and on a path with a short round trip each chunk the peer does serve would overtake
// it once more, every time asking the liar again. The second time it is left to
// RequestTimeout, which pauses and avoids peers that do not deliver; a path that does lose
// the resent request costs one timeout, as a lost retransmission costs TCP one (RFC 5681 §3.2).
func (e *Engine) detectLosses(ch *channel, seq uint64) {
	s := ch.swarm
	k := 0
	for ; k < len(ch.reqOrder); k++ {
		r := ch.reqOrder[k]
		if r.seq+lossReorder > seq {
			break // this one and all after it are too recent to call lost
		}
		if !s.pendingBits.has(r.chunk) {
			continue // arrived or released: no map lookup for the common case
		}
		p, ok := s.pending[r.chunk]
		if !ok || p.ch != ch || p.seq != r.seq {
			continue // asked for again since
		}
		if _, again := ch.reorderLost[r.chunk]; again {
			continue // left to RequestTimeout
		}
		ch.reorderLost[r.chunk] = struct{}{}
		s.unpend(r.chunk)
		ch.requested--
		e.stats.RequestsLost++
		e.markDirty(ch)
	}
	// Reslicing walks along the array; append moves what is left to a new one when it
	// runs out, so each entry is copied a constant number of times on average.
	ch.reqOrder = ch.reqOrder[k:]
}

// releaseChunk forgets the request for chunk i at ch so that the picker asks again.
func (e *Engine) releaseChunk(now time.Time, ch *channel, i uint64) {
	s := ch.swarm
	if p, ok := s.pending[i]; ok && p.ch == ch {
		s.unpend(i)
		ch.requested--
	}
	if _, ok := ch.extra[i]; ok {
		delete(ch.extra, i)
		s.endgame--
	}
}

// settleEndgame withdraws the duplicate requests for chunk i once it arrived from ch.
func (e *Engine) settleEndgame(from *channel, i uint64) {
	s := from.swarm
	for _, c := range s.channels {
		if _, ok := c.extra[i]; !ok {
			continue
		}
		delete(c.extra, i)
		s.endgame--
		if c != from {
			c.queueMsg(&wire.Cancel{Spec: specForBin(c.ctx.Addressing, bins.Chunk(i))})
			e.markDirty(c)
		}
	}
}

func maxf(a, b float64) float64 {
	if a > b {
		return a
	}
	return b
}
