package node

import (
	"bytes"
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
)

func startTestNode(t *testing.T, ctx context.Context) *Node {
	t.Helper()
	n, err := New(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	t.Cleanup(func() {
		if err := <-done; err != nil {
			t.Errorf("run: %v", err)
		}
	})
	return n
}

// TestTransferOverUDP moves a file between two nodes over real loopback UDP, with real
// storage on both sides.
func TestTransferOverUDP(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	dir := t.TempDir()
	data := make([]byte, 3<<20+123)
	r := rand.New(rand.NewPCG(1, 2))
	for i := range data {
		data[i] = byte(r.Uint32())
	}
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		t.Fatal(err)
	}
	seedStore, err := storage.Seed(ctx, storage.Options{ContentPath: src, Params: hashtree.Params{Hash: hashtree.SHA1}})
	if err != nil {
		t.Fatal(err)
	}
	defer seedStore.Close()
	leechStore, err := storage.Open(ctx, storage.Options{ContentPath: filepath.Join(dir, "dst"), Root: seedStore.Root(),
		Params: hashtree.Params{Hash: hashtree.SHA1, Size: -1}})
	if err != nil {
		t.Fatal(err)
	}
	defer leechStore.Close()

	seeder, leecher := startTestNode(t, ctx), startTestNode(t, ctx)
	if _, err := seeder.AddSwarm(ctx, engine.NewSwarmConfig(seedStore)); err != nil {
		t.Fatal(err)
	}
	events, stop := leecher.Subscribe(1 << 16)
	defer stop()
	id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(leechStore))
	if err != nil {
		t.Fatal(err)
	}
	if err := leecher.Connect(ctx, id, seeder.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	for done := false; !done; {
		select {
		case ev := <-events:
			done = ev.Kind == engine.EventComplete
		case <-ctx.Done():
			have, total, _ := leecher.Progress(context.Background(), id)
			st, _ := leecher.Stats(context.Background())
			sst, _ := seeder.Stats(context.Background())
			t.Fatalf("timed out at %d/%d\nleecher %+v\nseeder %+v", have, total, st, sst)
		}
	}
	// Reading through the node's API gives the verified bytes.
	st, err := leecher.Store(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 5000)
	if n, err := st.ReadAt(buf, 1<<20); err != nil || n != len(buf) || !bytes.Equal(buf, data[1<<20:1<<20+5000]) {
		t.Fatalf("ReadAt: %d %v", n, err)
	}
	got, err := os.ReadFile(filepath.Join(dir, "dst"))
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatal("downloaded file differs")
	}
	t.Logf("seeder offload %+v, leecher offload %+v", seeder.Offload(), leecher.Offload())
	cancel()
}
