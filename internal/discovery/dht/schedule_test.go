package dht

import (
	"net/netip"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

func newTestSchedule() *schedule {
	return &schedule{announceEvery: 15 * time.Minute, lookupMin: 5 * time.Second, lookupMax: 5 * time.Minute,
		wantPeers: 4, maxRunning: 2, announce: true, swarms: map[swarmapi.ID]*swarmTimes{}}
}

// TestScheduleAnnouncesAndLooksUp: a seed is announced, a download with too few peers is
// looked up and announced, a stopped swarm and a download with enough peers are not looked up.
func TestScheduleAnnouncesAndLooksUp(t *testing.T) {
	s := newTestSchedule()
	s.maxRunning = 10
	now := time.Unix(0, 0)
	jobs := s.due(now, []swarmapi.Status{
		{ID: "seed", State: swarmapi.StateSeeding},
		{ID: "lonely", State: swarmapi.StateDownloading, Peers: 1},
		{ID: "crowded", State: swarmapi.StateDownloading, Peers: 4},
		{ID: "stopped", State: swarmapi.StateStopped},
	})
	want := map[swarmapi.ID]job{
		"seed":    {id: "seed", announce: true},
		"lonely":  {id: "lonely", lookup: true, announce: true},
		"crowded": {id: "crowded", announce: true},
	}
	if len(jobs) != len(want) {
		t.Fatalf("jobs %+v", jobs)
	}
	for _, j := range jobs {
		if want[j.id] != j {
			t.Errorf("job %+v, want %+v", j, want[j.id])
		}
	}
	// Running traversals are not started twice.
	if again := s.due(now.Add(time.Hour), []swarmapi.Status{{ID: "seed", State: swarmapi.StateSeeding}}); len(again) != 0 {
		t.Fatalf("started again while running: %+v", again)
	}
}

// TestScheduleBackoff: lookups that find nothing back off, doubling to the cap; one that
// finds a new peer resets the wait; the announce repeats after announceEvery.
func TestScheduleBackoff(t *testing.T) {
	s := newTestSchedule()
	s.announce = false // announces have their own period; this follows the lookups
	now := time.Unix(0, 0)
	list := []swarmapi.Status{{ID: "x", State: swarmapi.StateDownloading}}
	var waits []time.Duration
	last := now
	for range 9 {
		jobs := s.due(now, list)
		for len(jobs) == 0 {
			now = now.Add(time.Second)
			jobs = s.due(now, list)
		}
		if !jobs[0].lookup {
			t.Fatalf("job %+v is not a lookup", jobs[0])
		}
		waits = append(waits, now.Sub(last))
		last = now
		s.done(now, jobs[0], nil, true)
	}
	want := []time.Duration{0, 5 * time.Second, 10 * time.Second, 20 * time.Second, 40 * time.Second, 80 * time.Second,
		160 * time.Second, 300 * time.Second, 300 * time.Second}
	for i := range want {
		if waits[i] != want[i] {
			t.Fatalf("waits %v, want %v", waits, want)
		}
	}
	// A lookup that finds a peer: the next one comes after the minimum again.
	seeder := []netip.AddrPort{netip.MustParseAddrPort("127.0.0.1:6778")}
	now = now.Add(5 * time.Minute)
	j := s.due(now, list)[0]
	s.done(now, j, seeder, true)
	got := s.due(now.Add(5*time.Second), list)
	if len(got) != 1 || !got[0].lookup {
		t.Fatalf("after finding a peer: %+v", got)
	}
	// Finding the same peer again is nothing new: the waits grow again from the minimum.
	for _, wait := range []time.Duration{5 * time.Second, 10 * time.Second, 20 * time.Second} {
		now = now.Add(5 * time.Second)
		s.done(now, got[0], seeder, true)
		if early := s.due(now.Add(wait-time.Second), list); len(early) != 0 {
			t.Fatalf("lookup before the %v wait: %+v", wait, early)
		}
		now = now.Add(wait)
		if got = s.due(now, list); len(got) != 1 {
			t.Fatalf("no lookup after the %v wait", wait)
		}
	}
}

func TestScheduleLimitsRunningAndForgets(t *testing.T) {
	s := newTestSchedule()
	now := time.Unix(0, 0)
	list := []swarmapi.Status{
		{ID: "a", State: swarmapi.StateSeeding}, {ID: "b", State: swarmapi.StateSeeding}, {ID: "c", State: swarmapi.StateSeeding},
	}
	jobs := s.due(now, list)
	if len(jobs) != 2 {
		t.Fatalf("%d jobs started, want maxRunning 2", len(jobs))
	}
	for _, j := range jobs {
		s.done(now, j, nil, true)
	}
	if jobs := s.due(now, list); len(jobs) != 1 || jobs[0].id != "c" {
		t.Fatalf("jobs %+v, want c", jobs)
	}
	s.done(now, job{id: "c", announce: true}, nil, true)
	s.due(now, list[:1])
	if len(s.swarms) != 1 {
		t.Fatalf("removed swarms remembered: %v", s.swarms)
	}
	// An announce that could not run (no node yet) is retried soon, not in 15 minutes.
	j := s.due(now.Add(20*time.Minute), list[:1])[0]
	s.done(now.Add(20*time.Minute), j, nil, false)
	at := now.Add(20*time.Minute + 5*time.Second)
	got := s.due(at, list[:1])
	if len(got) != 1 {
		t.Fatalf("failed announce not retried after lookupMin: %+v", got)
	}
	// Failing again doubles the wait; a success waits announceEvery.
	s.done(at, got[0], nil, false)
	if early := s.due(at.Add(9*time.Second), list[:1]); len(early) != 0 {
		t.Fatalf("announce retried before the doubled wait: %+v", early)
	}
	got = s.due(at.Add(10*time.Second), list[:1])
	if len(got) != 1 {
		t.Fatal("announce not retried after the doubled wait")
	}
	s.done(at.Add(10*time.Second), got[0], nil, true)
	if again := s.due(at.Add(10*time.Second+14*time.Minute), list[:1]); len(again) != 0 {
		t.Fatalf("announced again before announceEvery: %+v", again)
	}
}

// TestScheduleWithoutAnnounce: a one-shot client only looks up.
func TestScheduleWithoutAnnounce(t *testing.T) {
	s := newTestSchedule()
	s.announce = false
	jobs := s.due(time.Unix(0, 0), []swarmapi.Status{{ID: "s", State: swarmapi.StateSeeding}, {ID: "d", State: swarmapi.StateDownloading}})
	if len(jobs) != 1 || jobs[0] != (job{id: "d", lookup: true}) {
		t.Fatalf("jobs %+v", jobs)
	}
}
