package booster

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// feedServer publishes an RSS feed whose items a test adds over time, with an ETag and
// Last-Modified, answering conditional requests with 304.
type feedServer struct {
	*httptest.Server
	mu          sync.Mutex
	items       []string
	failNext    int    // answer this many requests with 500
	garbageNext int    // then this many with a body that is not a feed
	conditional int    // requests that carried If-None-Match
	notModified int    // 304s sent
	badValidate string // a conditional request whose If-Modified-Since did not match
}

func newFeedServer(t *testing.T) *feedServer {
	f := &feedServer{}
	f.Server = httptest.NewServer(http.HandlerFunc(f.serve))
	t.Cleanup(f.Close)
	return f
}

var feedModified = time.Date(2026, 12, 1, 9, 0, 0, 0, time.UTC).Format(http.TimeFormat)

func (f *feedServer) serve(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if f.failNext > 0 {
		f.failNext--
		http.Error(w, "down", http.StatusServiceUnavailable)
		return
	}
	if f.garbageNext > 0 {
		f.garbageNext--
		w.Write([]byte("<rss><channel><item><title>cut off"))
		return
	}
	sum := sha1.Sum([]byte(strings.Join(f.items, "\n")))
	etag := `"` + hex.EncodeToString(sum[:8]) + `"`
	if inm := r.Header.Get("If-None-Match"); inm != "" {
		f.conditional++
		if ims := r.Header.Get("If-Modified-Since"); ims != feedModified {
			f.badValidate = ims
		}
		if inm == etag {
			f.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
	}
	w.Header().Set("ETag", etag)
	w.Header().Set("Last-Modified", feedModified)
	w.Header().Set("Content-Type", "application/rss+xml")
	var b strings.Builder
	b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>boost</title>`)
	for i := len(f.items) - 1; i >= 0; i-- { // newest first, as feeds are
		fmt.Fprintf(&b, "<item><title>item %d</title><link>%s</link></item>", i, f.items[i])
	}
	b.WriteString("</channel></rss>")
	w.Write([]byte(b.String()))
}

func (f *feedServer) publish(link string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, link)
}

func (f *feedServer) counts() (conditional, notModified int, bad string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.conditional, f.notModified, f.badValidate
}

// waitFor polls cond; the deadline only bounds a test that fails.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(20 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// runBooster runs b until the returned stop is called (or the test ends).
func runBooster(t *testing.T, b *Booster) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run: %v", err)
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func fastConfig(feeds []string, stateFile string) Config {
	return Config{Feeds: feeds, Interval: 20 * time.Millisecond, CheckEvery: 10 * time.Millisecond, StateFile: stateFile}
}

func boosterSwarms(b *Booster) map[string]SwarmStatus {
	out := map[string]SwarmStatus{}
	for _, s := range b.Status().Swarms {
		out[s.ID.String()] = s
	}
	return out
}

func id(h string) swarmapi.ID {
	b, _ := hex.DecodeString(h)
	return swarmapi.ID(b)
}

// TestBoosterFollowsFeed: links published over time are added once each, with the link's
// peer; an unchanged feed is asked for conditionally and answered 304; a swarm the user
// holds is left alone; the booster's swarms and the links seen survive a restart, and a
// swarm the user removes is not added again.
func TestBoosterFollowsFeed(t *testing.T) {
	feed := newFeedServer(t)
	feed.publish("tswift://127.0.0.1:6778/" + sha1Hex)
	m := newFakeManager()
	m.Add(context.Background(), swarmapi.AddSpec{ID: id(sha1Hex2)}) // the user's
	state := filepath.Join(t.TempDir(), StateFileName)
	b := New(fastConfig([]string{feed.URL}, state), m)
	stop := runBooster(t, b)

	waitFor(t, "the first link to be added", func() bool { return m.has(id(sha1Hex)) })
	if spec := m.spec(id(sha1Hex)); len(spec.Peers) != 1 || spec.Peers[0] != "127.0.0.1:6778" || spec.Hash != "" {
		t.Fatalf("spec = %+v, want the link's peer and SHA-1", spec)
	}
	waitFor(t, "a 304", func() bool { _, nm, _ := feed.counts(); return nm > 0 })
	if _, _, bad := feed.counts(); bad != "" {
		t.Fatalf("If-Modified-Since = %q, want the Last-Modified sent", bad)
	}

	feed.publish(sha1Hex2)                       // the user's swarm
	feed.publish("ppsp:/" + sha256Hex + "$2048") // a bare-ID SHA-256 swarm, no peer
	waitFor(t, "the SHA-256 link to be added", func() bool { return m.has(id(sha256Hex)) })
	if spec := m.spec(id(sha256Hex)); spec.Hash != "sha256" || spec.ChunkSize != 2048 || len(spec.Peers) != 0 {
		t.Fatalf("spec = %+v", spec)
	}
	m.set(id(sha1Hex), func(s *swarmapi.Status) { s.State, s.Size, s.Have, s.Uploaded = swarmapi.StateSeeding, 100, 100, 42 })
	waitFor(t, "completion to be recorded", func() bool { return !boosterSwarms(b)[sha1Hex].Completed.IsZero() })

	st := b.Status()
	if len(st.Swarms) != 2 || st.Added != 2 || st.Links != 3 {
		t.Fatalf("status: %d swarms, added %d, links %d; want 2, 2, 3 (the user's is not the booster's)", len(st.Swarms), st.Added, st.Links)
	}
	if _, ok := boosterSwarms(b)[sha1Hex2]; ok {
		t.Fatal("the user's swarm is listed as the booster's")
	}
	if src := st.Sources[0]; src.NotModified == 0 || src.Errors != 0 || src.LastOK.IsZero() || src.NextCheck.IsZero() {
		t.Fatalf("source status = %+v", src)
	}
	stop()

	// Restart: same state file, same manager (which persists swarms itself).
	b2 := New(fastConfig([]string{feed.URL}, state), m)
	if got := boosterSwarms(b2); len(got) != 2 || got[sha1Hex].Uploaded != 42 || got[sha1Hex].Completed.IsZero() {
		t.Fatalf("after restart: %+v", got)
	}
	cond, _, _ := feed.counts()
	stop2 := runBooster(t, b2)
	waitFor(t, "a conditional fetch after the restart", func() bool { c, _, _ := feed.counts(); return c > cond })
	m.Remove(context.Background(), id(sha256Hex), swarmapi.RemoveOptions{}) // the user removes it
	waitFor(t, "the record of the removed swarm to go", func() bool { _, ok := boosterSwarms(b2)[sha256Hex]; return !ok })
	feed.publish(sha1Hex + " again") // the feed changes; old links are still listed
	c2, _, _ := feed.counts()
	waitFor(t, "the changed feed to be read", func() bool { c, _, _ := feed.counts(); return c > c2+1 })
	stop2()
	if m.has(id(sha256Hex)) {
		t.Fatal("a swarm the user removed was added again")
	}
	if b2.Status().Added != 0 {
		t.Fatalf("after restart the booster added %d swarms again", b2.Status().Added)
	}
}

// TestBoosterLimits: with room for one swarm, a new link displaces the least useful
// booster swarm; seed time removes a seeded one; swarms the user holds are never removed.
func TestBoosterLimits(t *testing.T) {
	feed := newFeedServer(t)
	m := newFakeManager()
	users := []string{strings.Repeat("11", 20), strings.Repeat("22", 20)}
	for _, u := range users {
		m.Add(context.Background(), swarmapi.AddSpec{ID: id(u)})
		m.set(id(u), func(s *swarmapi.Status) { s.State = swarmapi.StateSeeding })
	}
	cfg := fastConfig([]string{feed.URL}, "")
	cfg.Limits = Limits{MaxSwarms: 1, SeedTime: 50 * time.Millisecond, Grace: time.Nanosecond}
	b := New(cfg, m)
	runBooster(t, b)

	feed.publish("tswift:/" + sha1Hex)
	waitFor(t, "A added", func() bool { return m.has(id(sha1Hex)) })
	feed.publish("tswift:/" + sha1Hex2)
	waitFor(t, "B added", func() bool { return m.has(id(sha1Hex2)) })
	if m.has(id(sha1Hex)) || !m.wasRemoved(id(sha1Hex)) {
		t.Fatal("A was not removed to make room for B")
	}
	m.set(id(sha1Hex2), func(s *swarmapi.Status) { s.State, s.Size, s.Have = swarmapi.StateSeeding, 10, 10 })
	waitFor(t, "B removed after its seed time", func() bool { return !m.has(id(sha1Hex2)) })
	for _, u := range users {
		if !m.has(id(u)) || m.wasRemoved(id(u)) {
			t.Fatalf("the user's swarm %s was removed", u)
		}
	}
	mt := b.Metrics()
	if mt.Removed[reasonMakeRoom] != 1 || mt.Removed[reasonSeedTime] != 1 {
		t.Fatalf("removed = %v", mt.Removed)
	}
}

// TestBoosterFailingFeed: HTTP errors and a malformed body are counted and retried with
// backoff, and the feed's links are added once it works; the booster keeps running.
func TestBoosterFailingFeed(t *testing.T) {
	feed := newFeedServer(t)
	feed.failNext, feed.garbageNext = 2, 1
	feed.publish("tswift:/" + sha1Hex)
	m := newFakeManager()
	b := New(fastConfig([]string{feed.URL, "http://127.0.0.1:1/nothing-listens"}, ""), m)
	b.retryMin, b.retryMax = 5*time.Millisecond, 20*time.Millisecond
	runBooster(t, b)

	waitFor(t, "the link after the failures", func() bool { return m.has(id(sha1Hex)) })
	waitFor(t, "the dead feed to fail more than once", func() bool {
		return b.Status().Sources[1].ConsecutiveErrors > 2
	})
	mt := b.Metrics()
	if mt.FetchErrors["http"] != 2 || mt.FetchErrors["malformed"] != 1 || mt.FetchErrors["network"] < 3 {
		t.Fatalf("fetch errors = %v", mt.FetchErrors)
	}
	st := b.Status()
	if good := st.Sources[0]; good.ConsecutiveErrors != 0 || good.LastError != "" || good.Errors != 3 {
		t.Fatalf("recovered feed: %+v", good)
	}
	if dead := st.Sources[1]; dead.LastError == "" || !dead.NextCheck.After(dead.LastCheck) {
		t.Fatalf("dead feed: %+v", dead)
	}
	if mt.FailingSources != 1 {
		t.Fatalf("failing sources = %d", mt.FailingSources)
	}
}

// TestBoosterDirectory: links in text files of the directory are added, new files too.
func TestBoosterDirectory(t *testing.T) {
	dir := t.TempDir()
	if err := os.WriteFile(filepath.Join(dir, "a.txt"), []byte("watch tswift://127.0.0.1:9/"+sha1Hex+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	os.WriteFile(filepath.Join(dir, ".hidden"), []byte(sha256Hex), 0o644)
	m := newFakeManager()
	cfg := fastConfig(nil, "")
	cfg.Dir = dir
	b := New(cfg, m)
	runBooster(t, b)
	waitFor(t, "the file's link", func() bool { return m.has(id(sha1Hex)) })
	if err := os.WriteFile(filepath.Join(dir, "b.txt"), []byte(sha1Hex2), 0o644); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the new file's link", func() bool { return m.has(id(sha1Hex2)) })
	if m.has(id(sha256Hex)) {
		t.Fatal("a hidden file was read")
	}
	if src := b.Status().Sources[0]; src.Kind != "dir" || src.Links != 2 {
		t.Fatalf("dir source: %+v", src)
	}
}

// TestBoosterMissingDirectory: a directory that cannot be read is a counted, retried error.
func TestBoosterMissingDirectory(t *testing.T) {
	cfg := fastConfig(nil, "")
	cfg.Dir = filepath.Join(t.TempDir(), "missing")
	b := New(cfg, newFakeManager())
	b.retryMin, b.retryMax = 5*time.Millisecond, 10*time.Millisecond
	runBooster(t, b)
	waitFor(t, "two failed checks", func() bool { return b.Metrics().FetchErrors["dir"] >= 2 })
	if src := b.Status().Sources[0]; src.ConsecutiveErrors < 2 || !strings.Contains(src.LastError, "missing") {
		t.Fatalf("dir source: %+v", src)
	}
}

// TestBoosterBigFeed: a feed naming thousands of new swarms fills max_swarms with young
// swarms and skips the rest (counted); nothing is added twice on the next change.
func TestBoosterBigFeed(t *testing.T) {
	feed := newFeedServer(t)
	for i := range 3000 {
		feed.publish(fmt.Sprintf("%040x", i+1))
	}
	m := newFakeManager()
	cfg := fastConfig([]string{feed.URL}, "")
	cfg.Limits = Limits{MaxSwarms: 3}
	bst := New(cfg, m)
	runBooster(t, bst)
	waitFor(t, "the links to be considered", func() bool { return bst.Status().Links == 3000 })
	st := bst.Status()
	if st.Added != 3 || st.Skipped != 2997 || len(m.List()) != 3 {
		t.Fatalf("added %d, skipped %d, held %d; want 3, 2997, 3", st.Added, st.Skipped, len(m.List()))
	}
}

// TestSeenBounded: the remembered links stay bounded and keep the newest.
func TestSeenBounded(t *testing.T) {
	b := New(Config{}, newFakeManager())
	for i := range 3 * maxSeen {
		b.markSeenLocked(fmt.Sprintf("%040x", i))
	}
	if n := len(b.state.Seen); n > maxSeen+maxSeen/4 || n < maxSeen || len(b.seen) != n {
		t.Fatalf("%d remembered (%d in the set)", n, len(b.seen))
	}
	if !b.seen[fmt.Sprintf("%040x", 3*maxSeen-1)] || b.seen[fmt.Sprintf("%040x", 0)] {
		t.Fatal("the newest is forgotten or the oldest kept")
	}
}

// TestReleasedSwarmIsNeverRemoved: a booster swarm the user asks for too becomes the
// user's: the limits no longer remove it.
func TestReleasedSwarmIsNeverRemoved(t *testing.T) {
	feed := newFeedServer(t)
	feed.publish("tswift:/" + sha1Hex)
	m := newFakeManager()
	cfg := fastConfig([]string{feed.URL}, "")
	cfg.Limits = Limits{SeedTime: time.Nanosecond}
	b := New(cfg, m)
	runBooster(t, b)
	waitFor(t, "the link to be added", func() bool { return m.has(id(sha1Hex)) })
	if !b.Release(id(sha1Hex)) || b.Release(id(sha1Hex)) {
		t.Fatal("Release: want true once, then false")
	}
	m.set(id(sha1Hex), func(s *swarmapi.Status) { s.State, s.Size, s.Have = swarmapi.StateSeeding, 10, 10 })
	feed.publish("tswift:/" + sha1Hex2) // something to wait for: a later check ran
	waitFor(t, "the next link", func() bool { return m.has(id(sha1Hex2)) })
	c0 := b.Status().Sources[0].Checks
	waitFor(t, "two more checks", func() bool { return b.Status().Sources[0].Checks > c0+2 })
	if !m.has(id(sha1Hex)) || m.wasRemoved(id(sha1Hex)) {
		t.Fatal("the released swarm was removed")
	}
	if _, ok := boosterSwarms(b)[sha1Hex]; ok {
		t.Fatal("the released swarm is still listed as the booster's")
	}
}

// TestReconfigure: new feeds and limits apply while the booster runs; a feed that stays
// keeps its state, a dropped one is forgotten.
func TestReconfigure(t *testing.T) {
	feedA, feedB := newFeedServer(t), newFeedServer(t)
	feedA.publish("tswift:/" + sha1Hex)
	feedB.publish("tswift:/" + sha1Hex2)
	m := newFakeManager()
	b := New(fastConfig([]string{feedA.URL}, ""), m)
	runBooster(t, b)
	waitFor(t, "A's link", func() bool { return m.has(id(sha1Hex)) })
	checksA := b.Status().Sources[0].Checks

	b.Reconfigure(Config{Feeds: []string{feedB.URL, feedA.URL, feedB.URL}, Interval: 20 * time.Millisecond,
		Limits: Limits{SeedTime: time.Nanosecond}})
	waitFor(t, "B's link", func() bool { return m.has(id(sha1Hex2)) })
	st := b.Status()
	if len(st.Sources) != 2 || st.Sources[0].Source != feedB.URL || st.Sources[1].Source != feedA.URL || st.Sources[1].Checks < checksA {
		t.Fatalf("sources after reconfigure: %+v", st.Sources)
	}
	m.set(id(sha1Hex), func(s *swarmapi.Status) { s.State, s.Size, s.Have = swarmapi.StateSeeding, 10, 10 })
	waitFor(t, "the new seed_time to remove A's swarm", func() bool { return !m.has(id(sha1Hex)) })

	b.Reconfigure(Config{Feeds: []string{feedB.URL}, Interval: 20 * time.Millisecond})
	waitFor(t, "A dropped", func() bool { return len(b.Status().Sources) == 1 })
	b.mu.Lock()
	_, kept := b.state.Feeds[feedA.URL]
	b.mu.Unlock()
	if kept {
		t.Fatal("the dropped feed's validators are kept")
	}
}
