package main

import (
	"context"
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
	"github.com/ppsppd/ppsppd/internal/testcontent"
)

// dht20Daemons is how many real daemons form the DHT in BenchmarkDHTLookup20Daemons.
const dht20Daemons = 20

// addedScanDelay is the DHT's wait between a swarm being added and the scan that looks it
// up (internal/discovery/dht, unexported there), part of every first lookup measured here.
const addedScanDelay = 50 * time.Millisecond

// dht20ContentBytes is the size of the file seeded in each iteration.
const dht20ContentBytes = 1 << 20

// BenchmarkDHTLookup20Daemons: the DHT lookup time among 20 real daemons (ppsppd serve
// processes) on 127.0.0.1, the number issue 14 asks for. Daemon 0 is only a DHT node every
// other one bootstraps from; daemon i > 0 bootstraps from daemon 0 and one random earlier
// daemon, never from anything off the machine. Once every routing table holds 8 nodes,
// the last daemon seeds a file (1 MiB from the seeded generator, a new one per iteration)
// and announces it; then each of the 18 others in turn is given only the bare swarm ID
// (ADD with no peer, over its CMD port) and timed from the ADD to: the DHT handing it peers
// (its "DHT found peers" log line, written once the hand-over to the swarm has returned, so
// it can trail the first connection by a few ms), its first connected peer (LIST's peer
// count), and the download complete (LIST says seeding); it then stays as a seed. Medians and p90s are reported, with the lookups each leecher made and the
// routing table sizes at the end. Run with make bench-dht.
//
// The DHT's schedule is part of what is measured and is left at its defaults: a swarm
// added is scanned for 50 ms later (addedScanDelay), and a lookup that finds nothing new
// is retried only after LookupMin (5 s), doubling. A leecher with more than one lookup
// waited for that schedule; the log says which.
func BenchmarkDHTLookup20Daemons(b *testing.B) {
	root := b.TempDir()
	dhtPorts := make([]int, dht20Daemons)
	for i := range dhtPorts {
		dhtPorts[i] = freeUDPPort(b)
	}
	rng := rand.New(rand.NewPCG(14, 20)) // the same topology on every run
	daemons := make([]*daemon, dht20Daemons)
	for i := range daemons {
		var boot []string
		if i > 0 {
			boot = append(boot, fmt.Sprintf("%q", fmt.Sprintf("127.0.0.1:%d", dhtPorts[0])))
			if i > 1 {
				j := 1 + rng.IntN(i-1)
				boot = append(boot, fmt.Sprintf("%q", fmt.Sprintf("127.0.0.1:%d", dhtPorts[j])))
			}
		}
		extra := fmt.Sprintf("[dht]\nenabled = true\nlisten = \"127.0.0.1:%d\"\nbootstrap = [%s]\n",
			dhtPorts[i], strings.Join(boot, ", "))
		daemons[i] = startDaemonStats(b, filepath.Join(root, fmt.Sprint("d", i)), extra, true)
	}
	waitDHTTables(b, daemons, 8, 90*time.Second)

	seeder := daemons[dht20Daemons-1]
	leechers := daemons[1 : dht20Daemons-1]
	clients := make([]*cmdgw.Client, len(leechers))
	for i, d := range leechers {
		c, err := cmdgw.Dial(context.Background(), d.cmdAddr)
		if err != nil {
			b.Fatal(err)
		}
		b.Cleanup(func() { c.Close() })
		clients[i] = c
	}

	var found, firstPeer, complete []time.Duration
	var lookups []float64
	b.ResetTimer()
	for iter := range b.N {
		b.StopTimer()
		id := seedAndAnnounce(b, seeder, filepath.Join(root, fmt.Sprint("d", dht20Daemons-1)), iter)
		b.StartTimer()
		for i, d := range leechers {
			before := scrape(b, d.stats)["ppsppd_dht_lookups_total"]
			r := timeBareAdd(b, d, clients[i], id)
			n := scrape(b, d.stats)["ppsppd_dht_lookups_total"] - before
			// Every leecher stays and seeds. All daemons share 127.0.0.1, and a swarm takes
			// at most MaxChannelsPerIP (16) channels from one address: the later leechers
			// get places because a seed closes a channel with another seed to make room.
			found, firstPeer, complete = append(found, r.found), append(firstPeer, r.firstPeer), append(complete, r.complete)
			lookups = append(lookups, n)
			note := ""
			if n > 1 {
				note = fmt.Sprintf(" (waited for the schedule: %v lookups, retries LookupMin=5s apart, doubling)", n)
			}
			b.Logf("iteration %d daemon %2d: DHT found peers %v, first peer %v, complete %v, lookups %v%s",
				iter, i+1, r.found.Round(time.Millisecond), r.firstPeer.Round(time.Millisecond),
				r.complete.Round(time.Millisecond), n, note)
		}
	}
	b.StopTimer()

	var tables []float64
	for _, d := range daemons {
		tables = append(tables, scrape(b, d.stats)["ppsppd_dht_nodes"])
	}
	slices.Sort(tables)
	ms := func(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }
	b.ReportMetric(ms(quantile(found, 0.5)), "found-med-ms")
	b.ReportMetric(ms(quantile(found, 0.9)), "found-p90-ms")
	b.ReportMetric(ms(quantile(firstPeer, 0.5)), "first-peer-med-ms")
	b.ReportMetric(ms(quantile(firstPeer, 0.9)), "first-peer-p90-ms")
	b.ReportMetric(ms(quantile(complete, 0.5)), "complete-med-ms")
	b.ReportMetric(ms(quantile(complete, 0.9)), "complete-p90-ms")
	b.ReportMetric(mean(lookups), "lookups/leecher")
	b.ReportMetric(tables[len(tables)/2], "table-med-nodes")
	b.ReportMetric(tables[0], "table-min-nodes")
	b.Logf("routing table sizes at the end (nodes, daemon 0..%d): %v", dht20Daemons-1, tablesByDaemon(b, daemons))
	b.Logf("schedule: of the median %v from ADD to peers found, %v is the wait for the scan an ADD causes (addedScanDelay); "+
		"%d of %d leechers needed more than one lookup (each retry waits LookupMin, 5 s, or more)",
		quantile(found, 0.5).Round(time.Millisecond), addedScanDelay, countAbove(lookups, 1), len(lookups))
}

