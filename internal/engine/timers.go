package engine

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// runTimers does what is due at now.
func (e *Engine) runTimers(now time.Time) {
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
	for _, s := range e.swarms {
		e.requestTimers(now, s)
	}
}

func (e *Engine) channelTimers(now time.Time, ch *channel) {
	if now.Sub(ch.lastRecv) >= e.cfg.ChannelTimeout {
		e.stats.ClosedTimeout++
		e.closeChannel(now, ch, true, errChannelTimeout)
		return
	}
	for i, sent := range ch.unacked {
		if now.Sub(sent) >= e.cfg.DataTimeout {
			delete(ch.unacked, i) // lost or unacknowledged: free its window slot
			e.markDirty(ch)
		}
	}
	if now.Sub(ch.lastSend) >= e.cfg.KeepAlive {
		e.send(now, ch, wire.AppendHeader(nil, ch.remote)) // keep-alive (§3.12, §8.14)
	}
}

// requestTimers re-requests chunks a peer was too slow to deliver, preferably from another.
func (e *Engine) requestTimers(now time.Time, s *swarm) {
	for i, p := range s.pending {
		if now.Sub(p.sent) < e.cfg.RequestTimeout {
			continue
		}
		delete(s.pending, i)
		ch := p.ch
		ch.requested--
		if now.Sub(ch.lastTimeout) >= e.cfg.RequestTimeout {
			// Count timeout rounds, not chunks: a burst of losses takes a whole window at once.
			ch.timeouts++
			ch.lastTimeout = now
		}
		e.stats.RequestTimeouts++
		s.avoid[i] = avoidEntry{ch: ch, until: now.Add(2 * e.cfg.RequestTimeout)}
		ch.queueMsg(&wire.Cancel{Spec: specForBin(ch.ctx.Addressing, bins.Chunk(i))})
		for c := range s.channels {
			e.markDirty(c)
		}
		if ch.timeouts >= e.cfg.MaxTimeouts && ch.state == stateEstablished {
			// Silent, far too slow, or announcing chunks it never sends.
			e.stats.ClosedUnresponsive++
			e.closeChannel(now, ch, true, errUnresponsive)
		}
	}
}

// NextDeadline is when Tick should next run; the zero time when nothing is scheduled.
func (e *Engine) NextDeadline() time.Time {
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
			at(ch.lastRecv.Add(e.cfg.ChannelTimeout))
			at(ch.lastSend.Add(e.cfg.KeepAlive))
			for _, sent := range ch.unacked {
				at(sent.Add(e.cfg.DataTimeout))
			}
		}
	}
	for _, s := range e.swarms {
		for _, p := range s.pending {
			at(p.sent.Add(e.cfg.RequestTimeout))
		}
	}
	return next
}

// channelList snapshots the channels, since timers close some while iterating.
func (e *Engine) channelList() []*channel {
	list := make([]*channel, 0, len(e.channels))
	for _, ch := range e.channels {
		list = append(list, ch)
	}
	return list
}
