package swarms

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/multifile"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// storeOf is the open store of swarm id (nil when unloaded), with where it was recovered
// from and whether it reads hashes on demand.
func (m *Manager) storeOf(id ID) (st *storage.Store, from string, onDemand bool) {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.swarms[id]; e != nil && e.store != nil {
		return e.store, e.store.Recovery().From, e.store.OnDemand()
	}
	return nil, "", false
}

// recordOf is the persisted record of swarm id.
func (m *Manager) recordOf(id ID) record {
	m.mu.Lock()
	defer m.mu.Unlock()
	if e := m.swarms[id]; e != nil {
		return e.rec
	}
	return record{}
}

// wantReadFails checks that reading swarm id fails, reads nothing and leaves it in the
// error state saying its content changed.
func wantReadFails(t *testing.T, m *Manager, id ID) {
	t.Helper()
	got, err := readAllFrom(t, m, id)
	if err == nil || len(got) > 0 {
		t.Fatalf("changed content read: %d bytes, err %v", len(got), err)
	}
	st, _ := m.Status(id)
	if st.State != StateError || !strings.Contains(st.Err, "changed") {
		t.Fatalf("changed content status %+v", st)
	}
}

// TestCompletedDownloadIsZeroState: a download that completed writes its layer file from
// its tree and says so in its record; it is unloaded once quiet and a reader loads it from
// that layer file; after a restart it is a record only, a leecher's
// HANDSHAKE loads it (hashes on demand, nothing rehashed) and gets the content, a reader
// reads it, and content changed while it was unloaded is refused.
func TestCompletedDownloadIsZeroState(t *testing.T) {
	dir := t.TempDir()
	seeder, seeded, _, data := seedAndRestart(t, dir, 250_003)
	cfg := Config{StateDir: filepath.Join(dir, "leecher"), ContentDir: filepath.Join(dir, "content"), IdleUnload: time.Hour}
	leecher := startManager(t, cfg)
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: seeded.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, seeded.ID)
	waitFor(t, "the completed download's layer file", func() bool { return leecher.recordOf(seeded.ID).Layers })
	if rec := leecher.recordOf(seeded.ID); rec.Size != int64(len(data)) || rec.Kind != kindDownload {
		t.Fatalf("record %+v", rec)
	}
	seeder.stop() // from here on the content comes from the finished download only
	waitFor(t, "the channel to the seeder to close", func() bool {
		st, _ := leecher.Status(seeded.ID)
		return st.Peers == 0
	})
	now := time.Now()
	leecher.unloadIdle(now)
	leecher.unloadIdle(now.Add(2 * time.Hour))
	if leecher.loaded(seeded.ID) {
		t.Fatal("completed download still loaded after the quiet period")
	}
	if got, err := readAllFrom(t, leecher.Manager, seeded.ID); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after unload: %v", err)
	}
	if _, from, onDemand := leecher.storeOf(seeded.ID); from != "layers" || !onDemand {
		t.Fatalf("reloaded from %q, on demand %v", from, onDemand)
	}
	leecher.stop()

	restarted := startManager(t, cfg)
	if restarted.loaded(seeded.ID) {
		t.Fatal("completed download loaded at restart")
	}
	st, _ := restarted.Status(seeded.ID)
	if st.State != StateSeeding || st.Size != int64(len(data)) || st.HaveChunks != seeded.TotalChunks {
		t.Fatalf("record status %+v", st)
	}
	third := startManager(t, Config{StateDir: filepath.Join(dir, "third"), ContentDir: filepath.Join(dir, "third-content")})
	events = third.Subscribe(context.Background(), 1024)
	if _, err := third.Add(context.Background(), AddSpec{ID: seeded.ID, Peers: []string{restarted.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, seeded.ID)
	got, err := os.ReadFile(filepath.Join(dir, "third-content", seeded.ID.String()))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("content downloaded from the restarted download differs (%v)", err)
	}
	if _, from, onDemand := restarted.storeOf(seeded.ID); from != "layers" || !onDemand {
		t.Fatalf("loaded from %q, on demand %v", from, onDemand)
	}
	if got, err := readAllFrom(t, restarted.Manager, seeded.ID); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("reader: %v", err)
	}
	third.stop()
	restarted.stop()

	content := filepath.Join(dir, "content", seeded.ID.String())
	changed := bytes.Clone(data)
	changed[123_456] ^= 1
	if err := os.WriteFile(content, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	again := startManager(t, cfg)
	if again.loaded(seeded.ID) {
		t.Fatal("loaded at restart")
	}
	wantReadFails(t, again.Manager, seeded.ID)
}

