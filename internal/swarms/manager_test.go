package swarms

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/node"
)

// TestSeedThenDownload: one manager seeds a file, another downloads it by swarm ID from the
// first one's address over real UDP, reports it complete, and the bytes are equal.
func TestSeedThenDownload(t *testing.T) {
	dir := t.TempDir()
	src, data := writeContent(t, dir, "movie.bin", 300_000+123, 1)
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder-state")})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	if st.State != StateSeeding || st.Size != int64(len(data)) {
		t.Fatalf("seeder status %+v", st)
	}
	if _, err := seeder.Seed(context.Background(), SeedSpec{Path: src}); !errors.Is(err, ErrExists) {
		t.Fatalf("seeding twice: err %v, want ErrExists", err)
	}

	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher-state"), ContentDir: filepath.Join(dir, "content")})
	events := leecher.Subscribe(context.Background(), 1024)
	ls, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}})
	if err != nil {
		t.Fatal(err)
	}
	if ls.State != StateAllocating {
		t.Errorf("state right after Add = %v, want allocating", ls.State)
	}
	waitEvent(t, events, EventComplete, st.ID)
	got, err := os.ReadFile(filepath.Join(dir, "content", st.ID.String()))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded content differs from the source")
	}
	final, err := leecher.Status(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if final.State != StateSeeding || final.Have != int64(len(data)) || final.Size != int64(len(data)) {
		t.Fatalf("final status %+v", final)
	}
	if _, err := os.Stat(filepath.Join(dir, "leecher-state", "checkpoints", st.ID.String()+".ppsppd")); err != nil {
		t.Fatalf("checkpoint not in the state directory: %v", err)
	}
}

func waitEvent(t *testing.T, events <-chan Event, kind EventKind, id ID) Event {
	t.Helper()
	timeout := time.After(30 * time.Second)
	for {
		select {
		case ev, ok := <-events:
			if !ok {
				t.Fatalf("subscription closed before %v", kind)
			}
			if ev.Kind == kind && ev.ID == id {
				return ev
			}
		case <-timeout:
			t.Fatalf("no %v event for %v", kind, id)
		}
	}
}

// TestRestartRestoresWithoutRehash: after a restart, a downloaded and a seeded swarm come
// back from the persisted list and their checkpoints, never passing through hash-checking.
func TestRestartRestoresWithoutRehash(t *testing.T) {
	dir := t.TempDir()
	src, data := writeContent(t, dir, "a.bin", 200_000, 2)
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "s")})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	state := filepath.Join(dir, "l")
	cfg := Config{StateDir: state, ContentDir: filepath.Join(dir, "content")}
	leecher := startManager(t, cfg)
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}, Limits: Limits{Up: 5000}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, st.ID)
	own, data2 := writeContent(t, dir, "b.bin", 5000, 3)
	ownSt, err := leecher.Seed(context.Background(), SeedSpec{Path: own})
	if err != nil {
		t.Fatal(err)
	}
	if err := leecher.Stop(context.Background(), ownSt.ID); err != nil {
		t.Fatal(err)
	}
	leecher.stop()
	seeder.stop()

	// The daemon comes back: a subscription taken before Run sees every state change.
	m, err := New(Config{StateDir: state, ContentDir: cfg.ContentDir, Node: fastNode(), Tick: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	sub := m.Subscribe(context.Background(), 1024)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- m.Run(ctx) }()
	<-m.Ready()
	waitFor(t, "restored download seeding", func() bool { s, err := m.Status(st.ID); return err == nil && s.State == StateSeeding })
	s, _ := m.Status(st.ID)
	if s.Limits.Up != 5000 || s.Have != int64(len(data)) {
		t.Errorf("restored status %+v: limits or progress lost", s)
	}
	own2, err := m.Status(ownSt.ID)
	if err != nil || own2.State != StateStopped {
		t.Fatalf("stopped seed came back as %+v, %v", own2, err)
	}
	if err := m.Resume(context.Background(), ownSt.ID); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "resumed seed", func() bool { s, _ := m.Status(ownSt.ID); return s.State == StateSeeding })
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	for ev := range sub {
		if ev.Kind == EventStateChanged && ev.Status.State == StateHashChecking {
			t.Errorf("swarm %v was hash-checked again after the restart", ev.ID)
		}
	}
	_ = data2
}

