package swarms

import (
	"context"
	"errors"
	"path/filepath"
	"testing"
)

// TestSeedIndex: a file seeded again with the same parameters is found (ErrExists, same ID)
// after it was added, and after a restart restored it from the list; with another chunk
// size it is another swarm; once removed, seeding it again makes it anew.
func TestSeedIndex(t *testing.T) {
	dir := t.TempDir()
	src, _ := writeContent(t, dir, "a.bin", 50_000, 7)
	state := filepath.Join(dir, "state")
	ctx := context.Background()

	m := startManager(t, Config{StateDir: state})
	first, err := m.Seed(ctx, SeedSpec{Path: src})
	if err != nil {
		t.Fatal(err)
	}
	if st, err := m.Seed(ctx, SeedSpec{Path: src}); !errors.Is(err, ErrExists) || st.ID != first.ID {
		t.Fatalf("seeding again: %v (id %v), want ErrExists for %v", err, st.ID, first.ID)
	}
	other, err := m.Seed(ctx, SeedSpec{Path: src, ChunkSize: 4096})
	if err != nil || other.ID == first.ID {
		t.Fatalf("seeding with another chunk size: %v (id %v), want a new swarm", err, other.ID)
	}
	m.stop()

	m = startManager(t, Config{StateDir: state})
	if st, err := m.Seed(ctx, SeedSpec{Path: src}); !errors.Is(err, ErrExists) || st.ID != first.ID {
		t.Fatalf("after a restart: %v (id %v), want ErrExists for %v", err, st.ID, first.ID)
	}
	if err := m.Remove(ctx, first.ID, RemoveOptions{}); err != nil {
		t.Fatal(err)
	}
	again, err := m.Seed(ctx, SeedSpec{Path: src})
	if err != nil || again.ID != first.ID {
		t.Fatalf("seeding after removal: %v (id %v), want the swarm %v again", err, again.ID, first.ID)
	}
}
