package booster

import (
	"cmp"
	"slices"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// Limits bound what the booster holds; zero values mean no limit.
type Limits struct {
	MaxSwarms int
	MaxBytes  int64
	SeedTime  time.Duration // seeding this long ends a swarm
	SeedRatio float64       // uploading this many times the size ends a swarm
	Grace     time.Duration // a swarm younger than this is not evicted to make room
}

// Why a booster swarm is removed; the metric's reason label.
const (
	reasonSeedTime  = "seed_time"
	reasonSeedRatio = "seed_ratio"
	reasonMaxBytes  = "max_bytes"
	reasonMaxSwarms = "max_swarms"
	reasonMakeRoom  = "make_room"
)

var removeReasons = []string{reasonSeedTime, reasonSeedRatio, reasonMaxBytes, reasonMaxSwarms, reasonMakeRoom}

// held is one booster swarm as the limits see it.
type held struct {
	st  swarmapi.Status
	rec swarmRecord
}

// eviction is a swarm to remove and why.
type eviction struct {
	id     swarmapi.ID
	reason string
}

// diskBytes is what a swarm takes (or will take) on disk: its content length, or its
// verified bytes while the length is unknown.
func diskBytes(st swarmapi.Status) int64 {
	if st.Size > 0 {
		return st.Size
	}
	return st.Have
}

// usefulness ranks, lowest first: what goes first when something must go (see the package
// documentation).
const (
	rankDead    = iota // error or stopped
	rankStalled        // a download past its grace that verified nothing: no peer found
	rankMature
	rankYoung // added less than Grace ago
)

func rank(h held, now time.Time, grace time.Duration) int {
	switch {
	case h.st.State == swarmapi.StateError || h.st.State == swarmapi.StateStopped:
		return rankDead
	case now.Sub(h.rec.Added) < grace:
		return rankYoung
	case h.st.State != swarmapi.StateSeeding && h.st.Have == 0:
		return rankStalled
	}
	return rankMature
}

// leastUsefulFirst sorts hs in eviction order: rank, then upload rate (lowest first), then
// connected seeders (most first), then age (oldest first), then ID, so the order is the same
// for the same input.
func leastUsefulFirst(hs []held, now time.Time, grace time.Duration) {
	slices.SortStableFunc(hs, func(a, b held) int {
		return cmp.Or(
			cmp.Compare(rank(a, now, grace), rank(b, now, grace)),
			cmp.Compare(a.st.UpRate, b.st.UpRate),
			cmp.Compare(b.st.Seeders, a.st.Seeders),
			a.rec.Added.Compare(b.rec.Added),
			cmp.Compare(a.st.ID, b.st.ID),
		)
	})
}

// seedGoal says whether a seeding swarm has done its share: seeded SeedTime since it
// completed, or uploaded SeedRatio times its size.
func (l Limits) seedGoal(h held, now time.Time) (string, bool) {
	if h.st.State != swarmapi.StateSeeding || h.rec.Completed.IsZero() {
		return "", false
	}
	if l.SeedTime > 0 && now.Sub(h.rec.Completed) >= l.SeedTime {
		return reasonSeedTime, true
	}
	if size := diskBytes(h.st); l.SeedRatio > 0 && size > 0 && float64(h.rec.totalUploaded()) >= l.SeedRatio*float64(size) {
		return reasonSeedRatio, true
	}
	return "", false
}

// plan lists the booster swarms to remove now: those whose seed goal is reached, then the
// least useful until the rest fit MaxBytes and MaxSwarms.
func (l Limits) plan(hs []held, now time.Time) []eviction {
	var out []eviction
	var rest []held
	for _, h := range hs {
		if why, done := l.seedGoal(h, now); done {
			out = append(out, eviction{h.st.ID, why})
			continue
		}
		rest = append(rest, h)
	}
	leastUsefulFirst(rest, now, l.Grace)
	var total int64
	for _, h := range rest {
		total += diskBytes(h.st)
	}
	for len(rest) > 0 && l.MaxBytes > 0 && total > l.MaxBytes {
		out = append(out, eviction{rest[0].st.ID, reasonMaxBytes})
		total -= diskBytes(rest[0].st)
		rest = rest[1:]
	}
	for l.MaxSwarms > 0 && len(rest) > l.MaxSwarms {
		out = append(out, eviction{rest[0].st.ID, reasonMaxSwarms})
		rest = rest[1:]
	}
	return out
}

// makeRoom picks the swarm to remove so that one more fits MaxSwarms: none needed (ok,
// empty ID) while there is room; the least useful that is not young otherwise; and
// ok=false when every booster swarm is young, so the new link waits for nothing and is
// skipped.
func (l Limits) makeRoom(hs []held, now time.Time) (swarmapi.ID, bool) {
	if l.MaxSwarms <= 0 || len(hs) < l.MaxSwarms {
		return "", true
	}
	sorted := slices.Clone(hs)
	leastUsefulFirst(sorted, now, l.Grace)
	if rank(sorted[0], now, l.Grace) == rankYoung {
		return "", false
	}
	return sorted[0].st.ID, true
}
