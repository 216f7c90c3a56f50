package engine

import (
	"maps"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// runTimers does what is due at now.
func (e *Engine) runTimers(now time.Time) {
	e.lastTimers = now
	e.busy = false
	for _, ch := range e.channelList() {
		switch ch.state {
		case stateInitiated:
			if !now.Before(ch.hsNext) {
				e.retryHandshake(now, ch)
			}
		case stateEstablished:
			e.channelTimers(now, ch)
		}
	}
	for _, id := range slices.Sorted(maps.Keys(e.timed)) { // sorted: runs repeat exactly
		s := e.timed[id]
		e.requestTimers(now, s)
		if len(s.pending) > 0 || s.endgame > 0 {
			e.busy = true
		}
		s.leaveTimedIfIdle()
	}
}

func (e *Engine) channelTimers(now time.Time, ch *channel) {
	if len(ch.unacked) > 0 {
		e.busy = true
	}
	keepAlive, timeout := e.channelIdle(ch)
	if now.Sub(ch.lastRecv) >= timeout {
		e.stats.ClosedTimeout++
		e.closeChannel(now, ch, true, errChannelTimeout)
		return
	}
	// DATA unacknowledged for a congestion timeout is lost (LEDBAT's loss signal; PPSPP does
	// not resend, the receiver asks again). No ACK at all for that long is a timeout.
	if len(ch.unacked) > 0 {
		cto := max(ch.cc.CTO(), e.cfg.MinDataTimeout)
		if ch.expire(now, cto) {
			if now.Sub(ch.lastAck) >= cto {
				ch.cc.OnTimeout(now)
			} else {
				ch.cc.OnLoss(now)
			}
			e.stats.DataLost++
			ch.sent.forget()
			e.markDirty(ch)
		}
	}
	if !ch.pausedUntil.IsZero() && !now.Before(ch.pausedUntil) {
		ch.pausedUntil = time.Time{} // the backoff after timeouts is over: ask again
		e.markDirty(ch)
	}
	for i, sent := range ch.extra {
		if now.Sub(sent) >= e.cfg.RequestTimeout {
			delete(ch.extra, i) // an endgame duplicate that never came
			ch.swarm.endgame--
			e.markDirty(ch)
		}
	}
	e.pexTimer(now, ch)
	if now.Sub(ch.lastSend) >= keepAlive {
		e.send(now, ch, wire.AppendHeader(nil, ch.remote)) // keep-alive (§3.12, §8.14)
	}
}

// A live stream cannot wait minutes to notice that a peer is gone: a source that
// restarted (on the same key, resuming its numbering) is a new process that knows none of
// its old channels, and its viewers would see nothing until their channels to it time out
// and they connect again. So live channels send a keep-alive after liveKeepAlive of
// silence and close after liveChannelTimeout without a word — five keep-alives lost.
// A stream that flows sends far more than keep-alives; 4 bytes every 2 s cost nothing.
const (
	liveKeepAlive      = 2 * time.Second
	liveChannelTimeout = 10 * time.Second
)

// channelIdle is how long ch may stay quiet before a keep-alive goes, and before the peer's
// silence closes it.
func (e *Engine) channelIdle(ch *channel) (keepAlive, timeout time.Duration) {
	if ch.swarm.live != nil {
		return min(e.cfg.KeepAlive, liveKeepAlive), min(e.cfg.ChannelTimeout, liveChannelTimeout)
	}
	return e.cfg.KeepAlive, e.cfg.ChannelTimeout
}

// requestTimers re-requests chunks a peer was too slow to deliver, preferably from another.
func (e *Engine) requestTimers(now time.Time, s *swarm) {
	var expired []uint64
	for i, p := range s.pending {
		if now.Sub(p.sent) >= e.cfg.RequestTimeout {
			expired = append(expired, i)
		}
	}
	slices.Sort(expired) // handle them in chunk order, so runs repeat exactly
	for _, i := range expired {
		p, ok := s.pending[i]
		if !ok {
			continue // released by a channel closed earlier in this loop
		}
		s.unpend(i)
		ch := p.ch
		ch.requested--
		e.stats.RequestTimeouts++
		e.chunkFailed(now, ch, i, false)
		ch.queueMsg(&wire.Cancel{Spec: specForBin(ch.ctx.Addressing, bins.Chunk(i))})
		for _, c := range s.channels {
			e.markDirty(c)
		}
		// Count timeout rounds, not chunks: a burst of losses takes a whole window at once.
		if ch.state == stateEstablished && now.Sub(ch.lastTimeout) >= e.cfg.RequestTimeout {
			e.timeoutRound(now, ch)
		}
	}
	if !s.wake.IsZero() && !now.Before(s.wake) {
		s.wake = time.Time{}
		for _, c := range s.channels {
			e.markDirty(c) // a chunk passed over for avoidance may be asked for now
		}
	}
	e.retryBanned(now, s)
}

// timerGranularity is how often the timers run while requests or DATA are in flight. Finer
// bookkeeping (a deadline per chunk) would cost more per datagram than it saves.
const timerGranularity = 50 * time.Millisecond

// timerDeadline is when the timers should next run (NextDeadline adds the rate limits').
func (e *Engine) timerDeadline() time.Time {
	if e.busy {
		return e.lastTimers.Add(timerGranularity)
	}
	var next time.Time
	at := func(t time.Time) {
		if next.IsZero() || t.Before(next) {
			next = t
		}
	}
	for _, ch := range e.channels {
		switch ch.state {
		case stateInitiated:
			at(ch.hsNext)
		case stateEstablished:
			keepAlive, timeout := e.channelIdle(ch)
			at(ch.lastRecv.Add(timeout))
			at(ch.lastSend.Add(keepAlive))
			if !ch.pexNext.IsZero() && !ch.swarm.complete {
				at(ch.pexNext)
			}
			if !ch.pausedUntil.IsZero() {
				at(ch.pausedUntil)
			}
		}
	}
	for _, s := range e.timed {
		if t := e.nextBanEnd(s); !t.IsZero() {
			at(t)
		}
		if !s.wake.IsZero() {
			at(s.wake)
		}
	}
	return next
}

// channelList snapshots the channels, since timers close some while iterating, in order of
// their IDs, so that runs repeat exactly.
func (e *Engine) channelList() []*channel {
	list := make([]*channel, 0, len(e.channels))
	for _, id := range slices.Sorted(maps.Keys(e.channels)) {
		list = append(list, e.channels[id])
	}
	return list
}

// armTimers makes the timers run within timerGranularity of now, as something is in flight.
func (e *Engine) armTimers(now time.Time) {
	if !e.busy {
		e.busy = true
		e.lastTimers = now
	}
}
