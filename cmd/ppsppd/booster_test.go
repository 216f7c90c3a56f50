package main

import (
	"bytes"
	"context"
	"crypto/sha1"
	"encoding/hex"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/booster"
	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
)

// testFeed is an RSS feed on loopback whose items a test publishes over time. It sends an
// ETag and answers a matching If-None-Match with 304.
type testFeed struct {
	*httptest.Server
	mu                    sync.Mutex
	items                 []string
	requests, notModified int
	published             time.Time // when the last item appeared
}

func newTestFeed(t testing.TB) *testFeed {
	f := &testFeed{}
	f.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f.mu.Lock()
		defer f.mu.Unlock()
		f.requests++
		sum := sha1.Sum([]byte(strings.Join(f.items, "\n")))
		etag := `"` + hex.EncodeToString(sum[:8]) + `"`
		if r.Header.Get("If-None-Match") == etag {
			f.notModified++
			w.WriteHeader(http.StatusNotModified)
			return
		}
		w.Header().Set("ETag", etag)
		var b strings.Builder
		b.WriteString(`<?xml version="1.0"?><rss version="2.0"><channel><title>new videos</title>`)
		for i := len(f.items) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "<item><title>video %d</title><description>%s</description></item>", i, f.items[i])
		}
		b.WriteString("</channel></rss>")
		w.Write([]byte(b.String()))
	}))
	t.Cleanup(f.Close)
	return f
}

func (f *testFeed) publish(text string) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.items = append(f.items, text)
	f.published = time.Now()
}

func (f *testFeed) stats() (requests, notModified int) {
	f.mu.Lock()
	defer f.mu.Unlock()
	return f.requests, f.notModified
}

// dhtExtra is the [dht] table of a daemon on loopback that bootstraps from others.
func dhtExtra(port int, others ...int) string {
	var bs []string
	for _, p := range others {
		bs = append(bs, fmt.Sprintf("%q", fmt.Sprintf("127.0.0.1:%d", p)))
	}
	return fmt.Sprintf("[dht]\nenabled = true\nlisten = \"127.0.0.1:%d\"\nbootstrap = [%s]\n", port, strings.Join(bs, ", "))
}

// boosterSetup is a seeding daemon and a boosting daemon, each on the DHT and
// bootstrapping only from the other, the booster following a loopback feed.
type boosterSetup struct {
	root            string
	feed            *testFeed
	seeder, booster *daemon
	seedPort, bPort int
	boosterExtra    string
	boosterStateDir string
}

func startBoosterSetup(t testing.TB) *boosterSetup {
	s := &boosterSetup{root: t.TempDir(), feed: newTestFeed(t), seedPort: freeUDPPort(t), bPort: freeUDPPort(t)}
	s.feed.publish("Welcome! Links to new videos will appear here.")
	s.seeder = startDaemonStats(t, filepath.Join(s.root, "seeder"), dhtExtra(s.seedPort, s.bPort), true)
	s.boosterStateDir = filepath.Join(s.root, "booster")
	s.boosterExtra = dhtExtra(s.bPort, s.seedPort) +
		fmt.Sprintf("[booster]\nenabled = true\nfeeds = [%q]\ninterval = \"1s\"\nmax_swarms = 5\nmax_bytes = \"1GiB\"\n", s.feed.URL)
	s.booster = startDaemonStats(t, s.boosterStateDir, s.boosterExtra, true)
	return s
}

