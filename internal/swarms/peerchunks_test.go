package swarms

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestChunksFromCountsBySender: after a download from one seeder, ChunksFrom credits that
// seeder's address with the chunks the leecher verified (a lower bound: events can be
// missed), names no other peer, and an unknown swarm is an error.
func TestChunksFromCountsBySender(t *testing.T) {
	dir := t.TempDir()
	src, data := writeContent(t, dir, "clip.bin", 64*1024+7, 3)
	seeder := startManager(t, Config{StateDir: filepath.Join(dir, "seeder-state")})
	st, err := seeder.Seed(context.Background(), SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	leecher := startManager(t, Config{StateDir: filepath.Join(dir, "leecher-state"), ContentDir: filepath.Join(dir, "content")})
	events := leecher.Subscribe(context.Background(), 1024)
	if _, err := leecher.Add(context.Background(), AddSpec{ID: st.ID, Peers: []string{seeder.LocalAddr().String()}}); err != nil {
		t.Fatal(err)
	}
	waitEvent(t, events, EventComplete, st.ID)
	from, err := leecher.ChunksFrom(st.ID)
	if err != nil {
		t.Fatal(err)
	}
	chunks := uint64((len(data) + 1023) / 1024)
	n, ok := from[seeder.LocalAddr()]
	if len(from) != 1 || !ok || n == 0 || n > chunks {
		t.Fatalf("ChunksFrom = %v, want only %v with 1..%d chunks", from, seeder.LocalAddr(), chunks)
	}
	if _, err := leecher.ChunksFrom(ID("\x01\x02")); !errors.Is(err, ErrUnknown) {
		t.Fatalf("unknown swarm: err %v, want ErrUnknown", err)
	}
}
