package engine

import (
	"encoding/binary"
	"errors"
	"math/bits"
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

var (
	errClosedByPeer   = errors.New("closed by peer")
	errChannelTimeout = errors.New("silent for too long")
)

// receive dispatches one datagram (RFC 7574 §3.11: the destination channel says whose it is).
func (e *Engine) receive(now time.Time, from netip.AddrPort, b []byte) {
	if len(b) < wire.HeaderLen {
		e.stats.Drops[DropMalformed]++
		return
	}
	id := wire.ChannelID(binary.BigEndian.Uint32(b))
	if id == 0 {
		e.acceptHandshake(now, from, b)
		return
	}
	ch := e.channels[id]
	if ch == nil {
		e.stats.Drops[DropUnknownChannel]++
		return
	}
	if ch.peer != from {
		e.stats.Drops[DropWrongPeer]++
		return
	}
	// The datagram decodes with a copy of the channel's context (a HANDSHAKE in it applies
	// its options to the copy only); the copy lives in the engine, not on the heap.
	e.decCtx = ch.ctx
	ctx := &e.decCtx
	dg, err := e.dec.Decode(b, ctx)
	ch.lastRecv = now
	e.countReceived(ch, len(b))
	if ch.state == stateEstablished {
		ch.confirmed = true // the peer echoed our channel ID (§3.1.1 step 7)
	}
	ch.swarm.known[from] = now
	for k, m := range dg.Messages {
		if ch.state == stateClosed {
			return
		}
		cut := cutData(dg.Messages, k, err)
		if cut {
			// DATA comes last in a datagram (§8.6; libswift's always is): what follows is
			// the excess of a DATA longer than its chunk, which the decoder cut at the
			// chunk size. Counted, and neither taken as messages nor held against the peer
			// as malformed; the DATA is judged knowing it was longer (onData).
			e.oversizeData(now, ch, len(b)-decodedLen(ctx, dg.Messages[:k+1]))
			err = nil
			if ch.state == stateClosed {
				return
			}
		}
		e.handleMessage(now, ch, m, cut)
		if cut {
			break
		}
	}
	if err != nil && ch.state != stateClosed {
		// §3: drop the rest of the datagram; stop talking to a peer that keeps doing it.
		e.stats.Drops[DropMalformed]++
		e.report(now, ch, offBadDatagram)
	}
	e.markDirty(ch)
}

// cutData reports whether message k is a DATA the decoder cut at the chunk size: bytes
// follow it that are not DATA for the next chunks (§8.6), or that did not decode.
func cutData(msgs []wire.Message, k int, err error) bool {
	if _, isData := msgs[k].(*wire.Data); !isData {
		return false
	}
	if k+1 < len(msgs) {
		_, alsoData := msgs[k+1].(*wire.Data)
		return !alsoData // DATA for consecutive chunks is not cut
	}
	return err != nil
}

// handleMessage dispatches one message of an established channel's datagram; cut tells
// that a DATA was longer than its chunk (see cutData).
func (e *Engine) handleMessage(now time.Time, ch *channel, m wire.Message, cut bool) {
	if h, ok := m.(*wire.Handshake); ok {
		switch {
		case h.IsClose():
			e.stats.ClosedByPeer++
			e.closeChannel(now, ch, false, errClosedByPeer)
		case ch.state == stateInitiated:
			e.onReply(now, ch, h)
		}
		return // a repeated reply changes nothing
	}
	if ch.state != stateEstablished {
		e.stats.Drops[DropEarly]++ // §12.6.11: nothing but a HANDSHAKE before the handshake completes
		return
	}
	switch m := m.(type) {
	case *wire.Have:
		e.onHave(now, ch, m.Spec)
	case *wire.Integrity:
		ch.swarm.integrity.onIntegrity(&ch.receivedHashes, ch.ctx.Addressing, m)
	case *wire.SignedIntegrity:
		if err := ch.swarm.integrity.onSignedIntegrity(now, ch, m); err != nil {
			e.badSignature(now, ch, err)
		} else if ch.swarm.live != nil {
			e.replayEarlyHaves(now, ch.swarm)
		}
	case *wire.Data:
		e.onData(now, ch, m, cut)
	case *wire.Ack:
		e.onAck(now, ch, m)
	case *wire.Request:
		e.onRequest(now, ch, m.Spec)
	case *wire.Cancel:
		e.onCancel(ch, m.Spec)
	case *wire.Choke:
		ch.choked = true
		e.releaseRequests(ch)
	case *wire.Unchoke:
		ch.choked = false
	case *wire.PexReq:
		e.onPexReq(now, ch)
	case *wire.PexResV4:
		e.onPexRes(now, ch, m.Addr)
	case *wire.PexResV6:
		e.onPexRes(now, ch, m.Addr)
	}
	// PEX_REScert needs a tracker acting as CA (§12.2.2): ignored.
}

// onHave records chunks the peer announced (§3.2). Ranges past the content's end are a lie
// (or a bug); they are counted and clipped.
func (e *Engine) onHave(now time.Time, ch *channel, spec wire.ChunkSpec) {
	r, ok := specToChunks(ch.ctx.Addressing, spec)
	if !ok {
		e.stats.BadHaves++
		e.report(now, ch, offBadHave)
		return
	}
	s := ch.swarm
	if s.n == 0 {
		if len(ch.earlyHaves) < 256 {
			ch.earlyHaves = append(ch.earlyHaves, r)
		}
		return
	}
	if !e.addPeerHave(ch, r) {
		e.report(now, ch, offBadHave)
	}
}

// addPeerHave records that ch's peer has the chunks of r; it reports false when r lies
// wholly past the content's end. A range that only reaches past the end is clipped and
// counted, but not held against the peer: a bin-aligned cover of the last chunks may.
func (e *Engine) addPeerHave(ch *channel, r bins.ChunkRange) bool {
	s := ch.swarm
	if s.live != nil {
		var keep, honest bool
		if r, keep, honest = e.liveHave(ch, r); !keep {
			return honest
		}
	}
	if r.Start >= s.n {
		e.stats.BadHaves++
		return false
	}
	if r.End >= s.n {
		e.stats.BadHaves++
		r.End = s.n - 1
	}
	// A word at a time, so that repeated or overlapping HAVEs for large ranges (a seeder
	// announces the whole file; a peer may repeat it) cost little once the bits are set.
	// Words are relative to the bitmaps' base (0 but for live swarms).
	base := s.have.base
	if s.live != nil && s.avail != nil && !ch.peerHave.has(r.Start) {
		if s.avail[r.Start-base] == 0 {
			ch.liveFirst++
		} else {
			ch.liveLater++
		}
	}
	for i := r.Start - base; i <= r.End-base; {
		w := i / 64
		lo, hi := i%64, min(r.End-base-w*64, 63)
		mask := wordMask(lo, hi)
		fresh := mask &^ ch.peerHave.words[w]
		for fresh != 0 {
			b := uint64(bits.TrailingZeros64(fresh))
			fresh &= fresh - 1
			ch.peerHave.set(base + w*64 + b)
			if s.avail != nil { // nil for a swarm complete from the start (swarm.go)
				s.avail[w*64+b]++
			}
		}
		i = (w + 1) * 64
	}
	ch.seeder = ch.peerHave.full()
	return true
}

// onData verifies a chunk before anything else happens to it (§5.2): a chunk that fails is
// discarded, never stored, acknowledged or forwarded.
func (e *Engine) onData(now time.Time, ch *channel, m *wire.Data, cut bool) {
	// The hashes received so far serve this DATA. They may have come in earlier datagrams
	// when they did not fit beside it (§5.3), so they are kept until a DATA arrives.
	defer ch.clearCandidates()
	s := ch.swarm
	r, ok := specToChunks(ch.ctx.Addressing, m.Spec)
	if !ok || r.Start != r.End || s.err != nil {
		e.stats.UnrequestedData++
		return
	}
	i := r.Start
	if !s.peaksKnown && len(ch.cands) > 0 && !e.learnPeaks(now, ch, i) {
		return // lying peaks: the chunk is asked for again, maybe the peer was dropped
	}
	if s.n == 0 {
		e.stats.UnrequestedData++ // no peak hashes came with it: we cannot place it yet
		return
	}
	if s.live != nil && !e.liveDataFits(now, ch, i) {
		return
	}
	if i >= s.n {
		e.badChunk(now, ch, i)
		return
	}
	payload := e.chunkBytes(s, i, m.Payload)
	oversize := cut || len(payload) < len(m.Payload)
	if len(payload) < len(m.Payload) {
		e.oversizeData(now, ch, len(m.Payload)-len(payload))
		if ch.state == stateClosed {
			return
		}
	}
	ack := wire.Ack{Spec: specForBin(ch.ctx.Addressing, bins.Chunk(i)), Delay: now.UnixMicro() - int64(m.Timestamp)}
	if s.have.has(i) {
		e.stats.DuplicateChunks++
		ch.queueAck(&ack)
		return
	}
	switch err := s.integrity.verify(now, i, payload, &ch.receivedHashes); {
	case err == nil:
	case errors.Is(err, hashtree.ErrMissingHash):
		// The hashes for it were in a datagram that got lost, or the peer never sent them.
		// Asked for again at once the first time; a peer that keeps leaving hashes out is
		// paced like one that sends bad chunks, and pays a little (see missingHashOffence).
		e.stats.UnverifiableChunks++
		e.releaseChunk(now, ch, i)
		e.chunkFailed(now, ch, i, true)
		if ch.missingHashOffence(err) {
			e.report(now, ch, offUnverifiable)
		}
		return
	case isVerifyError(err) && (oversize || errors.Is(err, hashtree.ErrBadLength)):
		// Shorter than the chunk, or longer and the chunk's own bytes fail: not a chunk
		// of our tree's shape at all. (A storage failure is ours, whatever the length.)
		e.misfitChunk(now, ch, i)
		return
	case isVerifyError(err):
		e.badChunk(now, ch, i)
		return
	default:
		e.stats.StorageErrors++
		s.err = err
		e.dropAllRequests(s)
		e.emit(Event{Kind: EventSwarmError, Swarm: s.id, Err: err})
		return
	}
	s.have.set(i)
	e.stats.ChunksVerified++
	e.countVerified(ch, len(payload))
	delete(s.avoid, i)
	delete(ch.reorderLost, i)
	e.credit(now, ch)
	lostBefore := uint64(0)
	if p, ok := s.takePending(i); ok {
		if p.ch == ch {
			ch.adaptRequests(now, now.Sub(p.sent), e.cfg.RequestWindow)
			lostBefore = p.seq
		}
		owner := p.ch
		owner.requested--
		if owner != ch {
			// Asked elsewhere too: withdraw that request (§3.8).
			owner.queueMsg(&wire.Cancel{Spec: specForBin(owner.ctx.Addressing, bins.Chunk(i))})
			e.markDirty(owner)
		}
	}
	if lostBefore > 0 {
		e.detectLosses(ch, lostBefore)
	}
	if s.endgame > 0 {
		e.settleEndgame(ch, i)
	}
	ch.queueAck(&ack)
	if s.live != nil {
		e.advance(s, i)
	}
	e.announce(s, i)
	e.emit(Event{Kind: EventChunkVerified, Swarm: s.id, Peer: ch.peer, Chunk: i})
	if s.have.full() && !s.complete && s.live == nil {
		// A store that gathers writes puts them on disk now, so "complete" means the
		// content file holds every byte.
		if f, ok := s.store.(interface{ Flush() error }); ok {
			if err := f.Flush(); err != nil {
				e.stats.StorageErrors++
				s.err = err
				e.emit(Event{Kind: EventSwarmError, Swarm: s.id, Err: err})
				return
			}
		}
		s.complete = true
		e.emit(Event{Kind: EventComplete, Swarm: s.id})
	}
}

// announce sends HAVE for the biggest complete interval around chunk i to every peer we let
// download (§3.2, §4.3.1), except those that have everything already.
func (e *Engine) announce(s *swarm, i uint64) {
	b := s.have.largestComplete(i)
	for _, ch := range s.channels {
		if ch.state == stateEstablished && !ch.seeder {
			ch.queueMsg(&wire.Have{Spec: specForBin(ch.ctx.Addressing, b)})
			e.markDirty(ch)
		}
	}
}

// learnPeaks looks for the peak hashes a libswift-style sender puts before its first DATA
// (§5.6.2). Checked against the root, they anchor the uncles that stop at a peak, and for a
// swarm joined by swarm ID alone they tell the chunk count. A peak list that covers the
// DATA's chunk i and does not hash to the root is a lie (the swarm ID is the root), reported
// as such; anything else that fails may be the uncles of a DATA whose peaks were lost on the
// way. It reports false for a lie: the DATA is not to be looked at.
func (e *Engine) learnPeaks(now time.Time, ch *channel, i uint64) bool {
	s := ch.swarm
	if _, err := s.store.AddPeaks(ch.cands); err != nil {
		covers := peakListCovers(ch.cands)
		switch {
		case covers <= i:
			return true // no peaks among the hashes: they may come with a later DATA
		case errors.Is(err, hashtree.ErrHashMismatch):
			e.stats.BadPeaks++
			e.releaseChunk(now, ch, i) // ask again, maybe elsewhere
			e.report(now, ch, offBadPeaks)
			return false
		case s.n != 0 && covers != s.n:
			// Peaks for another chunk count than the content length we were given says:
			// the uncles that follow are for that other tree, so none of its chunks can
			// verify here (issue 16: a wrong --size or --chunk-size).
			e.misfitChunk(now, ch, i)
			return false
		}
		return true
	}
	s.peaksKnown = true
	if s.n != 0 {
		return true
	}
	s.setSize(s.store.NumChunks())
	for _, c := range s.channels {
		c.peerHave = s.newPeerBitmap()
		for _, r := range c.earlyHaves {
			e.addPeerHave(c, r)
		}
		c.earlyHaves = nil
	}
	e.emit(Event{Kind: EventSizeKnown, Swarm: s.id, Peer: ch.peer})
	return true
}

// peakListCovers is how many chunks the longest prefix of cands shaped like a peak list
// (§5.6.1: from chunk 0, adjacent, layers falling) covers. The uncles of a chunk never
// cover the chunk itself, so a prefix that covers the DATA's chunk was meant as peaks.
func peakListCovers(cands []hashtree.NodeHash) uint64 {
	var next uint64
	prev := uint(bins.MaxLayer)
	for _, c := range cands {
		if c.Bin == bins.None || c.Bin.Layer() >= prev || c.Bin.BaseLeft() != next {
			break
		}
		prev, next = c.Bin.Layer(), next+c.Bin.BaseLength()
	}
	return next
}

// decodedLen is the encoded length of a datagram holding msgs.
func decodedLen(ctx *wire.Context, msgs []wire.Message) int {
	n := wire.HeaderLen
	for _, m := range msgs {
		n += m.Len(ctx)
	}
	return n
}

// oversizeData counts a DATA that came with extra bytes past its chunk.
func (e *Engine) oversizeData(now time.Time, ch *channel, extra int) {
	e.stats.OversizeData++
	e.stats.OversizeBytes += uint64(max(extra, 0))
	e.report(now, ch, offOversizeData)
}

// chunkBytes is the part of a DATA payload that is chunk i. A DATA longer than its chunk
// (where the decoder did not know the chunk size, the payload runs to the datagram's end,
// §8.6) has its chunk's own bytes checked: extra bytes are not a reason to drop the chunk
// or the peer. Where the length of the last chunk is not known yet, only what exceeds a
// whole chunk can be cut.
func (e *Engine) chunkBytes(s *swarm, i uint64, payload []byte) []byte {
	want, ok := s.chunkLen(i)
	if !ok {
		want = int(s.chunkSize)
	}
	if want <= 0 || len(payload) <= want {
		return payload
	}
	return payload[:want]
}

// isVerifyError tells chunks that failed verification (the sender's fault) from storage
// failures (ours).
func isVerifyError(err error) bool {
	for _, v := range []error{hashtree.ErrHashMismatch, hashtree.ErrBadLength, hashtree.ErrOutOfRange, hashtree.ErrSizeUnknown, hashtree.ErrBadPeaks} {
		if errors.Is(err, v) {
			return true
		}
	}
	return false
}

// badChunk discards a chunk that failed verification: it is asked for again, preferably
// elsewhere, and the peer's score pays for it.
func (e *Engine) badChunk(now time.Time, ch *channel, i uint64) {
	e.stats.BadChunks++
	e.releaseChunk(now, ch, i)
	if i < ch.swarm.n {
		e.chunkFailed(now, ch, i, true)
	}
	e.report(now, ch, offBadChunk)
}

// misfitChunk discards a DATA that cannot be chunk i of our tree (see offMisfit): a bad
// chunk whose peer, if it never sent a good one, is dropped soon (peerscore.go).
func (e *Engine) misfitChunk(now time.Time, ch *channel, i uint64) {
	e.stats.BadChunks++
	e.stats.MisfitChunks++
	if ch.swarm.n != 0 && i == ch.swarm.n-1 {
		ch.lastMisfits++
	}
	e.releaseChunk(now, ch, i)
	if i < ch.swarm.n {
		e.chunkFailed(now, ch, i, true)
	}
	e.report(now, ch, offMisfit)
}

// onAck frees the window slots of acknowledged DATA and feeds LEDBAT (RFC 7574 §3.4,
// RFC 6817): the bytes newly acknowledged, the one-way delay sample the ACK carries (µs,
// the peer's clock minus our DATA timestamp) and a round-trip sample from the send time.
func (e *Engine) onAck(now time.Time, ch *channel, m *wire.Ack) {
	r, ok := specToChunks(ch.ctx.Addressing, m.Spec)
	if !ok || ch.swarm.n == 0 || r.Start >= ch.swarm.n {
		return
	}
	r.End = min(r.End, ch.swarm.n-1)
	flight := ch.flightBeforeAck(len(ch.unacked))
	acked, rtt := ch.acked(now, r)
	if acked > 0 {
		ch.lastAck = now
	}
	ch.cc.OnAck(now, acked*ch.mss, time.Duration(m.Delay)*time.Microsecond, flight, rtt)
	_ = e.addPeerHave(ch, r) // clipped to the content above
}

// onRequest queues chunks the peer wants (§3.7); they are served in order at flush time.
func (e *Engine) onRequest(now time.Time, ch *channel, spec wire.ChunkSpec) {
	if ch.weChoke {
		e.stats.IgnoredChokes++
		e.report(now, ch, offIgnoredChoke)
		return
	}
	r, ok := specToChunks(ch.ctx.Addressing, spec)
	s := ch.swarm
	if !ok || s.n == 0 || r.Start >= s.n {
		return
	}
	r.End = min(r.End, s.n-1)
	room := uint64(e.cfg.MaxQueued) - min(ch.queued, uint64(e.cfg.MaxQueued))
	if room == 0 {
		// The peer asks for more than MaxQueued chunks at once: a flood.
		e.stats.RequestsRefused++
		e.report(now, ch, offRequestFlood)
		return
	}
	if r.Len() > room {
		r.End = r.Start + room - 1
	}
	if r == ch.lastReq && ch.queued > 0 {
		// The same REQUEST again while its chunks may still wait: a flood's signature
		// (or a duplicated datagram). Counted; the queue limit bounds what it costs.
		e.stats.DuplicateRequests++
	}
	ch.lastReq = r
	if len(ch.unacked) > 0 && (ch.isUnacked(r.Start) || ch.isUnacked(r.End)) {
		// Asked again for DATA we sent and got no ACK for: it was lost, or it came without
		// a hash it needed (a lost datagram carried it). Hashes we stopped sending because
		// they went out twice may be what the peer lacks: send them again now, a round
		// trip after the loss, rather than after the congestion timeout.
		ch.sent.forget()
		clear(ch.munrosSent)
	}
	ch.enqueue(r)
}

// onCancel removes chunks from the peer's queue (§3.8).
func (e *Engine) onCancel(ch *channel, spec wire.ChunkSpec) {
	c, ok := specToChunks(ch.ctx.Addressing, spec)
	if !ok {
		return
	}
	ch.cancel(c)
}
