package main

import (
	"fmt"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/testcontent"
)

// BenchmarkBoosterFeedToSeed measures, over loopback with real daemons, the time from a
// link appearing in a feed to the booster seeding the swarm (10 MiB of seeded content from
// internal/testcontent): the booster's poll interval (booster.interval = "1s"), the fetch,
// the swarm added, its seeder found and the whole download verified. "dht": the link names
// no peer and the seeder is found through the DHT (the demo's case); "peer": the link
// names the seeder. Each iteration publishes a new swarm once the seeder has announced it.
// Run with `make bench-booster`.
func BenchmarkBoosterFeedToSeed(b *testing.B) {
	for _, withPeer := range []bool{false, true} {
		name := "dht"
		if withPeer {
			name = "peer"
		}
		b.Run(name, func(b *testing.B) {
			s := startBoosterSetup(b)
			var toAdded, toSeeding time.Duration
			for i := 0; i < b.N; i++ {
				b.StopTimer()
				data := testcontent.PyRandBytes(uint32(1000+i), 10<<20)
				announced := scrape(b, s.seeder.stats)["ppsppd_dht_announces_total"]
				id := s.seed(b, fmt.Sprintf("%s-%d.bin", name, i), data)
				waitMetricAbove(b, s.seeder.stats, "ppsppd_dht_announces_total", announced)
				link := "tswift:/" + id
				if withPeer {
					link = "tswift://" + s.seeder.udp + "/" + id
				}
				b.StartTimer()
				start := time.Now()
				s.feed.publish("New video: " + link)
				added := time.Duration(0)
				deadline := start.Add(2 * time.Minute)
				for {
					st := swarmState(b, s.booster.cmdAddr, id)
					if st != "" && added == 0 {
						added = time.Since(start)
					}
					if st == "seeding" {
						break
					}
					if time.Now().After(deadline) {
						b.Fatalf("the booster did not seed %s:\n%s", id, s.booster.stderr.String())
					}
					time.Sleep(10 * time.Millisecond)
				}
				took := time.Since(start)
				b.StopTimer()
				toAdded += added
				toSeeding += took
				b.Logf("%s: link -> swarm added %v, -> seeding %v", name, added.Round(time.Millisecond), took.Round(time.Millisecond))
			}
			b.ReportMetric(toAdded.Seconds()/float64(b.N), "s-to-added/op")
			b.ReportMetric(toSeeding.Seconds()/float64(b.N), "s-to-seeding/op")
		})
	}
}

// waitMetricAbove polls a STATS gateway until an unlabelled metric exceeds floor.
func waitMetricAbove(tb testing.TB, addr, name string, floor float64) {
	tb.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for scrape(tb, addr)[name] <= floor {
		if time.Now().After(deadline) {
			tb.Fatalf("%s stayed at %v", name, floor)
		}
		time.Sleep(50 * time.Millisecond)
	}
}
