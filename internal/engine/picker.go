package engine

import (
	"math/bits"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// The picker decides which chunks to request from which peer (RFC 7574 §9.1 leaves it to us).
// Its order, for one peer, is deterministic:
//
//  1. streaming: chunks inside the players' playback windows (playback.go), in order within
//     each window, the windows taking turns chunk by chunk;
//  2. bulk: rarest first (fewest peers announcing the chunk), ties broken by the position in a
//     scan that starts at a random chunk per swarm, so leechers spread over the file;
//  3. endgame: when nothing is left to ask anyone for, chunks already requested elsewhere,
//     asked again here (the first copy to arrive wins, the other requests are cancelled).
//
// Scans go a 64-chunk word at a time over (peer has) AND NOT (we have OR requested), so
// their cost follows the number of candidates, not the size of the file.

// maxScan bounds the candidates one bulk pick looks at; rarest-first is exact within them.
const maxScan = 2048

type candidate struct {
	avail uint16
	order uint64 // position in the scan
	chunk uint64
}

// pickFor tops up the requests outstanding at ch (§3.7), within the download caps: what
// it requests (duplicates included) is charged to them.
func (e *Engine) pickFor(now time.Time, ch *channel) {
	s := ch.swarm
	if s.complete || s.err != nil || ch.choked || ch.state != stateEstablished || ch.paused(now) {
		return
	}
	budget := e.downloadBudget(now, ch)
	if budget == 0 {
		return // ch waits for download tokens
	}
	before := ch.requested + len(ch.extra)
	e.pickWithin(now, ch, budget)
	e.spendDownload(now, ch, ch.requested+len(ch.extra)-before)
}

// pickWithin requests at most about budget chunks at ch (the urgent duplicates of
// pickUrgent, a few at most, come on top).
func (e *Engine) pickWithin(now time.Time, ch *channel, budget int) {
	s := ch.swarm
	if s.n == 0 {
		e.pickFirst(now, ch)
		return
	}
	if s.live != nil {
		e.pickLive(now, ch, budget)
		return
	}
	e.pickUrgent(now, ch)
	limit := e.requestCap(ch, ch.requestLimit())
	want := limit - ch.requested - len(ch.extra)
	if want <= 0 || ch.peerHave.count == 0 {
		return
	}
	take := min(want, budget)
	// Chunks the player needs are asked for at once; bulk picks wait until half the
	// limit is free, so requests go out in batches rather than one per ACK.
	picks := e.pickBuf[:0]
	picks = e.pickStreaming(now, ch, picks, take)
	// While a player's window still has chunks nobody is fetching, bulk requests would only
	// queue ahead of them at the peers; they wait until every window is covered.
	if len(picks) < take && want >= limit/2 && s.windowsCovered() {
		picks = e.pickRarest(now, ch, picks, take)
	}
	e.pickBuf = picks[:0]
	if len(picks) > 0 {
		e.request(now, ch, picks)
		return
	}
	e.pickEndgame(now, ch, take)
}

// wordCandidates is the word of chunks [base+64w, base+64w+64) that ch can give us and
// nobody fetches (base: the bitmaps' first chunk, 0 but for live swarms).
func wordCandidates(s *swarm, ch *channel, w int) uint64 {
	return ch.peerHave.words[w] &^ s.have.words[w] &^ s.pendingBits.words[w]
}

// pickStreaming takes the chunks of the playback windows, each window's in playback order.
// The windows take turns, one chunk each, starting after the window served last, so that
// a player's window is not starved by another's even when ch has room for one request.
func (e *Engine) pickStreaming(now time.Time, ch *channel, picks []uint64, want int) []uint64 {
	s := ch.swarm
	nw := len(s.windows)
	if nw == 0 {
		return picks
	}
	cursors := e.cursorBuf[:0]
	for _, w := range s.windows {
		cursors = append(cursors, w.pos)
	}
	first := s.windowTurn % nw
	for progress := true; progress && len(picks) < want; {
		progress = false
		for k := 0; k < nw && len(picks) < want; k++ {
			wi := (first + k) % nw
			end := s.windows[wi].end(s.n)
			// Overlapping windows may offer the same chunk: with one window it cannot happen.
			i, ok := e.nextInWindow(now, ch, cursors[wi], end, picks, nw > 1)
			if !ok {
				cursors[wi] = end
				continue
			}
			picks = append(picks, i)
			cursors[wi] = i + 1
			s.windowTurn = (wi + 1) % nw
			progress = true
		}
	}
	e.cursorBuf = cursors[:0]
	return picks
}

// nextInWindow is the first chunk in [from, end) that ch can give us, nobody fetches and
// this peer may be asked for; when checkPicks is set, it must not be in picks already.
func (e *Engine) nextInWindow(now time.Time, ch *channel, from, end uint64, picks []uint64, checkPicks bool) (uint64, bool) {
	s := ch.swarm
	for i := from; i < end; {
		word := wordCandidates(s, ch, int((i-s.have.base)/64)) >> (i % 64)
		if word == 0 {
			i = (i/64 + 1) * 64
			continue
		}
		i += uint64(bits.TrailingZeros64(word))
		if i >= end {
			break
		}
		if e.allowed(now, ch, i) && (!checkPicks || !slices.Contains(picks, i)) {
			return i, true
		}
		i++
	}
	return 0, false
}

// urgentChunks is how many chunks after a window's playback position count as urgent: when
// one of them waits at a slow peer, a faster one is asked too (the player is stalled on it).
const urgentChunks = 16

// maxUrgentPerWindow bounds the duplicates one pick adds for one window.
const maxUrgentPerWindow = 4

// pickUrgent duplicates requests for the urgent chunks of every window that have waited at
// another peer for more than three of this peer's shortest request-to-DATA times.
func (e *Engine) pickUrgent(now time.Time, ch *channel) {
	s := ch.swarm
	if len(s.windows) == 0 || ch.minLatency == 0 {
		return
	}
	var dup []uint64
	for _, w := range s.windows {
		added := 0
		end := min(w.pos+urgentChunks, s.n)
		for i := w.pos; i < end && added < maxUrgentPerWindow; i++ {
			p, ok := s.pending[i]
			if !ok || p.ch == ch || !ch.peerHave.has(i) || now.Sub(p.sent) < 3*ch.minLatency {
				continue
			}
			if _, already := ch.extra[i]; !already && !slices.Contains(dup, i) {
				dup = append(dup, i)
				added++
			}
		}
	}
	for _, i := range dup {
		ch.extra[i] = now
	}
	if len(dup) > 0 {
		s.endgame += len(dup)
		e.armTimers(now)
		e.queueRequests(ch, dup)
	}
}

// pickRarest scans from the swarm's random start and takes the rarest of up to maxScan
// candidates.
func (e *Engine) pickRarest(now time.Time, ch *channel, picks []uint64, want int) []uint64 {
	s := ch.swarm
	words := len(s.have.words)
	cands := e.candBuf[:0]
	startWord := int(s.scanStart / 64)
	for k := 0; k < words && len(cands) < maxScan; k++ {
		w := (startWord + k) % words
		word := wordCandidates(s, ch, w)
		for word != 0 && len(cands) < maxScan {
			b := bits.TrailingZeros64(word)
			word &= word - 1
			i := s.have.base + uint64(w)*64 + uint64(b)
			if i >= s.n || !e.allowed(now, ch, i) || slices.Contains(picks, i) {
				continue
			}
			cands = append(cands, candidate{avail: s.avail[i-s.have.base], order: uint64(len(cands)), chunk: i})
		}
	}
	slices.SortFunc(cands, func(a, b candidate) int {
		if a.avail != b.avail {
			return int(a.avail) - int(b.avail)
		}
		return int(a.order) - int(b.order)
	})
	for _, c := range cands[:min(len(cands), want-len(picks))] {
		picks = append(picks, c.chunk)
	}
	e.candBuf = cands[:0]
	return picks
}

// allowed: this peer did not just fail us on chunk i (see chunkAllowed, peerscore.go).
func (e *Engine) allowed(now time.Time, ch *channel, i uint64) bool {
	return e.chunkAllowed(now, ch, i)
}

// pickEndgame asks ch for chunks that are requested elsewhere and that ch has, once every
// missing chunk is requested: the last chunks then come from whichever peer is fastest.
// Candidates are taken in chunk order, so runs repeat exactly.
func (e *Engine) pickEndgame(now time.Time, ch *channel, want int) {
	s := ch.swarm
	const maxExtra = 8
	if s.have.count+uint64(len(s.pending)) < s.n {
		return // not the end yet: some chunk is requested nowhere
	}
	room := min(want, maxExtra-len(ch.extra))
	if room <= 0 {
		return
	}
	var picks []uint64
	for w, word := range s.pendingBits.words {
		for word != 0 && len(picks) < room {
			i := s.pendingBits.base + uint64(w)*64 + uint64(bits.TrailingZeros64(word))
			word &= word - 1
			p, ok := s.pending[i]
			if _, dup := ch.extra[i]; !dup && ok && p.ch != ch && ch.peerHave.has(i) {
				picks = append(picks, i)
			}
		}
	}
	if len(picks) == 0 {
		return
	}
	for _, i := range picks {
		ch.extra[i] = now
	}
	s.endgame += len(picks)
	e.armTimers(now)
	e.queueRequests(ch, picks)
}

// pickFirst asks for one chunk while the content size is unknown: its DATA comes with the
// peak hashes that tell the size (§5.6.2).
func (e *Engine) pickFirst(now time.Time, ch *channel) {
	s := ch.swarm
	if len(s.pending) > 0 || len(ch.earlyHaves) == 0 {
		return
	}
	if i, ok := e.firstChunk(now, ch); ok {
		e.request(now, ch, []uint64{i})
	}
}

// request records picks as pending at ch and queues REQUEST messages for them.
func (e *Engine) request(now time.Time, ch *channel, picks []uint64) {
	s := ch.swarm
	// In chunk order, the order the REQUESTs go out in and the peer serves them (§3.7).
	slices.Sort(picks)
	for _, i := range picks {
		s.addPending(i, ch, now)
	}
	e.armTimers(now)
	ch.requested += len(picks)
	e.queueRequests(ch, picks)
}

// queueRequests merges picks into the fewest bin-aligned ranges (libswift only ever sends
// aligned ones) and queues a REQUEST for each.
func (e *Engine) queueRequests(ch *channel, picks []uint64) {
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

// releaseRequests forgets what we asked ch for (it choked us, §3.9, or went away), so others
// can be asked.
func (e *Engine) releaseRequests(ch *channel) {
	s := ch.swarm
	for i, p := range s.pending {
		if p.ch == ch {
			s.unpend(i)
		}
	}
	ch.requested = 0
	ch.reqOrder = ch.reqOrder[:0]
	s.endgame -= len(ch.extra)
	clear(ch.extra)
	for _, c := range s.channels {
		e.markDirty(c)
	}
}

// dropAllRequests stops a swarm's downloading (after a storage failure).
func (e *Engine) dropAllRequests(s *swarm) {
	for _, ch := range s.channels {
		ch.requested = 0
		clear(ch.extra)
	}
	for i := range s.pending {
		s.unpend(i)
	}
	s.endgame = 0
}
