package engine

import (
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// pickFor tops up the requests outstanding at ch (§3.7). The order is rarest first: fewest
// peers announcing the chunk, then the position in a scan that starts at a random chunk per
// swarm, so leechers that all hear of the same seeder spread over the file and have
// something to trade.
func (e *Engine) pickFor(now time.Time, ch *channel) {
	s := ch.swarm
	if s.complete || s.err != nil || ch.choked || ch.state != stateEstablished {
		return
	}
	if s.n == 0 {
		e.pickFirst(now, ch)
		return
	}
	want := e.cfg.RequestWindow - ch.requested
	if want < e.cfg.RequestWindow/2 || ch.peerHave.count == 0 {
		return // refill in batches, not one chunk per ACK
	}
	picks := e.pickBuf[:0]
	best := uint16(0xFFFF)
	// First pass: the lowest availability among chunks this peer can give us.
	for k := range s.n {
		i := (s.scanStart + k) % s.n
		if e.candidate(now, ch, i) && s.avail[i] < best {
			best = s.avail[i]
		}
	}
	// Then collect, level by level, until the window is full.
	for level := best; len(picks) < want && level != 0xFFFF; {
		next := uint16(0xFFFF)
		for k := uint64(0); k < s.n && len(picks) < want; k++ {
			i := (s.scanStart + k) % s.n
			if !e.candidate(now, ch, i) {
				continue
			}
			switch a := s.avail[i]; {
			case a == level:
				picks = append(picks, i)
			case a > level && a < next:
				next = a
			}
		}
		level = next
	}
	e.pickBuf = picks[:0]
	e.request(now, ch, picks)
}

// candidate: we lack chunk i, the peer has it, nobody is fetching it, and this peer did not
// just fail us on it.
func (e *Engine) candidate(now time.Time, ch *channel, i uint64) bool {
	s := ch.swarm
	if s.have.has(i) || !ch.peerHave.has(i) {
		return false
	}
	if _, busy := s.pending[i]; busy {
		return false
	}
	if a, ok := s.avoid[i]; ok {
		if now.Before(a.until) && a.ch == ch {
			return false
		}
		if !now.Before(a.until) {
			delete(s.avoid, i)
		}
	}
	return true
}

// pickFirst asks for one chunk while the content size is unknown: its DATA comes with the
// peak hashes that tell the size (§5.6.2).
func (e *Engine) pickFirst(now time.Time, ch *channel) {
	s := ch.swarm
	if len(s.pending) > 0 || len(ch.earlyHaves) == 0 {
		return
	}
	e.request(now, ch, []uint64{ch.earlyHaves[0].Start})
}

// request records picks as pending at ch and queues REQUEST messages for them, merged into
// the fewest bin-aligned ranges (libswift only ever sends aligned ones).
func (e *Engine) request(now time.Time, ch *channel, picks []uint64) {
	if len(picks) == 0 {
		return
	}
	s := ch.swarm
	for _, i := range picks {
		s.pending[i] = &pendingRequest{ch: ch, sent: now}
	}
	ch.requested += len(picks)
	slices.Sort(picks)
	var cover []bins.Bin
	for start := 0; start < len(picks); {
		end := start
		for end+1 < len(picks) && picks[end+1] == picks[end]+1 {
			end++
		}
		cover = bins.AppendCover(cover[:0], bins.ChunkRange{Start: picks[start], End: picks[end]})
		for _, b := range cover {
			ch.queueMsg(&wire.Request{Spec: specForBin(ch.ctx.Addressing, b)})
		}
		start = end + 1
	}
}

// releaseRequests forgets what we asked ch for (it choked us, §3.9), so others can be asked.
func (e *Engine) releaseRequests(ch *channel) {
	s := ch.swarm
	for i, p := range s.pending {
		if p.ch == ch {
			delete(s.pending, i)
		}
	}
	ch.requested = 0
	for c := range s.channels {
		e.markDirty(c)
	}
}

// dropAllRequests stops a swarm's downloading (after a storage failure).
func (e *Engine) dropAllRequests(s *swarm) {
	for i, p := range s.pending {
		p.ch.requested--
		delete(s.pending, i)
	}
}
