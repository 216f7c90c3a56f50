package booster

import (
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// Status is a snapshot of the booster for the CMD gateway.
type Status struct {
	Interval time.Duration
	Limits   Limits
	Sources  []SourceStatus
	Swarms   []SwarmStatus // sorted by ID
	Bytes    int64         // disk bytes of the booster's swarms (see the package doc)
	// Links counts the new links found; Added, Skipped (no room) and AddFailed what became
	// of them; Removed the swarms removed by the limits.
	Links, Added, Skipped, AddFailed, Removed uint64
}

// SourceStatus is one feed or the directory.
type SourceStatus struct {
	Source string // the URL, or "dir:" and the path
	Kind   string // "feed" or "dir"
	// LastCheck is the last attempt (zero before the first); LastOK the last success;
	// NextCheck when the next attempt is due.
	LastCheck, LastOK, NextCheck time.Time
	Checks, NotModified          uint64
	Errors                       uint64 // failed checks, in all
	ConsecutiveErrors            int
	LastError                    string // of the last check, "" when it succeeded
	Links                        uint64 // new links found
}

// SwarmStatus is one swarm the booster added.
type SwarmStatus struct {
	ID        swarmapi.ID
	Source    string
	Added     time.Time
	Completed time.Time // zero while downloading
	State     swarmapi.State
	Size      int64 // -1 while unknown
	Have      int64
	UpRate    float64
	Uploaded  uint64 // since the booster added it, across restarts
	Seeders   int
}

// Status reads the booster's sources and swarms.
func (b *Booster) Status() Status {
	list := b.m.List()
	b.mu.Lock()
	defer b.mu.Unlock()
	out := Status{
		Interval: b.cfg.Interval, Limits: b.cfg.Limits,
		Links: b.counters.links, Added: b.counters.added, Skipped: b.counters.skipped,
		AddFailed: b.counters.addFailed,
	}
	for _, n := range b.counters.removed {
		out.Removed += n
	}
	for _, src := range b.sources {
		st := src.status
		if st.NextCheck.IsZero() {
			st.NextCheck = src.next
		}
		out.Sources = append(out.Sources, st)
	}
	for _, st := range list {
		rec, ok := b.state.Swarms[st.ID.String()]
		if !ok {
			continue
		}
		out.Swarms = append(out.Swarms, SwarmStatus{
			ID: st.ID, Source: rec.Source, Added: rec.Added, Completed: rec.Completed, State: st.State,
			Size: st.Size, Have: st.Have, UpRate: st.UpRate, Uploaded: rec.totalUploaded(), Seeders: st.Seeders,
		})
		out.Bytes += diskBytes(st)
	}
	slices.SortFunc(out.Swarms, func(a, b SwarmStatus) int {
		switch {
		case a.ID < b.ID:
			return -1
		case a.ID > b.ID:
			return 1
		}
		return 0
	})
	return out
}