// TestMhashSeedIsZeroState: a file seeded from libswift's .mhash keeps its hashes on disk
// from the first load (the .mhash adopted as its layer file, the content not hashed), is
// unloaded when idle and is a record after a restart; reads give the content; content
// changed while unloaded is refused.
func TestMhashSeedIsZeroState(t *testing.T) {
	dir := t.TempDir()
	src, data := writeContent(t, dir, "lib.bin", 180_001, 9)
	tree, err := hashtree.Build(data, hashtree.DefaultChunkSize, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(src+".mhash", tree.AppendMhash(nil), 0o644); err != nil {
		t.Fatal(err)
	}
	older := time.Now().Add(-time.Hour)
	if err := os.Chtimes(src, older, older); err != nil {
		t.Fatal(err)
	}
	cfg := Config{StateDir: filepath.Join(dir, "state"), IdleUnload: time.Hour}
	m := startManager(t, cfg)
	seeded, err := m.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal([]byte(seeded.ID), tree.Root()) {
		t.Fatalf("swarm ID %v, .mhash root %x", seeded.ID, tree.Root())
	}
	if _, from, onDemand := m.storeOf(seeded.ID); from != "mhash" || !onDemand {
		t.Fatalf("seeded from %q, on demand %v", from, onDemand)
	}
	now := time.Now()
	m.unloadIdle(now)
	m.unloadIdle(now.Add(2 * time.Hour))
	if m.loaded(seeded.ID) {
		t.Fatal(".mhash seed still loaded after the quiet period")
	}
	if got, err := readAllFrom(t, m.Manager, seeded.ID); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after unload: %v", err)
	}
	if _, from, _ := m.storeOf(seeded.ID); from != "layers" {
		t.Fatalf("reloaded from %q, want its layer file", from)
	}
	m.stop()

	m = startManager(t, cfg)
	if m.loaded(seeded.ID) {
		t.Fatal(".mhash seed loaded at restart")
	}
	if got, err := readAllFrom(t, m.Manager, seeded.ID); err != nil || !bytes.Equal(got, data) {
		t.Fatalf("read after restart: %v", err)
	}
	m.stop()

	changed := bytes.Clone(data)
	changed[1000] ^= 1
	if err := os.WriteFile(src, changed, 0o644); err != nil {
		t.Fatal(err)
	}
	m = startManager(t, cfg)
	wantReadFails(t, m.Manager, seeded.ID)
}

// TestMultifileSeedIsZeroState: a directory seeded as one multi-file swarm keeps its hashes
// in a layer file whose identity covers every file: after a restart it is a record only,
// a reader loads it without rehashing and reads the swarm's bytes; a file touched while
// unloaded makes the load hash again (same bytes: served); a file changed is refused.
func TestMultifileSeedIsZeroState(t *testing.T) {
	dir := t.TempDir()
	media := filepath.Join(dir, "src", "media")
	writeTree(t, media, map[string]int{"a.ts": 70_001, "b/clip.mp4": 130_007, "c.txt": 4321})
	want := swarmBytes(t, media)
	cfg := Config{StateDir: filepath.Join(dir, "state"), IdleUnload: time.Hour}
	m := startManager(t, cfg)
	seeded, err := m.Seed(context.Background(), SeedSpec{Path: media})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, onDemand := m.storeOf(seeded.ID); !onDemand {
		t.Fatal("multi-file seed keeps its tree in memory")
	}
	m.stop()

	restart := func() *running {
		r := startManager(t, cfg)
		if r.loaded(seeded.ID) {
			t.Fatal("multi-file seed loaded at restart")
		}
		return r
	}
	m = restart()
	if st, _ := m.Status(seeded.ID); st.State != StateSeeding || st.Size != int64(len(want)) {
		t.Fatalf("record status %+v", st)
	}
	if got, err := readAllFrom(t, m.Manager, seeded.ID); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read after restart: %v", err)
	}
	if _, from, _ := m.storeOf(seeded.ID); from != "layers" {
		t.Fatalf("loaded from %q, want its layer file", from)
	}
	m.stop()

	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(filepath.Join(media, "b", "clip.mp4"), later, later); err != nil {
		t.Fatal(err)
	}
	m = restart()
	if got, err := readAllFrom(t, m.Manager, seeded.ID); err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read after a touch: %v", err)
	}
	if _, from, _ := m.storeOf(seeded.ID); from != "rehash" {
		t.Fatalf("touched file: loaded from %q, want a rehash", from)
	}
	m.stop()

	c := filepath.Join(media, "c.txt")
	raw, err := os.ReadFile(c)
	if err != nil {
		t.Fatal(err)
	}
	raw[10] ^= 1
	if err := os.WriteFile(c, raw, 0o644); err != nil {
		t.Fatal(err)
	}
	m = restart()
	wantReadFails(t, m.Manager, seeded.ID)
}

// swarmBytes is a multi-file swarm's content for directory dir: spec, then files.
func swarmBytes(t *testing.T, dir string) []byte {
	t.Helper()
	r, err := multifile.OpenDir(dir, dirScan)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}
