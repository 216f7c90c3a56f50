package cmdgw

import (
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/booster"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

type fakeBooster struct {
	st       booster.Status
	mu       sync.Mutex
	released []swarms.ID
}

func (f *fakeBooster) Status() booster.Status { return f.st }

func (f *fakeBooster) Release(id swarms.ID) bool {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.released = append(f.released, id)
	return true
}

func (f *fakeBooster) releasedIDs() []swarms.ID {
	f.mu.Lock()
	defer f.mu.Unlock()
	return append([]swarms.ID(nil), f.released...)
}

var boosterForms = []*regexp.Regexp{
	regexp.MustCompile(`^BOOSTER interval=\S+ sources=\d+ failing=\d+ swarms=\d+/(\d+|-) bytes=\d+/(\d+|-) links=\d+ added=\d+ skipped=\d+ removed=\d+$`),
	regexp.MustCompile(`^FEED \S+ (ok|failing|pending) last=\S+ next=\S+ checks=\d+ not-modified=\d+ errors=\d+ links=\d+( error=[[:print:]]+)?$`),
	regexp.MustCompile(`^BSWARM [0-9a-f]+ [a-z]+ \d+/\d+ up=\d+ uploaded=\d+ seeders=\d+ added=\S+ completed=\S+ source=\S+$`),
	regexp.MustCompile(`^OK$`),
}

func checkBoosterForms(t *testing.T, lines []string) {
	t.Helper()
	for _, l := range lines {
		ok := false
		for _, re := range boosterForms {
			ok = ok || re.MatchString(l)
		}
		if !ok {
			t.Errorf("BOOSTER reply line %q has no known form", l)
		}
	}
}

// TestBoosterCommands: BOOSTER, BOOSTER FEEDS and BOOSTER SWARMS report the booster's
// state; with no booster, BOOSTER is an ERROR and the connection goes on.
func TestBoosterCommands(t *testing.T) {
	now := time.Date(2026, 12, 1, 14, 0, 0, 0, time.UTC)
	st := booster.Status{
		Interval: 5 * time.Minute,
		Limits:   booster.Limits{MaxSwarms: 20},
		Sources: []booster.SourceStatus{
			{Source: "http://127.0.0.1:1/feed.xml", Kind: "feed", LastCheck: now, LastOK: now, NextCheck: now.Add(5 * time.Minute), Checks: 3, NotModified: 2, Links: 1},
			{Source: "http://127.0.0.1:2/bad", Kind: "feed", LastCheck: now, NextCheck: now.Add(10 * time.Second), Checks: 2, Errors: 2, ConsecutiveErrors: 2, LastError: "HTTP error: 503 Service Unavailable"},
			{Source: "dir:/srv/links with space", Kind: "dir"},
		},
		Swarms: []booster.SwarmStatus{{ID: swarms.ID(strings.Repeat("\x01", 20)), Source: "http://127.0.0.1:1/feed.xml", Added: now,
			State: swarms.StateSeeding, Size: 100, Have: 100, Uploaded: 300}},
		Bytes: 100, Links: 1, Added: 1,
	}
	ts := startServer(t, Options{Booster: &fakeBooster{st: st}})
	c := dialLines(t, ts.addr)

	r := c.call("BOOSTER")
	checkBoosterForms(t, r)
	if r[0] != "BOOSTER interval=5m0s sources=3 failing=1 swarms=1/20 bytes=100/- links=1 added=1 skipped=0 removed=0" {
		t.Errorf("BOOSTER = %q", r[0])
	}
	r = c.call("booster feeds")
	checkBoosterForms(t, r)
	if len(r) != 4 || !strings.Contains(r[0], " ok last=2026-12-01T14:00:00Z next=2026-12-01T14:05:00Z checks=3 not-modified=2") ||
		!strings.HasSuffix(r[1], "error=HTTP error: 503 Service Unavailable") || !strings.HasPrefix(r[2], "FEED dir:/srv/links%20with%20space pending last=- ") {
		t.Errorf("BOOSTER FEEDS = %q", r)
	}
	r = c.call("BOOSTER SWARMS")
	checkBoosterForms(t, r)
	if len(r) != 2 || r[0] != "BSWARM "+strings.Repeat("01", 20)+" seeding 100/100 up=0 uploaded=300 seeders=0 added=2026-12-01T14:00:00Z completed=- source=http://127.0.0.1:1/feed.xml" {
		t.Errorf("BOOSTER SWARMS = %q", r)
	}
	if r := c.call("BOOSTER PEERS"); len(r) != 1 || !strings.HasPrefix(r[0], "ERROR ") || !strings.Contains(r[0], "bad parameter") {
		t.Errorf("BOOSTER PEERS = %q", r)
	}

	off := startServer(t, Options{})
	c2 := dialLines(t, off.addr)
	if r := c2.call("BOOSTER"); len(r) != 1 || !strings.Contains(r[0], "booster is off") {
		t.Errorf("BOOSTER without a booster = %q", r)
	}
	if r := c2.call("VERSION"); r[len(r)-1] != "OK" {
		t.Errorf("the connection did not go on after the ERROR: %q", r)
	}
	found := false
	for _, l := range c2.call("HELP") {
		found = found || strings.HasPrefix(l, "HELP BOOSTER ")
	}
	if !found {
		t.Error("HELP does not list BOOSTER")
	}
}

// TestAddReleasesBoosterSwarm: ADD and START of a swarm already held hand it from the
// booster to the user; a first ADD does not.
func TestAddReleasesBoosterSwarm(t *testing.T) {
	fb := &fakeBooster{}
	ts := startServer(t, Options{Booster: fb})
	c := dialLines(t, ts.addr)
	c.call("ADD " + hexID)
	if r := fb.releasedIDs(); len(r) != 0 {
		t.Fatalf("a first ADD released %v", r)
	}
	c.call("ADD " + hexID)
	c.send("START tswift://127.0.0.1:20051/" + hexID)
	c.awaitPrefix("INFO " + hexID)
	want, _ := swarms.ParseID(hexID)
	if r := fb.releasedIDs(); len(r) != 2 || r[0] != want || r[1] != want {
		t.Fatalf("released %v, want the swarm twice (ADD, START)", r)
	}
}