// bareAddTimes is how long after a bare-ID ADD each milestone was seen.
type bareAddTimes struct {
	found     time.Duration // the DHT handed the swarm peers ("DHT found peers" logged)
	firstPeer time.Duration // LIST shows a connected peer
	complete  time.Duration // LIST shows the swarm seeding
}

// timeBareAdd ADDs swarm id to d with no peer and polls LIST (every 5 ms, over the open
// connection c, so that no process start is in the timing) and the log until the swarm
// is complete.
func timeBareAdd(b *testing.B, d *daemon, c *cmdgw.Client, id string) bareAddTimes {
	b.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	logMark := len(d.stderr.String())
	start := time.Now()
	if _, err := c.Do(ctx, "ADD "+id); err != nil {
		b.Fatalf("ADD %s: %v", id, err)
	}
	var r bareAddTimes
	for {
		if r.found == 0 {
			if log := d.stderr.String(); strings.Contains(log[logMark:], "DHT found peers") &&
				strings.Contains(log[logMark:], id) {
				r.found = time.Since(start)
			}
		}
		lines, err := c.Do(ctx, "LIST "+id)
		if err != nil {
			b.Fatalf("LIST %s: %v\nlog:\n%s", id, err, d.stderr.String())
		}
		now := time.Since(start)
		state, peers := parseSwarmLine(b, lines)
		if r.firstPeer == 0 && peers > 0 {
			r.firstPeer = now
		}
		if state == "seeding" {
			if r.firstPeer == 0 {
				r.firstPeer = now
			}
			if r.found == 0 {
				r.found = now // found and done between two polls
			}
			r.complete = now
			return r
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// parseSwarmLine reads the state and peer count from LIST's one SWARM line:
// SWARM <hex> <state> <have>/<size> <down B/s> <up B/s> <peers> [note].
func parseSwarmLine(b *testing.B, lines []string) (state string, peers int) {
	b.Helper()
	if len(lines) != 1 {
		b.Fatalf("LIST of one swarm: %q", lines)
	}
	f := strings.Fields(lines[0])
	if len(f) < 7 || f[0] != "SWARM" {
		b.Fatalf("LIST line: %q", lines[0])
	}
	n, err := strconv.Atoi(f[6])
	if err != nil {
		b.Fatalf("LIST peer count in %q: %v", lines[0], err)
	}
	return f[2], n
}

// seedAndAnnounce writes iteration iter's file in the content directory under the seeder's
// stateDir, has it
// seed the file, and waits until its DHT has announced one more swarm.
func seedAndAnnounce(b *testing.B, seeder *daemon, stateDir string, iter int) string {
	b.Helper()
	before := scrape(b, seeder.stats)["ppsppd_dht_announces_total"]
	dir := filepath.Join(stateDir, "content")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		b.Fatal(err)
	}
	file := filepath.Join(dir, fmt.Sprintf("clip%d.bin", iter))
	if err := os.WriteFile(file, testcontent.PyRandBytes(uint32(100+iter), dht20ContentBytes), 0o644); err != nil {
		b.Fatal(err)
	}
	id := seeder.seedFile(b, file)
	deadline := time.Now().Add(60 * time.Second)
	for scrape(b, seeder.stats)["ppsppd_dht_announces_total"] <= before {
		if time.Now().After(deadline) {
			b.Fatalf("the seeder did not announce %s on the DHT:\n%s", id, seeder.stderr.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	return id
}

// waitDHTTables waits until every daemon's routing table holds at least want nodes.
func waitDHTTables(b *testing.B, daemons []*daemon, want float64, limit time.Duration) {
	b.Helper()
	deadline := time.Now().Add(limit)
	for {
		short := 0
		for _, d := range daemons {
			if scrape(b, d.stats)["ppsppd_dht_nodes"] < want {
				short++
			}
		}
		if short == 0 {
			return
		}
		if time.Now().After(deadline) {
			b.Fatalf("%d daemons have fewer than %v DHT nodes: %v", short, want, tablesByDaemon(b, daemons))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// tablesByDaemon is each daemon's routing table size, in order.
func tablesByDaemon(b *testing.B, daemons []*daemon) []float64 {
	b.Helper()
	out := make([]float64, len(daemons))
	for i, d := range daemons {
		out[i] = scrape(b, d.stats)["ppsppd_dht_nodes"]
	}
	return out
}

// quantile is the nearest-rank q-quantile of v (0 for none).
func quantile(v []time.Duration, q float64) time.Duration {
	if len(v) == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	return s[max(0, int(math.Ceil(q*float64(len(s))))-1)]
}

func mean(v []float64) float64 {
	if len(v) == 0 {
		return 0
	}
	var sum float64
	for _, x := range v {
		sum += x
	}
	return sum / float64(len(v))
}

func countAbove(v []float64, limit float64) int {
	n := 0
	for _, x := range v {
		if x > limit {
			n++
		}
	}
	return n
}
