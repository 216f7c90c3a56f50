package node

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// BenchmarkRateCap measures the caps over real UDP on 127.0.0.1: a seeder of 64 MiB and a
// leecher capped at 1 MiB/s download for 10 s (the achieved rate should be within 10% of the
// cap); an uncapped leecher of the same content from the same seeder (its rate is what the
// cap holds back); then the seeder under a global 1 MiB/s upload cap, to a fresh leecher for
// 10 s. Run it alone:
//
//	go test -run '^$' -bench RateCap -benchtime=1x ./internal/node
func BenchmarkRateCap(b *testing.B) {
	const (
		size     = 64 << 20
		capRate  = 1 << 20 // bytes/s
		capSpell = 10 * time.Second
	)
	for range b.N {
		ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
		dir := b.TempDir()
		seed, _ := seedAndLeechStores(b, ctx, randomContent(64, size))
		cappedStore := emptyStore(b, ctx, seed.Root(), filepath.Join(dir, "capped"))
		freeStore := emptyStore(b, ctx, seed.Root(), filepath.Join(dir, "free"))
		upStore := emptyStore(b, ctx, seed.Root(), filepath.Join(dir, "up"))
		seeder := startNode(b, Config{}, nil)
		capped, free, up := startNode(b, Config{}, nil), startNode(b, Config{}, nil), startNode(b, Config{}, nil)

		id := addPair(b, ctx, seeder, capped, seed, cappedStore)
		if err := capped.SetRateLimit(ctx, id, 0, capRate); err != nil {
			b.Fatal(err)
		}
		cappedRate := downloadFor(b, ctx, capped, id, capSpell)

		events, stop := free.Subscribe(1 << 16)
		start := time.Now()
		freeID := addSwarmAndConnect(b, ctx, free, freeStore, seeder)
		waitComplete(b, ctx, free, freeID, events)
		freeRate := float64(size) / time.Since(start).Seconds()
		stop()
		if err := free.RemoveSwarm(ctx, freeID); err != nil {
			b.Fatal(err)
		}

		if err := seeder.SetRateLimit(ctx, "", capRate, 0); err != nil {
			b.Fatal(err)
		}
		upID := addSwarmAndConnect(b, ctx, up, upStore, seeder)
		upRate := downloadFor(b, ctx, up, upID, capSpell)
		cancel()

		b.ReportMetric(cappedRate, "capped-B/s")
		b.ReportMetric(cappedRate/capRate, "capped/cap")
		b.ReportMetric(freeRate, "uncapped-B/s")
		b.ReportMetric(upRate, "upcapped-B/s")
		b.Logf("download cap %d B/s: %.0f B/s over %v (%.1f%% of the cap); uncapped: %.0f B/s (%.1f MiB/s); "+
			"seeder's upload cap %d B/s: %.0f B/s (%.1f%%)",
			capRate, cappedRate, capSpell, 100*cappedRate/capRate, freeRate, freeRate/(1<<20),
			capRate, upRate, 100*upRate/capRate)
	}
}

// downloadFor lets swarm id of n download for spell, then removes it and returns the
// payload rate it achieved.
func downloadFor(b *testing.B, ctx context.Context, n *Node, id engine.SwarmID, spell time.Duration) float64 {
	b.Helper()
	start := time.Now()
	time.Sleep(spell)
	info, err := n.SwarmInfo(ctx, id)
	if err != nil {
		b.Fatal(err)
	}
	rate := float64(info.BytesDown) / time.Since(start).Seconds()
	if err := n.RemoveSwarm(ctx, id); err != nil {
		b.Fatal(err)
	}
	return rate
}

func addSwarmAndConnect(b *testing.B, ctx context.Context, n *Node, st *storage.Store, seeder *Node) engine.SwarmID {
	b.Helper()
	id, err := n.AddSwarm(ctx, engine.NewSwarmConfig(st))
	if err != nil {
		b.Fatal(err)
	}
	if err := n.Connect(ctx, id, seeder.LocalAddr()); err != nil {
		b.Fatal(err)
	}
	return id
}
