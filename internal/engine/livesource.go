package engine

import (
	"fmt"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/live"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// inject runs Inject for a live swarm we are the source of: the chunk is kept, signed (its
// munro, once complete), and announced.
func (e *Engine) inject(now time.Time, s *swarm, data []byte) (uint64, error) {
	ls := s.live
	if len(data) != int(ls.cfg.ChunkSize) {
		return 0, fmt.Errorf("engine: live chunk of %d bytes, the stream's chunks are %d", len(data), ls.cfg.ChunkSize)
	}
	if ls.source != nil {
		i, sm, err := ls.source.AddChunk(data, now)
		if err != nil {
			return i, fmt.Errorf("engine: inject chunk %d: %w", i, err)
		}
		ls.cfg.Store.Put(i, data)
		e.stats.LiveInjected++
		if sm != nil {
			e.announceLive(now, s, sm.Start, sm.End)
		}
		return i, nil
	}
	i := ls.next
	sig, err := live.SignChunk(ls.cfg.Key, ls.cfg.Addressing, i, data, now)
	if err != nil {
		return i, fmt.Errorf("engine: inject chunk %d: %w", i, err)
	}
	ls.next++
	ls.putSig(sig)
	ls.cfg.Store.Put(i, data)
	e.stats.LiveInjected++
	e.announceLive(now, s, i, i)
	return i, nil
}

// announceLive makes chunks start..end, just signed, available: they become ours to serve,
// the edge moves, and every peer gets HAVE for them — under the Unified Merkle Tree with
// the signed munro first, as libswift's source sends it, so that a joining peer can tune in
// at once (§6.1.2.3).
func (e *Engine) announceLive(now time.Time, s *swarm, start, end uint64) {
	e.fit(s, end)
	s.have.setRange(bins.ChunkRange{Start: max(start, s.have.base), End: end})
	e.advance(s, end)
	cover := bins.AppendCover(nil, bins.ChunkRange{Start: start, End: end})
	for _, ch := range s.channels {
		if ch.state != stateEstablished {
			continue
		}
		if s.live.source != nil {
			e.queueLiveMunroAt(ch, start, now)
		}
		for _, b := range cover {
			ch.queueMsg(&wire.Have{Spec: specForBin(ch.ctx.Addressing, b)})
		}
		e.markDirty(ch)
	}
}

// queueLiveMunro queues for a new peer the newest signed munro, so that it can tune in.
func (e *Engine) queueLiveMunro(ch *channel) {
	ls := ch.swarm.live
	if ls.cfg.Method != wire.IntegrityUnifiedMHT || !ls.hasEdge {
		return
	}
	e.queueLiveMunroAt(ch, ls.edge, ch.lastSend)
}

// queueLiveMunroAt queues the signed munro of chunk i for ch, as control messages.
func (e *Engine) queueLiveMunroAt(ch *channel, i uint64, now time.Time) {
	li, ok := ch.swarm.integrity.(*liveIntegrity)
	if !ok {
		return
	}
	sm, err := li.signedMunro(i, formOf(ch))
	if err != nil {
		return
	}
	spec := specForRange(ch.ctx.Addressing, sm.Start, sm.End)
	ch.queueMsg(&wire.Integrity{Spec: spec, Hash: sm.Hash})
	ch.queueMsg(&wire.SignedIntegrity{Spec: spec, Timestamp: sm.Timestamp, Signature: sm.Signature})
	ch.munroDue(sm.Start, now)
}
