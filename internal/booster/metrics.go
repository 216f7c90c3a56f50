package booster

import (
	"github.com/prometheus/client_golang/prometheus"
)

// counters are the booster's totals, guarded by Booster.mu.
type counters struct {
	fetched, notModified             uint64
	fetchErrors                      map[string]uint64 // by errorReasons
	links, added, skipped, addFailed uint64
	removed                          map[string]uint64 // by removeReasons
}

func newCounters() counters {
	return counters{fetchErrors: map[string]uint64{}, removed: map[string]uint64{}}
}

// Metrics are the booster's counters and gauges as plain numbers.
type Metrics struct {
	Fetched, NotModified uint64
	FetchErrors          map[string]uint64 // by reason: network, http, too_large, malformed, dir
	Links, Added         uint64
	Skipped, AddFailed   uint64
	Removed              map[string]uint64 // by reason: seed_time, seed_ratio, max_bytes, max_swarms, make_room
	Swarms               int
	Bytes                int64
	FailingSources       int // sources whose last check failed
}

// Metrics reads the counters and the booster's swarms.
func (b *Booster) Metrics() Metrics {
	st := b.Status()
	b.mu.Lock()
	defer b.mu.Unlock()
	m := Metrics{
		Fetched: b.counters.fetched, NotModified: b.counters.notModified,
		FetchErrors: map[string]uint64{}, Removed: map[string]uint64{},
		Links: b.counters.links, Added: b.counters.added, Skipped: b.counters.skipped, AddFailed: b.counters.addFailed,
		Swarms: len(st.Swarms), Bytes: st.Bytes,
	}
	for _, r := range errorReasons {
		m.FetchErrors[r] = b.counters.fetchErrors[r]
	}
	for _, r := range removeReasons {
		m.Removed[r] = b.counters.removed[r]
	}
	for _, s := range st.Sources {
		if s.ConsecutiveErrors > 0 {
			m.FailingSources++
		}
	}
	return m
}

// Collector exposes Metrics to a Prometheus registry (the STATS gateway's), read at
// scrape time.
func (b *Booster) Collector() prometheus.Collector { return newCollector(b.Metrics) }

type collector struct {
	metrics func() Metrics

	fetches, fetchErrors, links, added, skipped, addFailed, removed, swarms, bytes, failing *prometheus.Desc
}

func newCollector(metrics func() Metrics) *collector {
	return &collector{
		metrics: metrics,
		fetches: prometheus.NewDesc("ppsppd_booster_checks_total",
			"Successful checks of booster sources, by result: changed (read) or not_modified (HTTP 304).", []string{"result"}, nil),
		fetchErrors: prometheus.NewDesc("ppsppd_booster_check_errors_total",
			"Failed checks of booster sources, by reason; each is retried with backoff.", []string{"reason"}, nil),
		links:     prometheus.NewDesc("ppsppd_booster_links_total", "New swarm links the booster found.", nil, nil),
		added:     prometheus.NewDesc("ppsppd_booster_swarms_added_total", "Swarms the booster added.", nil, nil),
		skipped:   prometheus.NewDesc("ppsppd_booster_links_skipped_total", "New links skipped: max_swarms reached and no booster swarm could make room.", nil, nil),
		addFailed: prometheus.NewDesc("ppsppd_booster_add_failures_total", "New links the swarm manager refused.", nil, nil),
		removed: prometheus.NewDesc("ppsppd_booster_swarms_removed_total",
			"Booster swarms removed, by reason.", []string{"reason"}, nil),
		swarms:  prometheus.NewDesc("ppsppd_booster_swarms", "Swarms the booster added and holds.", nil, nil),
		bytes:   prometheus.NewDesc("ppsppd_booster_bytes", "Disk bytes of the booster's swarms (content length, or verified bytes while unknown).", nil, nil),
		failing: prometheus.NewDesc("ppsppd_booster_sources_failing", "Booster sources whose last check failed.", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.fetches, c.fetchErrors, c.links, c.added, c.skipped, c.addFailed, c.removed,
		c.swarms, c.bytes, c.failing} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	m := c.metrics()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	counter(c.fetches, m.Fetched, "changed")
	counter(c.fetches, m.NotModified, "not_modified")
	for _, r := range errorReasons {
		counter(c.fetchErrors, m.FetchErrors[r], r)
	}
	counter(c.links, m.Links)
	counter(c.added, m.Added)
	counter(c.skipped, m.Skipped)
	counter(c.addFailed, m.AddFailed)
	for _, r := range removeReasons {
		counter(c.removed, m.Removed[r], r)
	}
	ch <- prometheus.MustNewConstMetric(c.swarms, prometheus.GaugeValue, float64(m.Swarms))
	ch <- prometheus.MustNewConstMetric(c.bytes, prometheus.GaugeValue, float64(m.Bytes))
	ch <- prometheus.MustNewConstMetric(c.failing, prometheus.GaugeValue, float64(m.FailingSources))
}
