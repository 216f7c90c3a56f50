//go:build linux

package netlab

import (
	"encoding/json"
	"fmt"
	"math"
	"sort"
	"strings"
	"sync"
	"time"
)

// CountIn adds a byte counter named name in ns for the packets arriving in ns that match
// expr (nftables syntax, e.g. `meta l4proto tcp` or `udp dport 7001`). Arriving is after
// the link: on the receiving host, what a bottleneck before it let through.
func (ns *NS) CountIn(name, expr string) {
	ns.lab.t.Helper()
	ns.nft(fmt.Sprintf(`table inet netlab_count {
	counter %s { }
	chain pre {
		type filter hook prerouting priority -200; policy accept;
		%s counter name %s
	}
}
`, counterPrefix+name, expr, counterPrefix+name))
}

// counterPrefix starts every counter's nftables name, so that a name like "udp" is not
// read as a keyword.
const counterPrefix = "netlab_"

// Counters reads the byte counts of every counter CountIn added in ns.
func (ns *NS) Counters() (map[string]uint64, error) {
	out, err := ns.Run("nft", "-j", "list", "counters", "table", "inet", "netlab_count")
	if err != nil {
		return nil, err
	}
	var doc struct {
		Nftables []struct {
			Counter *struct {
				Name  string `json:"name"`
				Bytes uint64 `json:"bytes"`
			} `json:"counter"`
		} `json:"nftables"`
	}
	if err := json.Unmarshal([]byte(out), &doc); err != nil {
		return nil, fmt.Errorf("nft counters in %s: %w", ns.short, err)
	}
	counts := map[string]uint64{}
	for _, item := range doc.Nftables {
		if item.Counter != nil {
			counts[strings.TrimPrefix(item.Counter.Name, counterPrefix)] = item.Counter.Bytes
		}
	}
	return counts, nil
}

// Sample is the counters' values at one moment, At after the sampler started.
type Sample struct {
	At    time.Duration
	Bytes map[string]uint64
}

// Sampler reads an NS's counters periodically, from its own goroutine, until Stop.
type Sampler struct {
	start time.Time
	stop  chan struct{}
	done  chan struct{}

	mu      sync.Mutex
	samples []Sample
}

// StartSampler reads ns's counters every interval until Stop (or the test's end).
func (ns *NS) StartSampler(every time.Duration) *Sampler {
	s := &Sampler{start: time.Now(), stop: make(chan struct{}), done: make(chan struct{})}
	go s.run(ns, every)
	ns.lab.t.Cleanup(func() { s.Stop() })
	return s
}

func (s *Sampler) run(ns *NS, every time.Duration) {
	defer close(s.done)
	tick := time.NewTicker(every)
	defer tick.Stop()
	for {
		s.read(ns)
		select {
		case <-s.stop:
			s.read(ns) // the end of the run, however soon after the last tick
			return
		case <-tick.C:
		}
	}
}

func (s *Sampler) read(ns *NS) {
	before := time.Since(s.start)
	counts, err := ns.Counters()
	// The counters were read somewhere inside the command's run, which can take long
	// on a loaded machine: the middle of it is the best guess.
	at := (before + time.Since(s.start)) / 2
	if err == nil {
		s.mu.Lock()
		s.samples = append(s.samples, Sample{At: at, Bytes: counts})
		s.mu.Unlock()
	}
}

// Since is how long ago the sampler started: the clock its samples' At are on.
func (s *Sampler) Since() time.Duration { return time.Since(s.start) }

// Stop ends the sampling (once more reading the counters first) and returns every sample.
// It may be called more than once.
func (s *Sampler) Stop() []Sample {
	select {
	case <-s.stop:
	default:
		close(s.stop)
	}
	<-s.done
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.samples
}

// Rate is counter name's average rate in bits per second between from and to (times on the
// sampler's clock), measured between the samples nearest to them inside [from, to]; 0 when
// fewer than two samples fall there.
func Rate(samples []Sample, name string, from, to time.Duration) float64 {
	i := sort.Search(len(samples), func(i int) bool { return samples[i].At >= from })
	j := sort.Search(len(samples), func(i int) bool { return samples[i].At > to }) - 1
	if i >= len(samples) || j <= i {
		return 0
	}
	a, b := samples[i], samples[j]
	secs := (b.At - a.At).Seconds()
	if secs <= 0 || b.Bytes[name] < a.Bytes[name] {
		return 0
	}
	return float64(b.Bytes[name]-a.Bytes[name]) * 8 / secs
}

// Trace is counter name's rate in Mbit/s over each step between from and to (times on the
// sampler's clock), for reading where a flow left the link idle; NaN for a step with fewer
// than two samples (the sampler itself was held up).
func Trace(samples []Sample, name string, from, to, step time.Duration) []float64 {
	var out []float64
	for at := from; at+step <= to; at += step {
		i := sort.Search(len(samples), func(i int) bool { return samples[i].At >= at })
		j := sort.Search(len(samples), func(i int) bool { return samples[i].At > at+step }) - 1
		if i >= len(samples) || j <= i {
			out = append(out, math.NaN())
			continue
		}
		out = append(out, Rate(samples, name, at, at+step)/1e6)
	}
	return out
}
