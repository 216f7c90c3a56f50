//go:build linux && netlab

package netlab

import (
	"fmt"
	"net/netip"
	"os"
	"path/filepath"
	"strconv"
	"testing"
	"time"
)

// The loss runs of issue 17: one seeder and several leechers, each in its own namespace,
// all joined to one router that drops a share of the UDP datagrams each way and relays
// them with delay and jitter (so they also reorder). Every leecher must end with the
// content byte for byte; the run reports each one's time and how many of its chunks came
// from other leechers (PEX, RFC 7574 §3.10.1) rather than from the seeder.

const relayIP = "10.99.0.1"

// swarmRun says what one loss run does.
type swarmRun struct {
	leechers int
	size     int64
	loss     int // percent, each way
	relay    RelayConfig
	stagger  time.Duration // between leecher starts
}

// leecherResult is one leecher's outcome.
type leecherResult struct {
	took      time.Duration
	fromSeed  uint64 // chunks verified from the seeder
	fromPeers uint64 // chunks verified from other leechers
}

// runSwarm builds the lab, runs the swarm to completion and returns each leecher's result
// and the relay's counts (zero when cfg.relay is zero: then no relay is on the path). It fails t unless every leecher completes byte for byte.
func runSwarm(t testing.TB, cfg swarmRun) ([]leecherResult, RelayStats) {
	t.Helper()
	lab := New(t)
	r := lab.NS("r")
	r.Forward()
	r.AddAddr("lo", relayIP+"/32")
	hosts := make([]*NS, cfg.leechers+1) // hosts[0] seeds
	for i := range hosts {
		name := "s"
		if i > 0 {
			name = "l" + strconv.Itoa(i)
		}
		hosts[i] = lab.NS(name)
		net := fmt.Sprintf("10.0.%d.", i+1)
		lab.Link(hosts[i], "eth0", net+"2/24", r, "h"+strconv.Itoa(i), net+"1/24")
		hosts[i].Route("default", net+"1")
	}
	r.Loss(cfg.loss)

	dir := t.TempDir()
	file := filepath.Join(dir, "content.bin")
	sum := content(t, file, cfg.size, 42)
	id := seed(t, hosts[0], file, "0.0.0.0:6778")
	// Without delay or jitter the relay is left out: the peers talk over the routed path.
	seedPublic := netip.MustParseAddrPort("10.0.1.2:6778")
	var relay *Relay
	if cfg.relay != (RelayConfig{}) {
		relay = r.StartRelay(netip.MustParseAddr(relayIP), cfg.relay)
		var err error
		if seedPublic, err = relay.Expose(seedPublic); err != nil {
			t.Fatal(err)
		}
	}
	downloads := make([]*download, cfg.leechers)
	for i := range downloads {
		if i > 0 {
			time.Sleep(cfg.stagger)
		}
		downloads[i] = startGet(t, hosts[i+1], id, seedPublic, filepath.Join(dir, fmt.Sprintf("leecher%d.bin", i+1)),
			"0.0.0.0:6778", 2*time.Minute)
	}
	results := make([]leecherResult, cfg.leechers)
	for i, d := range downloads {
		d.wait(t, sum, 15*time.Minute)
		res := leecherResult{took: d.took}
		for peer, n := range d.chunksFrom() {
			if peer == seedPublic.String() {
				res.fromSeed += n
			} else {
				res.fromPeers += n
			}
		}
		results[i] = res
		// Printed as it comes, so a long run shows where it is.
		fmt.Printf("leecher %d complete and identical after %v (%d chunks from the seeder, %d from other leechers)\n",
			i+1, res.took.Round(100*time.Millisecond), res.fromSeed, res.fromPeers)
	}
	if relay == nil {
		return results, RelayStats{}
	}
	return results, relay.Stats()
}

func printSwarm(title string, cfg swarmRun, results []leecherResult, rs RelayStats) {
	chunks := (cfg.size + 1023) / 1024
	path := fmt.Sprintf("relay delay %v + jitter up to %v each way", cfg.relay.Delay, cfg.relay.Jitter)
	if cfg.relay == (RelayConfig{}) {
		path = "no relay (routed path, no added delay)"
	}
	fmt.Printf("\n%s: 1 seeder, %d leechers (started %v apart), %d MiB (%d chunks of 1 KiB), %d %% loss each way, %s\n\n",
		title, cfg.leechers, cfg.stagger, cfg.size>>20, chunks, cfg.loss, path)
	fmt.Println("| leecher | time | Mbit/s | chunks from seeder | chunks from other leechers |")
	fmt.Println("|---|---|---|---|---|")
	for i, r := range results {
		fmt.Printf("| %d | %v | %.1f | %d | %d |\n", i+1, r.took.Round(100*time.Millisecond),
			float64(cfg.size)*8/r.took.Seconds()/1e6, r.fromSeed, r.fromPeers)
	}
	fmt.Printf("\nrelay: %d datagrams forwarded, %d of them reordered, %d dropped by the relay\n\n", rs.Forwarded, rs.Reordered, rs.Dropped)
}

// TestLossSwarmQuick is the quick loss run (make test-net): 6 leechers of a 4 MiB swarm
// through 2 % loss each way, delay and reordering; all end byte for byte.
func TestLossSwarmQuick(t *testing.T) {
	cfg := swarmRun{leechers: 6, size: 4 << 20, loss: 2, stagger: 300 * time.Millisecond,
		relay: RelayConfig{Delay: 10 * time.Millisecond, Jitter: 5 * time.Millisecond}}
	results, rs := runSwarm(t, cfg)
	printSwarm("Loss run (quick)", cfg, results, rs)
	if rs.Reordered == 0 {
		t.Errorf("the relay reordered nothing: the run did not test reordering (%+v)", rs)
	}
}

// BenchmarkLossSwarm is the full loss run (make bench-net): 6 leechers of a 16 MiB swarm
// (NETLAB_SWARM_MIB for another size) through 2 % and 10 % loss each way, with delay and
// reordering; it prints each leecher's time and chunk sources and asserts only that every
// leecher ends byte for byte. To compare: NETLAB_NO_RELAY=1 leaves the relay out (loss
// only), NETLAB_JITTER_MS=0 keeps the delay without reordering.
func BenchmarkLossSwarm(b *testing.B) {
	size := int64(16)
	if v, err := strconv.ParseInt(os.Getenv("NETLAB_SWARM_MIB"), 10, 64); err == nil && v > 0 {
		size = v
	}
	for range b.N {
		for _, loss := range []int{2, 10} {
			b.Run(fmt.Sprintf("loss%d", loss), func(b *testing.B) {
				cfg := swarmRun{leechers: 6, size: size << 20, loss: loss, stagger: time.Second,
					relay: RelayConfig{Delay: 20 * time.Millisecond, Jitter: 10 * time.Millisecond}}
				if ms, err := strconv.Atoi(os.Getenv("NETLAB_JITTER_MS")); err == nil && ms >= 0 {
					cfg.relay.Jitter = time.Duration(ms) * time.Millisecond // 0: delay without reordering
				}
				if os.Getenv("NETLAB_NO_RELAY") != "" { // comparison: loss only, no delay or reordering
					cfg.relay = RelayConfig{}
				}
				results, rs := runSwarm(b, cfg)
				printSwarm(fmt.Sprintf("Loss run, %d %%", loss), cfg, results, rs)
			})
		}
	}
}
