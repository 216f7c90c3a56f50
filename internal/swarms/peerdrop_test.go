package swarms

import (
	"context"
	"path/filepath"
	"strings"
	"testing"
)

// TestBadDataIsReported: a download whose chunk size or content length does not match
// the swarm gets no chunk through verification; the engine drops the seeder, and the
// manager says so in the event (BadData) and in the status (LastPeerError), so that a
// client can stop at once with the real cause instead of waiting for data that cannot
// come. Both directions of a wrong chunk size, and a wrong size, are covered.
func TestBadDataIsReported(t *testing.T) {
	for _, c := range []struct {
		name          string
		seedCS, getCS int
		getSize       int64
	}{
		{"chunk size larger", 1024, 2048, 0},
		{"chunk size smaller", 2048, 1024, 0},
		{"wrong size", 1024, 1024, 50_000},
	} {
		t.Run(c.name, func(t *testing.T) {
			dir := t.TempDir()
			src, _ := writeContent(t, dir, "movie.bin", 100_000, 2)
			seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder-state")})
			st, err := seeder.Seed(context.Background(), SeedSpec{Path: src, ChunkSize: c.seedCS})
			if err != nil {
				t.Fatal(err)
			}
			leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher-state"), ContentDir: filepath.Join(dir, "content")})
			events := leecher.Subscribe(context.Background(), 1024)
			spec := AddSpec{ID: st.ID, ChunkSize: c.getCS, Size: c.getSize, Peers: []string{seeder.LocalAddr().String()}}
			if _, err := leecher.Add(context.Background(), spec); err != nil {
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
		})
	}
}
