package engine

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// markDirty schedules ch for the next flush.
func (e *Engine) markDirty(ch *channel) {
	if !ch.dirty && ch.state != stateClosed {
		ch.dirty = true
		e.dirty = append(e.dirty, ch)
	}
}

// flush turns what the dirty channels have to say into datagrams: the HANDSHAKE reply,
// requests, DATA with its INTEGRITY, and the queued control messages.
func (e *Engine) flush(now time.Time) {
	for i := 0; i < len(e.dirty); i++ { // flushing may dirty more channels
		ch := e.dirty[i]
		ch.dirty = false
		if ch.state != stateEstablished {
			continue
		}
		e.pickFor(now, ch)
		e.flushChannel(now, ch)
	}
	clear(e.dirty)
	e.dirty = e.dirty[:0]
	e.endWake()
}

func (e *Engine) flushChannel(now time.Time, ch *channel) {
	if ch.replyDue {
		// The reply HANDSHAKE must be first in its datagram (§3.1); HAVEs may ride along.
		ch.replyDue = false
		b := e.appendReply(wire.AppendHeader(nil, ch.remote), ch)
		b = ch.takeCtrl(b, e.cfg.MaxDatagram)
		e.send(now, ch, b)
	}
	// Heavy payload only once the peer has echoed our channel ID (§3.1.1 step 7).
	ch.hashFloor = keptHashes
	if min(ch.room(len(ch.unacked)), int(ch.queued)) >= gsoBurst && (ch.fastWindow() || !ch.sent.lean.active()) {
		ch.hashFloor = datagramHashes
	}
	for ch.confirmed && !ch.weChoke && len(ch.queue) > 0 && len(ch.unacked) < e.cfg.Window &&
		ch.canSend(len(ch.unacked)) {
		if !e.uploadAllowed(now, ch) || !e.serveOne(now, ch) {
			break
		}
	}
	ch.cwndLimited = len(ch.queue) > 0 && !ch.canSend(len(ch.unacked))
	for len(ch.ctrlEnds) > 0 {
		b := ch.takeCtrl(e.newDatagram(ch, len(ch.ctrl)), e.cfg.MaxDatagram)
		e.send(now, ch, b)
	}
	ch.flightMark = len(ch.unacked)
}

// serveOne sends the next requested chunk we have, preceded by the hashes the peer lacks
// (§5.3, §5.4). It returns false when nothing could be sent.
func (e *Engine) serveOne(now time.Time, ch *channel) bool {
	s := ch.swarm
	var i uint64
	for {
		next, ok := ch.nextQueued()
		if !ok {
			return false
		}
		if s.have.has(next) {
			i = next
			break
		}
		// A chunk we do not have cannot be served; answering REQUEST is optional (§3.7).
	}
	chunk, err := e.readChunk(ch, i)
	if err != nil {
		// The store hashes what it reads; a chunk that changed on disk is not served.
		e.stats.StorageErrors++
		s.have.unset(i)
		return true
	}
	if chunk == nil {
		e.stats.ServeFailures++
		return true
	}
	ch.sent.resending(i)
	peer := ch.treePeer()
	if ch.hashFloor < datagramHashes {
		peer = ch.sent.lean.peer(peer) // see hashlean.go
	}
	uncles, err := s.integrity.hashesFor(e.uncleBuf[:0], i, peer)
	if err != nil {
		e.stats.ServeFailures++
		return true // skip this chunk; the peer will ask elsewhere
	}
	e.uncleBuf = uncles[:0]
	uncles = ch.sent.thin(uncles, ch.hashFloor)
	data := &wire.Data{Spec: specForBin(ch.ctx.Addressing, bins.Chunk(i)), Timestamp: uint64(now.UnixMicro()), Payload: chunk}
	dataLen := data.Len(&ch.ctx)

	// A chunk too big for MaxDatagram makes its datagram as big as it must be, with room
	// for datagramHashes hashes; otherwise each hash would go in a datagram of its own.
	limit := e.cfg.MaxDatagram
	if wire.HeaderLen+dataLen > limit && len(uncles) > 0 {
		one := (&wire.Integrity{Spec: specForBin(ch.ctx.Addressing, uncles[0].Bin), Hash: uncles[0].Hash}).Len(&ch.ctx)
		limit = wire.HeaderLen + dataLen + datagramHashes*one
	}
	b := e.newDatagram(ch, e.cfg.MaxDatagram)
	if b = s.integrity.appendProof(b, ch, i, now); len(b)+dataLen > limit && len(uncles) == 0 && len(b) > wire.HeaderLen {
		// A live signature too long to share the datagram with the chunk goes first.
		e.send(now, ch, b)
		b = e.newDatagram(ch, e.cfg.MaxDatagram)
	}
	for _, u := range uncles {
		msg := &wire.Integrity{Spec: specForBin(ch.ctx.Addressing, u.Bin), Hash: u.Hash}
		if len(b)+msg.Len(&ch.ctx)+dataLen > limit && len(b) > wire.HeaderLen {
			// The hashes do not all fit before the DATA: send them first (§5.3).
			e.send(now, ch, b)
			b = e.newDatagram(ch, e.cfg.MaxDatagram)
		}
		b, _ = msg.Append(b, &ch.ctx)
	}
	// Control messages ride in the room left before the DATA, which must come last (§8.6).
	b = ch.takeCtrl(b, limit-dataLen)
	b, err = data.Append(b, &ch.ctx)
	if err != nil {
		return false
	}
	e.send(now, ch, b)
	ch.sent.lean.sent(i)
	e.countServed(ch, len(chunk))
	e.spendUpload(now, ch, len(chunk))
	ch.unacked[i] = now
	e.armTimers(now)
	e.stats.ChunksServed++
	return true
}

