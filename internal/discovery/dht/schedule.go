package dht

import (
	"net/netip"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// job is one get_peers traversal for a swarm: lookup feeds the peers found to the manager,
// announce ends the traversal with announce_peer to the closest nodes (BEP 5).
type job struct {
	id       swarmapi.ID
	lookup   bool
	announce bool
}

// swarmTimes is what the schedule remembers about one swarm.
type swarmTimes struct {
	nextAnnounce time.Time
	nextLookup   time.Time
	backoff      time.Duration // wait after the next lookup that finds nothing new
	announceWait time.Duration // wait after the next announce no node takes
	running      bool
	// known are the addresses lookups have found before, so that finding the same seeder
	// again counts as finding nothing new (bounded by maxKnownPeers).
	known map[netip.AddrPort]bool
}

// maxKnownPeers bounds swarmTimes.known; past it, the oldest knowledge is simply dropped.
const maxKnownPeers = 256

// schedule decides, from the manager's swarm list and the time, which traversals to start.
// It is plain data, owned by the DHT's loop goroutine; time is an argument.
type schedule struct {
	announceEvery time.Duration
	lookupMin     time.Duration
	lookupMax     time.Duration
	wantPeers     int
	maxRunning    int
	announce      bool // announce the swarms at all (a one-shot `get` does not)

	swarms  map[swarmapi.ID]*swarmTimes
	running int
}

// due lists the traversals to start now and marks them running. A swarm seeded or downloaded
// is announced every announceEvery; a download with fewer than wantPeers established peers is
// looked up, again after a backoff that doubles while lookups find nothing new (capped at
// lookupMax). Swarms gone from the list, or stopped, are forgotten.
func (s *schedule) due(now time.Time, list []swarmapi.Status) []job {
	seen := make(map[swarmapi.ID]bool, len(list))
	var jobs []job
	for _, st := range list {
		active := st.State == swarmapi.StateDownloading || st.State == swarmapi.StateSeeding
		if !active {
			continue
		}
		seen[st.ID] = true
		t := s.swarms[st.ID]
		if t == nil {
			t = &swarmTimes{nextAnnounce: now, nextLookup: now, backoff: s.lookupMin, announceWait: s.lookupMin}
			s.swarms[st.ID] = t
		}
		if t.running || s.running >= s.maxRunning {
			continue
		}
		j := job{id: st.ID}
		j.lookup = needsPeers(st, s.wantPeers) && !now.Before(t.nextLookup)
		j.announce = s.announce && !now.Before(t.nextAnnounce)
		if !j.lookup && !j.announce {
			continue
		}
		t.running = true
		s.running++
		jobs = append(jobs, j)
	}
	for id, t := range s.swarms {
		if !seen[id] && !t.running {
			delete(s.swarms, id)
		}
	}
	return jobs
}

// done records a finished traversal: found are the peer addresses it found, ok whether it
// did its work: it could start (a DHT with no node to ask cannot), and, for an announce, some
// node took it. What failed is retried after a backoff that doubles from lookupMin.
func (s *schedule) done(now time.Time, j job, found []netip.AddrPort, ok bool) {
	t := s.swarms[j.id]
	if t == nil {
		return
	}
	newPeers := 0
	for _, p := range found {
		if t.known[p] {
			continue
		}
		if t.known == nil || len(t.known) >= maxKnownPeers {
			t.known = map[netip.AddrPort]bool{}
		}
		t.known[p] = true
		newPeers++
	}
	if t.running {
		t.running = false
		s.running--
	}
	if j.announce {
		if ok {
			t.nextAnnounce = now.Add(s.announceEvery)
			t.announceWait = s.lookupMin
		} else {
			t.nextAnnounce = now.Add(t.announceWait)
			t.announceWait = min(2*t.announceWait, s.lookupMax)
		}
	}
	if j.lookup {
		if newPeers > 0 {
			t.backoff = s.lookupMin
		}
		t.nextLookup = now.Add(t.backoff)
		if newPeers == 0 {
			t.backoff = min(2*t.backoff, s.lookupMax)
		}
	}
}
