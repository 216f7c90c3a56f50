package node

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// Memory benchmarks: they report the resident set size after loading swarms into a node,
// as custom metrics (MiB). Run them one at a time with -benchtime=1x:
//
//	go test -run '^$' -bench 'RSS' -benchtime=1x ./internal/node

func rssMiB(b *testing.B) float64 {
	b.Helper()
	runtime.GC()
	f, err := os.Open("/proc/self/status")
	if err != nil {
		b.Skip("no /proc/self/status")
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if rest, ok := strings.CutPrefix(sc.Text(), "VmRSS:"); ok {
			kb, _ := strconv.ParseFloat(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 64)
			return kb / 1024
		}
	}
	b.Skip("no VmRSS")
	return 0
}

// BenchmarkIdleSwarmsRSS: one node seeding 1,000 swarms of 1 MiB each, idle.
func BenchmarkIdleSwarmsRSS(b *testing.B) {
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		dir := b.TempDir()
		before := rssMiB(b)
		n, err := New(Config{Listen: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		data := make([]byte, 1<<20)
		var stores []*storage.Store
		for i := range 1000 {
			data[0], data[1] = byte(i), byte(i>>8) // 1,000 distinct swarms
			path := filepath.Join(dir, fmt.Sprintf("f%04d", i))
			if err := os.WriteFile(path, data, 0o644); err != nil {
				b.Fatal(err)
			}
			st, err := storage.Seed(ctx, storage.Options{ContentPath: path, Params: hashtree.Params{Hash: hashtree.SHA1}})
			if err != nil {
				b.Fatal(err)
			}
			stores = append(stores, st)
			if _, err := n.AddSwarm(ctx, engine.NewSwarmConfig(st)); err != nil {
				b.Fatal(err)
			}
		}
		after := rssMiB(b)
		b.ReportMetric(after, "rss-MiB")
		b.ReportMetric(after-before, "rss-delta-MiB")
		b.ReportMetric((after-before)*1024/1000, "KiB/swarm")
		cancel()
		<-done
		for _, st := range stores {
			st.Close()
		}
	}
}

// BenchmarkSeed4GiBRSS: one node seeding a 4 GiB file (sparse, so no disk is used; the
// hashes do not care what the bytes are).
func BenchmarkSeed4GiBRSS(b *testing.B) {
	for range b.N {
		ctx, cancel := context.WithCancel(context.Background())
		path := filepath.Join(b.TempDir(), "big")
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := f.Truncate(4 << 30); err != nil {
			b.Fatal(err)
		}
		f.Close()
		before := rssMiB(b)
		st, err := storage.Seed(ctx, storage.Options{ContentPath: path, Params: hashtree.Params{Hash: hashtree.SHA1}})
		if err != nil {
			b.Fatal(err)
		}
		n, err := New(Config{Listen: "127.0.0.1:0"})
		if err != nil {
			b.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- n.Run(ctx) }()
		if _, err := n.AddSwarm(ctx, engine.NewSwarmConfig(st)); err != nil {
			b.Fatal(err)
		}
		after := rssMiB(b)
		b.ReportMetric(after, "rss-MiB")
		b.ReportMetric(after-before, "rss-delta-MiB")
		cancel()
		<-done
		st.Close()
	}
}