// TestUnansweredPeerIsRetried: a swarm whose only peer is silent keeps trying it with
// backoff long after the engine gave up its handshake, reports that it waits, and
// completes once a seeder appears at that address.
func TestUnansweredPeerIsRetried(t *testing.T) {
	dir := t.TempDir()
	src, data := writeContent(t, dir, "c.bin", 50_000, 4)
	// A silent peer: a socket that only counts what arrives.
	silent, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := silent.LocalAddr().String()
	got := make(chan int, 1)
	go func() {
		buf := make([]byte, 2048)
		n := 0
		for {
			if _, _, err := silent.ReadFrom(buf); err != nil {
				got <- n
				return
			}
			n++
		}
	}()
	// Hash the content to learn the swarm ID without serving it yet.
	probe := startManager(t, Config{})
	st, err := probe.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	probe.stop()

	ncfg := fastNode()
	ncfg.Engine = engine.Config{HandshakeRetry: 30 * time.Millisecond, HandshakeAttempts: 2}
	leecher := startManager(t, Config{Node: ncfg, ContentDir: filepath.Join(dir, "content"), RetryMax: 200 * time.Millisecond})
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{addr}}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "waiting state", func() bool { s, _ := leecher.Status(st.ID); return s.Waiting })
	s, _ := leecher.Status(st.ID)
	if s.State != StateDownloading || !strings.Contains(s.Err, "no peer answered") {
		t.Errorf("waiting status %+v", s)
	}
	time.Sleep(time.Second)
	silent.Close()
	if n := <-got; n <= ncfg.Engine.HandshakeAttempts {
		t.Fatalf("silent peer got %d handshakes; the manager should keep retrying past the engine's %d", n, ncfg.Engine.HandshakeAttempts)
	}
	// Now a seeder appears at that very address.
	seeder := startManager(t, Config{Node: node.Config{Listen: addr}})
	if _, err := seeder.Seed(context.Background(), SeedSpec{Path: src}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "download after the peer came up", func() bool { s, _ := leecher.Status(st.ID); return s.State == StateSeeding })
	out, _ := os.ReadFile(filepath.Join(dir, "content", st.ID.String()))
	if !bytes.Equal(out, data) {
		t.Fatal("content differs")
	}
}

func TestRemoveDeletesWhatItIsAskedTo(t *testing.T) {
	dir := t.TempDir()
	src, _ := writeContent(t, dir, "d.bin", 20_000, 5)
	seeder := startManager(t, Config{})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	state, content := filepath.Join(dir, "state"), filepath.Join(dir, "content")
	m := startManager(t, Config{StateDir: state, ContentDir: content})
	events := m.Subscribe(context.Background(), 256)
	if _, err := m.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, st.ID)
	file := filepath.Join(content, st.ID.String())
	ckpt := filepath.Join(state, "checkpoints", st.ID.String()+".ppsppd")
	if err := m.Remove(context.Background(), st.ID, RemoveOptions{DeleteState: true, DeleteContent: true}); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{file, ckpt} {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s still there after REMOVE with deletion: %v", p, err)
		}
	}
	raw, _ := os.ReadFile(filepath.Join(state, listFile))
	if strings.Contains(string(raw), st.ID.String()) {
		t.Error("removed swarm still in the persisted list")
	}
	if _, err := m.Status(st.ID); !errors.Is(err, ErrUnknown) {
		t.Errorf("status of removed swarm: %v", err)
	}
	// Seeded local files are never deleted, even when asked.
	if err := seeder.Remove(context.Background(), st.ID, RemoveOptions{DeleteContent: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err != nil {
		t.Fatalf("seeded source deleted: %v", err)
	}
}

func TestCorruptSwarmListIsKeptAside(t *testing.T) {
	state := t.TempDir()
	if err := os.WriteFile(filepath.Join(state, listFile), []byte("{not json"), 0o644); err != nil {
		t.Fatal(err)
	}
	m := startManager(t, Config{StateDir: state, ContentDir: t.TempDir()})
	if n := len(m.List()); n != 0 {
		t.Fatalf("%d swarms from a corrupt list", n)
	}
	matches, _ := filepath.Glob(filepath.Join(state, listFile+".corrupt-*"))
	if len(matches) != 1 {
		t.Fatalf("corrupt list not kept aside: %v", matches)
	}
}

func TestDestinationMustStayInsideContentDir(t *testing.T) {
	dir := t.TempDir()
	content := filepath.Join(dir, "content")
	if err := os.MkdirAll(content, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(dir, filepath.Join(content, "escape")); err != nil {
		t.Fatal(err)
	}
	m := startManager(t, Config{ContentDir: content})
	id := ID(bytes.Repeat([]byte{0xab}, 20))
	for _, dest := range []string{"../outside", "/etc/passwd", "escape/x", "a/../../x"} {
		if _, err := m.Add(context.Background(), AddSpec{ID: id, Dest: dest}); err == nil || !strings.Contains(err.Error(), "outside") {
			t.Errorf("dest %q: err %v, want outside the content directory", dest, err)
		}
	}
	st, err := m.Add(context.Background(), AddSpec{ID: id, Dest: "sub/dir/file.mp4"})
	if err != nil {
		t.Fatal(err)
	}
	want, _ := filepath.EvalSymlinks(content)
	if st.Path != filepath.Join(want, "sub/dir/file.mp4") {
		t.Errorf("path %s", st.Path)
	}
}
