package swarms

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadDataIsReported: a download whose chunk size does not match the swarm gets no
// chunk through verification; the engine drops the seeder, and the manager says so in
// the event (BadData) and in the status (LastPeerError), so that a client can stop at
// once with the real cause instead of waiting for data that cannot come.
func TestBadDataIsReported(t *testing.T) {
	dir := t.TempDir()
	src, _ := writeContent(t, dir, "movie.bin", 100_000, 2)
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder-state")})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src, ChunkSize: 1024})
	if err != nil {
		t.Fatal(err)
	}
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher-state"), ContentDir: filepath.Join(dir, "content")})
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, ChunkSize: 2048, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	ev := waitEvent(t, events, EventPeerClosed, st.ID)
	if !ev.BadData || ev.Peer != seeder.LocalAddr() {
		t.Fatalf("peer closed event %+v: want BadData from %v", ev, seeder.LocalAddr())
	}
	ls, err := leecher.Status(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(ls.LastPeerError, seeder.LocalAddr().String()) || !strings.Contains(ls.LastPeerError, engineBadDataReason) {
		t.Fatalf("LastPeerError %q", ls.LastPeerError)
	}
}
