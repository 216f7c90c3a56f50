package dht

import (
	"context"
	"net/netip"
	"runtime"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// Numbers for issue 14, run with `make bench-dht`. They are printed and reported with
// b.ReportMetric; nothing here asserts how fast anything is.

// benchNodes is the size of the loopback DHT the lookup benchmark builds.
const benchNodes = 20

// firstPeerManager records when a lookup first handed it a peer.
type firstPeerManager struct {
	mu    sync.Mutex
	first time.Time
}

func (m *firstPeerManager) List() []swarmapi.Status { return nil }

func (m *firstPeerManager) AddPeers(context.Context, swarmapi.ID, []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.first.IsZero() {
		m.first = time.Now()
	}
	return nil
}

func (m *firstPeerManager) take() time.Time {
	m.mu.Lock()
	defer m.mu.Unlock()
	t := m.first
	m.first = time.Time{}
	return t
}

// benchNet is a DHT of in-process nodes on loopback, each bootstrapping only from nodes
// started before it.
type benchNet struct {
	nodes    []*DHT
	managers []*firstPeerManager
	seeder   *fakeManager
	cancel   context.CancelFunc
	wg       sync.WaitGroup
}

func startBenchNet(b *testing.B, n int) *benchNet {
	b.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	bn := &benchNet{cancel: cancel, seeder: &fakeManager{}}
	for i := range n {
		var boot []string
		for _, j := range []int{0, i - 1, i - 2, i / 2} {
			if j >= 0 && j < i && !slices.Contains(boot, bn.nodes[j].Addr().String()) {
				boot = append(boot, bn.nodes[j].Addr().String())
			}
		}
		var m Manager
		fm := &firstPeerManager{}
		if i == 0 {
			m = bn.seeder // node 0 seeds the swarm and announces it
		} else {
			m = fm
		}
		d, err := New(Config{Listen: "127.0.0.1:0", Bootstrap: boot, AnnouncePort: uint16(41000 + i),
			ScanEvery: 50 * time.Millisecond, Logger: zap.NewNop()}, m)
		if err != nil {
			b.Fatal(err)
		}
		bn.nodes = append(bn.nodes, d)
		bn.managers = append(bn.managers, fm)
		bn.wg.Go(func() {
			if err := d.Run(ctx); err != nil {
				b.Error(err)
			}
		})
	}
	return bn
}

func (bn *benchNet) stop() {
	bn.cancel()
	bn.wg.Wait()
}

// BenchmarkDHTLookup20Nodes: twenty DHT nodes on loopback, each bootstrapping only from
// nodes started before it; once every routing table holds at least 8 nodes (or 60 s have
// passed), node 0 announces a swarm. Then each of the other 19, in turn, looks it up as a
// download short of peers does (the same traversal the schedule starts): the time until the
// seeder's address is handed to the manager (first peer) and until the traversal ends are
// reported as median and p90 over every lookup. Also reported: the Go heap the running
// nodes hold, per node (after a GC, over the heap before they started).
func BenchmarkDHTLookup20Nodes(b *testing.B) {
	id := swarmapi.ID("\x5a\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	heapBefore := heapInUse()
	bn := startBenchNet(b, benchNodes)
	defer bn.stop()

	formed := time.Now()
	deadline := formed.Add(60 * time.Second)
	for time.Now().Before(deadline) && slices.ContainsFunc(bn.nodes, func(d *DHT) bool { return d.Metrics().Nodes < 8 }) {
		time.Sleep(50 * time.Millisecond)
	}
	formTime := time.Since(formed)
	var tables []int
	for _, d := range bn.nodes {
		tables = append(tables, d.Metrics().Nodes)
	}
	heapNodes := heapInUse() - heapBefore

	bn.seeder.mu.Lock()
	bn.seeder.list = []swarmapi.Status{{ID: id, State: swarmapi.StateSeeding}}
	bn.seeder.mu.Unlock()
	for bn.nodes[0].Metrics().Announces == 0 {
		if time.Now().After(deadline.Add(60 * time.Second)) {
			b.Fatalf("the swarm was never announced: %+v", bn.nodes[0].Metrics())
		}
		time.Sleep(20 * time.Millisecond)
	}
	seederAddr := netip.MustParseAddrPort("127.0.0.1:41000")
	var firsts, totals []time.Duration
	local, missed, resent := 0, 0, 0
	b.ResetTimer()
	for range b.N {
		for i := 1; i < benchNodes; i++ {
			d := bn.nodes[i]
			srv := d.srv.Load()
			if len(d.store.GetPeers([KeySize]byte([]byte(id)))) > 0 {
				local++ // this node was among those the seeder announced to
			}
			start := time.Now()
			found, _ := d.traverse(context.Background(), srv, job{id: id, lookup: true})
			total := time.Since(start)
			if total > time.Second {
				resent++ // an unanswered query waited for the library's 2 s resend
			}
			first := bn.managers[i].take()
			if !slices.Contains(found, seederAddr) || first.IsZero() {
				missed++
				continue
			}
			firsts = append(firsts, first.Sub(start))
			totals = append(totals, total)
		}
	}
	b.StopTimer()
	if len(firsts) == 0 {
		b.Fatalf("no lookup found the seeder (tables %v)", tables)
	}
	slices.Sort(firsts)
	slices.Sort(totals)
	b.ReportMetric(msOf(firsts[len(firsts)/2]), "first-peer-median-ms")
	b.ReportMetric(msOf(nearestRank(firsts, 90)), "first-peer-p90-ms")
	b.ReportMetric(msOf(totals[len(totals)/2]), "traversal-median-ms")
	b.ReportMetric(msOf(nearestRank(totals, 90)), "traversal-p90-ms")
	b.ReportMetric(float64(heapNodes)/benchNodes/1024, "heap-KiB/node")
	b.ReportMetric(float64(missed), "lookups-missed")
	b.ReportMetric(float64(resent), "traversals-over-1s")
	b.Logf("%d nodes, table sizes %v after %v; %d lookups (%d held the announce themselves, %d missed, %d traversals over 1 s): "+
		"first peer median %v p90 %v, traversal median %v p90 %v; Go heap of the running nodes %.0f KiB per node",
		benchNodes, tables, formTime.Round(time.Millisecond), len(firsts)+missed, local, missed, resent,
		firsts[len(firsts)/2], nearestRank(firsts, 90), totals[len(totals)/2], nearestRank(totals, 90),
		float64(heapNodes)/benchNodes/1024)
}

func heapInUse() int64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return int64(ms.HeapInuse)
}

// nearestRank is the p-th percentile of sorted ds.
func nearestRank(ds []time.Duration, p int) time.Duration {
	return ds[max((len(ds)*p+99)/100-1, 0)]
}

func msOf(d time.Duration) float64 { return float64(d.Microseconds()) / 1000 }
