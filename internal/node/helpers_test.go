package node

import (
	"context"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"go.uber.org/goleak"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// Every test of the package ends with no goroutine of ours left: the loop, the reader and
// anything they started are gone once Run returns.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// randomContent is size reproducible pseudo-random bytes.
func randomContent(seed uint64, size int) []byte {
	data := make([]byte, size)
	r := rand.NewChaCha8([32]byte{byte(seed), byte(seed >> 8)})
	_, _ = r.Read(data)
	return data
}

// seedAndLeechStores writes data to a file and returns a seeding store for it and an empty
// store for a leecher that knows only the root; both close with the test.
func seedAndLeechStores(tb testing.TB, ctx context.Context, data []byte) (seed, leech *storage.Store) {
	tb.Helper()
	dir := tb.TempDir()
	src := filepath.Join(dir, "src")
	if err := os.WriteFile(src, data, 0o644); err != nil {
		tb.Fatal(err)
	}
	seed, err := storage.Seed(ctx, storage.Options{ContentPath: src, Params: hashtree.Params{Hash: hashtree.SHA1}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { seed.Close() })
	leech = emptyStore(tb, ctx, seed.Root(), filepath.Join(dir, "dst"))
	return seed, leech
}

// emptyStore opens a store at path for the content with the given root, nothing of it held.
func emptyStore(tb testing.TB, ctx context.Context, root []byte, path string) *storage.Store {
	tb.Helper()
	st, err := storage.Open(ctx, storage.Options{ContentPath: path, Root: root,
		Params: hashtree.Params{Hash: hashtree.SHA1, Size: -1}})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	return st
}

// startNode runs a node on 127.0.0.1 with cfg (Listen filled in) after prepare, which may
// replace its socket calls before the loop starts. The test fails if Run returns an error;
// cleanup stops the node and waits for it.
func startNode(tb testing.TB, cfg Config, prepare func(*Node)) *Node {
	tb.Helper()
	cfg.Listen = "127.0.0.1:0"
	n, err := New(cfg)
	if err != nil {
		tb.Fatal(err)
	}
	if prepare != nil {
		prepare(n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	tb.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			tb.Errorf("run: %v", err)
		}
	})
	return n
}

// addPair adds the seeding store to seeder and the empty one to leecher and connects them.
func addPair(tb testing.TB, ctx context.Context, seeder, leecher *Node, seed, leech *storage.Store) engine.SwarmID {
	tb.Helper()
	if _, err := seeder.AddSwarm(ctx, engine.NewSwarmConfig(seed)); err != nil {
		tb.Fatal(err)
	}
	id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(leech))
	if err != nil {
		tb.Fatal(err)
	}
	if err := leecher.Connect(ctx, id, seeder.LocalAddr()); err != nil {
		tb.Fatal(err)
	}
	return id
}

// waitComplete waits for EventComplete of swarm id on events.
func waitComplete(tb testing.TB, ctx context.Context, n *Node, id engine.SwarmID, events <-chan engine.Event) {
	tb.Helper()
	for {
		select {
		case ev := <-events:
			if ev.Kind == engine.EventComplete && ev.Swarm == id {
				return
			}
		case <-ctx.Done():
			info, _ := n.SwarmInfo(context.Background(), id)
			tb.Fatalf("not complete: %+v", info)
		}
	}
}
