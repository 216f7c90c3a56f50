package swarms

import (
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// TestMetricsCountATransfer: after one manager downloads a file from another, the
// seeder's Metrics show the chunks served and datagrams sent, the leecher's the chunks
// verified and datagrams received, and both name every drop reason and close cause.
func TestMetricsCountATransfer(t *testing.T) {
	dir := t.TempDir()
	src, data := writeContent(t, dir, "clip.bin", 200_000+7, 3)
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder")})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	before, err := seeder.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if before.ChunksServed != 0 || before.DatagramsOut != 0 {
		t.Fatalf("seeder counted traffic before any peer: %+v", before)
	}

	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher"), ContentDir: filepath.Join(dir, "content")})
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, st.ID)

	chunks := uint64((len(data) + 1023) / 1024)
	sm, err := seeder.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	lm, err := leecher.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if sm.ChunksServed < chunks || sm.DatagramsOut < chunks || sm.BytesOut < uint64(len(data)) || sm.DatagramsIn == 0 {
		t.Errorf("seeder metrics after serving %d chunks: %+v", chunks, sm)
	}
	if lm.ChunksVerified != chunks || lm.DatagramsIn < chunks || lm.BytesIn < uint64(len(data)) || lm.DatagramsOut == 0 {
		t.Errorf("leecher metrics after verifying %d chunks: %+v", chunks, lm)
	}
	if lm.BadChunks != 0 {
		t.Errorf("leecher counted %d bad chunks from an honest seeder", lm.BadChunks)
	}
	for _, m := range []NodeMetrics{sm, lm} {
		if len(m.Drops) != len(engine.Stats{}.Drops)+1 || len(m.Closed) == 0 || len(m.PeerFaults) == 0 {
			t.Errorf("label lists: %d drops, %d causes, %d fault kinds", len(m.Drops), len(m.Closed), len(m.PeerFaults))
		}
	}
}

// TestMetricsNameEveryDropReason: the drop reasons come out named, each once, and never as
// "unknown" (which would mean the engine grew a reason without a name): the STATS gateway
// exports one series per name.
func TestMetricsNameEveryDropReason(t *testing.T) {
	m := startManager(t, Config{})
	nm, err := m.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, list := range [][]Count{nm.Drops, nm.Closed, nm.PeerFaults} {
		seen := map[string]bool{}
		for _, c := range list {
			if c.Name == "" || c.Name == "unknown" || seen[c.Name] {
				t.Errorf("label %q in %v: empty, unknown or repeated", c.Name, list)
			}
			seen[c.Name] = true
		}
	}
	// The engine's reasons, and the node's own (datagrams it never hands to the engine).
	if want := len(engine.Stats{}.Drops) + 1; len(nm.Drops) != want {
		t.Fatalf("%d drop reasons, want the engine's %d and foreign_source", len(nm.Drops), want-1)
	}
}

// TestMetricsCountMissedSwarmEvents: a subscriber that never reads misses events, and
// Metrics says how many.
func TestMetricsCountMissedSwarmEvents(t *testing.T) {
	dir := t.TempDir()
	m := startManager(t, Config{StateDir: filepath.Join(dir, "state")})
	_ = m.Subscribe(context.Background(), 1) // never read
	for i := range 3 {
		src, _ := writeContent(t, dir, "f"+string(rune('a'+i)), 5000, uint64(10+i))
		if _, err := m.Seed(context.Background(), SeedSpec{Path: src}); err != nil {
			t.Fatal(err)
		}
	}
	nm, err := m.Metrics(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	// Three seeds emit at least three events (added, then state changes); the buffer holds one.
	if nm.SwarmEventsDropped < 2 {
		t.Fatalf("SwarmEventsDropped = %d, want at least 2", nm.SwarmEventsDropped)
	}
}

// TestMetricsAfterStop: once the manager has stopped, Metrics fails instead of hanging.
func TestMetricsAfterStop(t *testing.T) {
	m := startManager(t, Config{})
	m.stop()
	if _, err := m.Metrics(context.Background()); err == nil || errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Metrics after stop: %v, want the node's stopped error", err)
	}
}
