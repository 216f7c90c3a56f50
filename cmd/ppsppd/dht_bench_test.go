package main

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/discovery/dht"
	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// idleManager is a DHT node's manager that holds no swarm.
type idleManager struct{}

func (idleManager) List() []swarmapi.Status                               { return nil }
func (idleManager) AddPeers(context.Context, swarmapi.ID, []string) error { return nil }

// BenchmarkDHTDaemonRSS: what running the DHT adds to a daemon. Nineteen in-process DHT
// nodes on loopback form a DHT (each bootstrapping from nodes started before it); two
// daemons seed the same file, one with the DHT off and one with it on, bootstrapping from
// those nodes. Once the second's routing table holds 8 nodes and it has announced the
// swarm, and both have run 5 s more, the RSS (/proc VmRSS) and Go heap in use
// (go_memstats_heap_inuse_bytes) of each are sampled once a second for 5 s; the medians
// and their differences are reported. Run with make bench-dht.
func BenchmarkDHTDaemonRSS(b *testing.B) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	var nodes []string
	for i := range 19 {
		boot := []string{}
		for _, j := range []int{0, i - 1, i / 2} {
			if j >= 0 && j < i && !slices.Contains(boot, nodes[j]) {
				boot = append(boot, nodes[j])
			}
		}
		d, err := dht.New(dht.Config{Listen: "127.0.0.1:0", Bootstrap: boot}, idleManager{})
		if err != nil {
			b.Fatal(err)
		}
		nodes = append(nodes, d.Addr().String())
		wg.Go(func() { _ = d.Run(ctx) })
	}

	root := b.TempDir()
	quoted := make([]string, len(nodes))
	for i, n := range nodes {
		quoted[i] = fmt.Sprintf("%q", n)
	}
	daemons := map[string]*daemon{}
	for _, mode := range []string{"off", "on"} {
		extra := ""
		if mode == "on" {
			extra = fmt.Sprintf("[dht]\nenabled = true\nlisten = \"127.0.0.1:%d\"\nbootstrap = [%s]\n", freeUDPPort(b), strings.Join(quoted, ", "))
		}
		state := filepath.Join(root, mode)
		d := startDaemonStats(b, state, extra, true)
		file := filepath.Join(state, "content", "clip.bin")
		if err := os.WriteFile(file, make([]byte, 1<<20), 0o644); err != nil {
			b.Fatal(err)
		}
		d.ctlB(b, "add", file)
		daemons[mode] = d
	}
	deadline := time.Now().Add(90 * time.Second)
	for {
		m := scrape(b, daemons["on"].stats)
		if m["ppsppd_dht_nodes"] >= 8 && m["ppsppd_dht_announces_total"] >= 1 {
			break
		}
		if time.Now().After(deadline) {
			b.Fatalf("the daemon's DHT did not fill its table and announce: %v nodes, %v announces",
				m["ppsppd_dht_nodes"], m["ppsppd_dht_announces_total"])
		}
		time.Sleep(200 * time.Millisecond)
	}
	time.Sleep(5 * time.Second)

	b.ResetTimer()
	for range b.N {
		rss := map[string][]int{}
		heap := map[string][]float64{}
		for range 5 {
			for mode, d := range daemons {
				rss[mode] = append(rss[mode], rssKiB(b, d.cmd.Process.Pid))
				heap[mode] = append(heap[mode], scrape(b, d.stats)["go_memstats_heap_inuse_bytes"])
			}
			time.Sleep(time.Second)
		}
		med := func(v []int) float64 { slices.Sort(v); return float64(v[len(v)/2]) / 1024 }
		medF := func(v []float64) float64 { slices.Sort(v); return v[len(v)/2] / (1 << 20) }
		off, on := med(rss["off"]), med(rss["on"])
		hoff, hon := medF(heap["off"]), medF(heap["on"])
		b.ReportMetric(off, "rss-dht-off-MiB")
		b.ReportMetric(on, "rss-dht-on-MiB")
		b.ReportMetric(on-off, "rss-added-MiB")
		b.ReportMetric(hon-hoff, "heap-added-MiB")
		b.Logf("RSS %.1f MiB with the DHT off, %.1f MiB on (+%.1f); Go heap in use %.2f MiB off, %.2f MiB on (+%.2f); table %v nodes",
			off, on, on-off, hoff, hon, hon-hoff, scrape(b, daemons["on"].stats)["ppsppd_dht_nodes"])
	}
}
