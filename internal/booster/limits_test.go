package booster

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

func heldSwarm(id string, state swarmapi.State, added time.Time, mod func(*held)) held {
	h := held{
		st:  swarmapi.Status{ID: swarmapi.ID(id), State: state, Size: 100, Have: 100},
		rec: swarmRecord{Added: added},
	}
	if state != swarmapi.StateSeeding {
		h.st.Have = 0
	}
	if mod != nil {
		mod(&h)
	}
	return h
}

func ids(hs []held) []string {
	var out []string
	for _, h := range hs {
		out = append(out, string(h.st.ID))
	}
	return out
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestLeastUsefulOrder: dead swarms go first, then stalled downloads, then mature swarms by
// upload rate (lowest first), seeders (most first) and age (oldest first); young swarms go
// last.
func TestLeastUsefulOrder(t *testing.T) {
	now := t0.Add(time.Hour)
	grace := 10 * time.Minute
	hs := []held{
		heldSwarm("young", swarmapi.StateDownloading, now.Add(-time.Minute), nil),
		heldSwarm("busy", swarmapi.StateSeeding, t0, func(h *held) { h.st.UpRate = 5000 }),
		heldSwarm("idle-new", swarmapi.StateSeeding, t0.Add(10*time.Minute), nil),
		heldSwarm("idle-old", swarmapi.StateSeeding, t0, nil),
		heldSwarm("idle-wellserved", swarmapi.StateSeeding, t0.Add(20*time.Minute), func(h *held) { h.st.Seeders = 3 }),
		heldSwarm("stalled", swarmapi.StateDownloading, t0, nil),
		heldSwarm("broken", swarmapi.StateError, now, nil),
		heldSwarm("slow", swarmapi.StateSeeding, t0, func(h *held) { h.st.UpRate = 10 }),
		heldSwarm("downloading", swarmapi.StateDownloading, t0, func(h *held) { h.st.Have = 50 }),
	}
	leastUsefulFirst(hs, now, grace)
	want := []string{"broken", "stalled", "idle-wellserved", "downloading", "idle-old", "idle-new", "slow", "busy", "young"}
	if got := ids(hs); !equal(got, want) {
		t.Fatalf("order = %v\nwant    %v", got, want)
	}
}

func TestPlanSeedGoals(t *testing.T) {
	now := t0.Add(2 * time.Hour)
	l := Limits{SeedTime: time.Hour, SeedRatio: 2, Grace: time.Minute}
	hs := []held{
		heldSwarm("seeded-long", swarmapi.StateSeeding, t0, func(h *held) { h.rec.Completed = t0 }),
		heldSwarm("seeded-short", swarmapi.StateSeeding, t0, func(h *held) { h.rec.Completed = now.Add(-time.Minute) }),
		heldSwarm("ratio-done", swarmapi.StateSeeding, t0, func(h *held) {
			h.rec.Completed = now.Add(-time.Minute)
			h.rec.Uploaded, h.rec.LastUploaded = 150, 50 // 200 of 100 bytes: ratio 2
		}),
		heldSwarm("ratio-short", swarmapi.StateSeeding, t0, func(h *held) {
			h.rec.Completed = now.Add(-time.Minute)
			h.rec.LastUploaded = 199
		}),
		heldSwarm("downloading", swarmapi.StateDownloading, t0, nil),
	}
	got := l.plan(hs, now)
	want := map[string]string{"seeded-long": reasonSeedTime, "ratio-done": reasonSeedRatio}
	if len(got) != len(want) {
		t.Fatalf("plan = %v, want %v", got, want)
	}
	for _, ev := range got {
		if want[string(ev.id)] != ev.reason {
			t.Errorf("evicted %s for %s; want %v", ev.id, ev.reason, want)
		}
	}
}

// TestPlanMaxBytesAndSwarms: the least useful go until the rest fit both limits; a swarm
// of unknown length counts its verified bytes.
func TestPlanMaxBytesAndSwarms(t *testing.T) {
	now := t0.Add(time.Hour)
	hs := []held{
		heldSwarm("a", swarmapi.StateSeeding, t0, func(h *held) { h.st.UpRate = 1 }),
		heldSwarm("b", swarmapi.StateSeeding, t0, func(h *held) { h.st.UpRate = 2 }),
		heldSwarm("c", swarmapi.StateSeeding, t0, func(h *held) { h.st.UpRate = 3 }),
		heldSwarm("d", swarmapi.StateDownloading, t0, func(h *held) { h.st.Size, h.st.Have, h.st.UpRate = -1, 40, 4 }),
	}
	// 340 bytes; 250 allowed: a (100) goes, leaving 240.
	got := Limits{MaxBytes: 250, Grace: time.Minute}.plan(hs, now)
	if len(got) != 1 || got[0].id != "a" || got[0].reason != reasonMaxBytes {
		t.Fatalf("max_bytes plan = %v", got)
	}
	got = Limits{MaxSwarms: 2, Grace: time.Minute}.plan(hs, now)
	if len(got) != 2 || got[0].id != "a" || got[1].id != "b" || got[0].reason != reasonMaxSwarms {
		t.Fatalf("max_swarms plan = %v", got)
	}
	if got := (Limits{}).plan(hs, now); len(got) != 0 {
		t.Fatalf("no limits: plan = %v", got)
	}
}

func TestMakeRoom(t *testing.T) {
	now := t0.Add(time.Hour)
	l := Limits{MaxSwarms: 2, Grace: 10 * time.Minute}
	old := heldSwarm("old", swarmapi.StateSeeding, t0, func(h *held) { h.st.UpRate = 100 })
	young1 := heldSwarm("young1", swarmapi.StateDownloading, now.Add(-time.Minute), nil)
	young2 := heldSwarm("young2", swarmapi.StateDownloading, now.Add(-2*time.Minute), nil)
	if id, ok := l.makeRoom([]held{old}, now); !ok || id != "" {
		t.Fatalf("room left: makeRoom = %q, %v", id, ok)
	}
	if id, ok := l.makeRoom([]held{young1, old}, now); !ok || id != "old" {
		t.Fatalf("full: makeRoom = %q, %v; want the mature swarm", id, ok)
	}
	if id, ok := l.makeRoom([]held{young1, young2}, now); ok {
		t.Fatalf("all young: makeRoom = %q, %v; want no room", id, ok)
	}
}
