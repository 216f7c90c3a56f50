package node

import (
	"net/netip"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// lastVerified is where the last chunk-verified event of one swarm from one peer sits in a
// list of events, and how many such events there were.
type lastVerified struct {
	swarm engine.SwarmID
	peer  netip.AddrPort
	at    int
	count uint64
}

// coalesceVerified keeps, of the chunk-verified events in evs, only the last of each swarm
// and peer, in place, with the count of those it stands for in its Chunks; every other
// event stays, in order, and the shortened list is returned. With small chunks a loop
// iteration verifies dozens of chunks, and subscribers only need to know that a swarm
// progressed, and from whom how much: one event per swarm and peer instead of one per chunk
// saves a channel send and a wake-up each, and keeps per-peer counts exact. *scratch is
// reused for the bookkeeping.
func coalesceVerified(evs []engine.Event, scratch *[]lastVerified) []engine.Event {
	last := (*scratch)[:0]
	defer func() { *scratch = last[:0] }()
	for i, ev := range evs {
		if ev.Kind != engine.EventChunkVerified {
			continue
		}
		found := false
		for k := range last { // few swarms and peers deliver at once: a scan beats a map
			if last[k].swarm == ev.Swarm && last[k].peer == ev.Peer {
				last[k].at, found = i, true
				last[k].count += ev.VerifiedCount()
				break
			}
		}
		if !found {
			last = append(last, lastVerified{swarm: ev.Swarm, peer: ev.Peer, at: i, count: ev.VerifiedCount()})
		}
	}
	if len(last) == 0 {
		return evs
	}
	kept := evs[:0]
	for i, ev := range evs {
		if ev.Kind == engine.EventChunkVerified {
			l, ok := lastAt(last, i)
			if !ok {
				continue
			}
			ev.Chunks = l.count
		}
		kept = append(kept, ev)
	}
	return kept
}

// lastAt finds the entry whose last event is at index i.
func lastAt(last []lastVerified, i int) (lastVerified, bool) {
	for _, l := range last {
		if l.at == i {
			return l, true
		}
	}
	return lastVerified{}, false
}
