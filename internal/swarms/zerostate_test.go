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
)

// loaded reports whether the manager holds swarm id loaded (store open, in the node).
func (m *Manager) loaded(id ID) bool {
	m.mu.Lock()
	defer m.mu.Unlock()
	e := m.swarms[id]
	return e != nil && e.inNode && e.store != nil && !e.idle
}

// seedAndRestart seeds a file in a manager with a state directory, stops it and starts a
// new one on the same state: the seed comes back as a record only.
func seedAndRestart(t *testing.T, dir string, size int) (*running, Status, string, []byte) {
	t.Helper()
	src, data := writeContent(t, dir, "library.bin", size, 7)
	cfg := Config{StateDir: filepath.Join(dir, "state"), IdleUnload: time.Hour}
	first := startManager(t, cfg)
	st, err := first.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	first.stop()
	m := startManager(t, cfg)
	return m, st, src, data
}

// TestRestartHoldsSeedsAsRecords: after a restart a seed is a record only, listed with its
// state, size and chunk counts as when it was loaded; no store is open.
func TestRestartHoldsSeedsAsRecords(t *testing.T) {
	m, seeded, _, data := seedAndRestart(t, t.TempDir(), 200_000+7)
	if m.loaded(seeded.ID) {
		t.Fatal("seed loaded at restart")
	}
	got, err := m.Status(seeded.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.State != StateSeeding || got.Size != int64(len(data)) || got.Have != int64(len(data)) ||
		got.TotalChunks != seeded.TotalChunks || got.HaveChunks != seeded.TotalChunks {
		t.Fatalf("record status %+v, seeded as %+v", got, seeded)
	}
	if list := m.List(); len(list) != 1 || list[0].ID != seeded.ID {
		t.Fatalf("list %+v", list)
	}
}

// TestColdSeedLoadsOnHandshakeAndUnloadsWhenQuiet: a leecher's HANDSHAKE loads the seed
// held as a record, the download completes, and once the leecher is gone and the quiet
// period has passed (time given to unloadIdle) the seed is a record again with its upload
// count kept.
func TestColdSeedLoadsOnHandshakeAndUnloadsWhenQuiet(t *testing.T) {
	dir := t.TempDir()
	seeder, seeded, _, data := seedAndRestart(t, dir, 300_000)
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher"), ContentDir: filepath.Join(dir, "content")})
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: seeded.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, seeded.ID)
	got, err := os.ReadFile(filepath.Join(dir, "content", seeded.ID.String()))
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("downloaded content differs (%v)", err)
	}
	if !seeder.loaded(seeded.ID) {
		t.Fatal("seed not loaded after serving a download")
	}
	if err := leecher.Remove(context.Background(), seeded.ID, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	waitFor(t, "the seeder's channel to close", func() bool {
		st, _ := seeder.Status(seeded.ID)
		return st.Peers == 0
	})
	// Uploaded is sampled from the node at each tick, so it may lag the channel's close.
	up := func() uint64 { st, _ := seeder.Status(seeded.ID); return st.Uploaded }
	waitFor(t, "the upload to be counted", func() bool { return up() >= uint64(len(data)) })
	uploaded := up()
	now := time.Now()
	seeder.unloadIdle(now) // starts the quiet period (if a tick did not)
	if !seeder.loaded(seeded.ID) {
		t.Fatal("unloaded before the quiet period passed")
	}
	seeder.unloadIdle(now.Add(2 * time.Hour))
	if seeder.loaded(seeded.ID) {
		t.Fatal("still loaded after the quiet period")
	}
	st, _ := seeder.Status(seeded.ID)
	if st.State != StateSeeding || st.Size != int64(len(data)) || st.Uploaded != uploaded {
		t.Fatalf("unloaded status %+v, uploaded before %d", st, uploaded)
	}
}

// readAllFrom reads swarm id through a Reader, which loads a swarm held as a record.
func readAllFrom(t *testing.T, m *Manager, id ID) ([]byte, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	r, err := m.OpenReader(ctx, id)
	if err != nil {
		return nil, err
	}
	defer r.Close()
	return io.ReadAll(r)
}

// TestColdSeedChangedContentIsReverified: a file changed while its seed was a record is
// hashed again when the seed loads: unchanged bytes with a new modification time are
// served (and the layer file renewed); changed or cut bytes put the swarm in the error
// state and nothing is read.
func TestColdSeedChangedContentIsReverified(t *testing.T) {
	t.Run("touch", func(t *testing.T) {
		m, seeded, src, data := seedAndRestart(t, t.TempDir(), 100_000)
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(src, later, later); err != nil {
			t.Fatal(err)
		}
		got, err := readAllFrom(t, m.Manager, seeded.ID)
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("touched seed read: %v", err)
		}
		m.mu.Lock()
		from := m.swarms[seeded.ID].store.Recovery().From
		m.mu.Unlock()
		if from != "rehash" {
			t.Fatalf("touched seed loaded from %q, want a rehash", from)
		}
	})
	for _, change := range []string{"modify", "truncate"} {
		t.Run(change, func(t *testing.T) {
			m, seeded, src, data := seedAndRestart(t, t.TempDir(), 100_000)
			if change == "modify" {
				data[50_000] ^= 1
				if err := os.WriteFile(src, data, 0o644); err != nil {
					t.Fatal(err)
				}
			} else if err := os.Truncate(src, 60_000); err != nil {
				t.Fatal(err)
			}
			got, err := readAllFrom(t, m.Manager, seeded.ID)
			if err == nil || len(got) > 0 {
				t.Fatalf("changed seed read %d bytes, err %v", len(got), err)
			}
			st, _ := m.Status(seeded.ID)
			if st.State != StateError || !strings.Contains(st.Err, "changed") {
				t.Fatalf("changed seed status %+v", st)
			}
		})
	}
}