// queueHaves tells a new peer what we have (§3.2): the minimal bins over our verified runs.
func (e *Engine) queueHaves(ch *channel) {
	s := ch.swarm
	if s.live != nil {
		e.queueLiveMunro(ch)
	}
	if s.n == 0 || s.have.count == 0 {
		return
	}
	var cover []bins.Bin
	for start := s.have.base; start < s.n; {
		if !s.have.has(start) {
			start++
			continue
		}
		end := start
		for end+1 < s.n && s.have.has(end+1) {
			end++
		}
		cover = bins.AppendCover(cover[:0], bins.ChunkRange{Start: start, End: end})
		for _, b := range cover {
			ch.queueMsg(&wire.Have{Spec: specForBin(ch.ctx.Addressing, b)})
		}
		start = end + 1
	}
}

// One read from the store takes up to readAheadChunks consecutive requested chunks, or more
// of them up to readAheadBytes when chunks are small: a peer's requests are mostly runs, one
// system call per chunk would cost more than the hashing of them, and at 1 KiB 64 chunks
// were still a system call (and the store's file check) every 64 KiB.
const (
	readAheadChunks = 64
	readAheadBytes  = 256 << 10
)

// readAheadLimit is how many chunks of size cs one read takes at most.
func readAheadLimit(cs uint64) uint64 { return max(readAheadChunks, readAheadBytes/max(cs, 1)) }

// readCache holds chunks read ahead for serving. The store verified each of them against
// its leaf hash when reading, so they are as good as a fresh read.
type readCache struct {
	swarm        *swarm
	first, count uint64
	buf          []byte
}

// readChunk returns chunk i of ch's swarm, from the read-ahead cache or by reading it and
// the chunks the peer requested right after it. It returns nil, nil when the chunk's length
// is not known (the last chunk before the size is).
func (e *Engine) readChunk(ch *channel, i uint64) ([]byte, error) {
	s := ch.swarm
	cs := uint64(s.chunkSize)
	rc := &e.readCache
	if rc.swarm == s && i >= rc.first && i < rc.first+rc.count {
		off := (i - rc.first) * cs
		return rc.buf[off:min(off+cs, uint64(len(rc.buf)))], nil
	}
	size, ok := s.chunkLen(i)
	if !ok {
		return nil, nil
	}
	// Extend over the run the peer asked for next, while we have those chunks.
	count, limit := uint64(1), readAheadLimit(cs)
	for _, r := range ch.queue {
		if r.Start != i+count {
			break // the run of requested chunks ends here
		}
		for count < limit && i+count <= r.End && s.have.has(i+count) {
			n, ok := s.chunkLen(i + count)
			if !ok {
				break
			}
			size += n
			count++
		}
		if i+count <= r.End {
			break
		}
	}
	if cap(rc.buf) < size {
		rc.buf = make([]byte, 0, max(size, int(limit*cs)))
	}
	rc.swarm, rc.count = nil, 0
	buf := rc.buf[:size]
	if _, err := s.store.ReadAt(buf, int64(i)*int64(cs)); err != nil {
		if count == 1 {
			return nil, err
		}
		// One bad chunk in the run: read just this one, so the others are not blamed.
		one, _ := s.chunkLen(i)
		buf = rc.buf[:one]
		if _, err := s.store.ReadAt(buf, int64(i)*int64(cs)); err != nil {
			return nil, err
		}
		count = 1
	}
	rc.swarm, rc.first, rc.count, rc.buf = s, i, count, buf
	return buf[:min(int(cs), len(buf))], nil
}

// newDatagram starts a datagram to ch with room for about size bytes, so that appending the
// messages does not reallocate the buffer again and again: a recycled buffer, or one
// allocation.
func (e *Engine) newDatagram(ch *channel, size int) []byte {
	if n := len(e.spare); n > 0 && cap(e.spare[n-1]) >= e.datagramCap() {
		b := e.spare[n-1]
		e.spare[n-1] = nil
		e.spare = e.spare[:n-1]
		return wire.AppendHeader(b[:0], ch.remote)
	}
	if e.cfg.Transmit != nil {
		size = e.datagramCap() // it will be reused, maybe for DATA
	}
	size = min(max(size+wire.HeaderLen, 64), e.datagramCap())
	return wire.AppendHeader(make([]byte, 0, size), ch.remote)
}

// datagramCap is the biggest datagram the engine makes: MaxDatagram, or one DATA of the
// largest chunk size among the swarms.
func (e *Engine) datagramCap() int {
	return max(e.cfg.MaxDatagram, int(e.maxChunkSize)+dataOverhead)
}
