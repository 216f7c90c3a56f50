package node

import "github.com/ppsppd/ppsppd/internal/engine"

// lastVerified is where a swarm's last chunk-verified event sits in a list of events.
type lastVerified struct {
	swarm engine.SwarmID
	at    int
}

// coalesceVerified keeps, of each swarm's chunk-verified events in evs, only the last,
// in place, and returns the shortened list; every other event stays, in order. With small
// chunks a loop iteration verifies dozens of chunks, and subscribers (the swarm manager)
// only need to know that a swarm progressed: one event per swarm instead of one per chunk
// saves a channel send and a wake-up each. *scratch is reused for the bookkeeping.
func coalesceVerified(evs []engine.Event, scratch *[]lastVerified) []engine.Event {
	last := (*scratch)[:0]
	defer func() { *scratch = last[:0] }()
	for i, ev := range evs {
		if ev.Kind != engine.EventChunkVerified {
			continue
		}
		found := false
		for k := range last { // few swarms progress at once: a scan beats a map
			if last[k].swarm == ev.Swarm {
				last[k].at, found = i, true
				break
			}
		}
		if !found {
			last = append(last, lastVerified{swarm: ev.Swarm, at: i})
		}
	}
	if len(last) == 0 {
		return evs
	}
	kept := evs[:0]
	for i, ev := range evs {
		if ev.Kind == engine.EventChunkVerified && !isLast(last, ev.Swarm, i) {
			continue
		}
		kept = append(kept, ev)
	}
	return kept
}

func isLast(last []lastVerified, s engine.SwarmID, i int) bool {
	for _, l := range last {
		if l.swarm == s {
			return l.at == i
		}
	}
	return false
}