// seed makes the seeder seed data and returns its swarm ID.
func (s *boosterSetup) seed(t testing.TB, name string, data []byte) string {
	t.Helper()
	file := filepath.Join(s.root, "seeder", "content", name)
	if err := os.MkdirAll(filepath.Dir(file), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	r := cmdDo(t, s.seeder.cmdAddr, "SEED "+file)
	info, err := cmdgw.ParseSwarmLine(r[0])
	if err != nil {
		t.Fatalf("SEED: %q: %v", r, err)
	}
	return info.ID
}

// cmdDo runs one of ppsppd's CMD commands and returns its reply lines.
func cmdDo(t testing.TB, addr, line string) []string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	c, err := cmdgw.Dial(ctx, addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	r, err := c.Do(ctx, line)
	if err != nil {
		t.Fatalf("%s: %v", line, err)
	}
	return r
}

// swarmState is a swarm's state on a daemon ("" when it does not hold it).
func swarmState(t testing.TB, addr, id string) string {
	t.Helper()
	for _, l := range cmdDo(t, addr, "LIST") {
		if info, err := cmdgw.ParseSwarmLine(l); err == nil && info.ID == id {
			return info.State
		}
	}
	return ""
}

// waitBoosterSeeding polls until the daemon seeds id; the deadline only bounds a failing test.
func waitBoosterSeeding(t testing.TB, d *daemon, id string, within time.Duration) {
	t.Helper()
	deadline := time.Now().Add(within)
	for swarmState(t, d.cmdAddr, id) != "seeding" {
		if time.Now().After(deadline) {
			t.Fatalf("%s is not seeding %s:\n%q\nlog:\n%s", d.cmdAddr, id, cmdDo(t, d.cmdAddr, "LIST"), d.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// TestBoosterPicksUpFeedLinkFindsSeederOnDHTAndServesIt: the demo's booster. A feed
// publishes items over time; when a link appears (no peer in it), the boosting daemon adds
// the swarm, finds the seeder through the DHT, downloads and seeds it; then, with the
// seeder gone, a third peer (`ppsppd get` pointed only at the booster) downloads it from
// the booster. The booster asked the feed conditionally (304s), counts what it did on
// /metrics and BOOSTER, and still knows the swarm as its own after a restart.
func TestBoosterPicksUpFeedLinkFindsSeederOnDHTAndServesIt(t *testing.T) {
	s := startBoosterSetup(t)
	data := writeContent(t, filepath.Join(t.TempDir(), "x"), 300<<10+5, 77)
	id := s.seed(t, "clip.mp4", data)

	// The booster reads the feed (nothing to add yet) and then only asks whether it changed.
	deadline := time.Now().Add(30 * time.Second)
	for _, nm := s.feed.stats(); nm == 0; _, nm = s.feed.stats() {
		if time.Now().After(deadline) {
			t.Fatalf("the booster never asked the feed conditionally:\n%s", s.booster.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	s.feed.publish(`New: <a href="tswift:/` + id + `">clip</a>`)
	waitBoosterSeeding(t, s.booster, id, 90*time.Second)

	log := s.booster.stderr.String()
	if !strings.Contains(log, "booster: swarm added") || !strings.Contains(log, "DHT found peers") || !strings.Contains(log, s.seeder.udp) {
		t.Fatalf("the booster's log does not show the link added and the seeder found on the DHT:\n%s", log)
	}
	got, err := os.ReadFile(filepath.Join(s.boosterStateDir, "content", id))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the booster's copy differs (%v)", err)
	}
	r := cmdDo(t, s.booster.cmdAddr, "BOOSTER SWARMS")
	if len(r) != 1 || !strings.HasPrefix(r[0], "BSWARM "+id+" seeding ") || !strings.Contains(r[0], "source="+s.feed.URL) {
		t.Fatalf("BOOSTER SWARMS = %q", r)
	}
	if r := cmdDo(t, s.booster.cmdAddr, "BOOSTER FEEDS"); !strings.Contains(r[0], " ok ") || !strings.Contains(r[0], "links=1") {
		t.Fatalf("BOOSTER FEEDS = %q", r)
	}
	m := scrape(t, s.booster.stats)
	if m["ppsppd_booster_swarms_added_total"] != 1 || m["ppsppd_booster_links_total"] != 1 || m["ppsppd_booster_swarms"] != 1 {
		t.Errorf("booster metrics: added %v, links %v, swarms %v", m["ppsppd_booster_swarms_added_total"],
			m["ppsppd_booster_links_total"], m["ppsppd_booster_swarms"])
	}

	// The seeder goes; a third peer gets the content from the booster alone.
	s.seeder.stop(t)
	out := filepath.Join(t.TempDir(), "third.bin")
	cmd := exec.Command(binPath, "get", id, "-o", out, "--peer", s.booster.udp, "--listen", "127.0.0.1:0", "--timeout", "60s")
	if b, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("get from the booster: %v\n%s", err, b)
	}
	if got, err := os.ReadFile(out); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("the third peer's copy differs (%v)", err)
	}

	// After a restart the swarm is still the booster's, and the old link is not re-added.
	s.booster.stop(t)
	b2 := startDaemonStats(t, s.boosterStateDir, s.boosterExtra, true)
	if r := cmdDo(t, b2.cmdAddr, "BOOSTER SWARMS"); len(r) != 1 || !strings.HasPrefix(r[0], "BSWARM "+id+" ") {
		t.Fatalf("after restart BOOSTER SWARMS = %q", r)
	}
	if _, err := os.Stat(filepath.Join(s.boosterStateDir, booster.StateFileName)); err != nil {
		t.Fatal(err)
	}

	// SIGHUP with a second feed: the running booster follows it too.
	feed2 := newTestFeed(t)
	cfgText, err := os.ReadFile(b2.config)
	if err != nil {
		t.Fatal(err)
	}
	newText := strings.Replace(string(cfgText), fmt.Sprintf("feeds = [%q]", s.feed.URL),
		fmt.Sprintf("feeds = [%q, %q]", s.feed.URL, feed2.URL), 1)
	if err := os.WriteFile(b2.config, []byte(newText), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := b2.cmd.Process.Signal(syscall.SIGHUP); err != nil {
		t.Fatal(err)
	}
	deadline = time.Now().Add(30 * time.Second)
	for req, _ := feed2.stats(); req == 0; req, _ = feed2.stats() {
		if time.Now().After(deadline) {
			t.Fatalf("the second feed was never fetched after SIGHUP:\n%s", b2.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	if r := cmdDo(t, b2.cmdAddr, "BOOSTER FEEDS"); len(r) != 2 {
		t.Fatalf("BOOSTER FEEDS after SIGHUP = %q", r)
	}
	b2.stop(t)
}
