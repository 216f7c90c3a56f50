package dht

import (
	"sync/atomic"

	"github.com/prometheus/client_golang/prometheus"
)

// Metrics are the DHT's counters as plain numbers.
type Metrics struct {
	Nodes      int // nodes in the routing table
	GoodNodes  int // of which answered recently or are not yet tested (BEP 5 "good")
	Lookups    uint64
	Announces  uint64
	PeersFound uint64 // distinct peer addresses handed to the manager, per lookup
	Failed     uint64 // traversals that could not start (no node to ask)
	// AnnouncesReceived counts announce_peer queries other nodes sent us (valid token) that
	// were looked at; AnnouncedPeers those of them handed at once to a swarm short of peers;
	// AnnouncedDropped those not looked at because the queue was full (they are still stored).
	AnnouncesReceived, AnnouncedPeers, AnnouncedDropped uint64
}

// counters are updated by the traversal goroutines.
type counters struct {
	lookups, announces, peersFound, failed              atomic.Uint64
	announcesReceived, announcedPeers, announcedDropped atomic.Uint64
}

// collector exposes Metrics to Prometheus, read at scrape time.
type collector struct {
	metrics func() Metrics

	nodes, goodNodes, lookups, announces, peersFound, failed *prometheus.Desc
	announcesReceived, announcedPeers, announcedDropped      *prometheus.Desc
}

func newCollector(metrics func() Metrics) *collector {
	return &collector{
		metrics:    metrics,
		nodes:      prometheus.NewDesc("ppsppd_dht_nodes", "Nodes in the DHT routing table.", nil, nil),
		goodNodes:  prometheus.NewDesc("ppsppd_dht_good_nodes", "Nodes in the DHT routing table that are good (BEP 5).", nil, nil),
		lookups:    prometheus.NewDesc("ppsppd_dht_lookups_total", "DHT get_peers traversals for swarms that needed peers.", nil, nil),
		announces:  prometheus.NewDesc("ppsppd_dht_announces_total", "DHT traversals that announced a swarm.", nil, nil),
		peersFound: prometheus.NewDesc("ppsppd_dht_peers_found_total", "Peer addresses found on the DHT and handed to swarms.", nil, nil),
		failed:     prometheus.NewDesc("ppsppd_dht_traversals_failed_total", "DHT traversals that could not start: no node to ask.", nil, nil),
		announcesReceived: prometheus.NewDesc("ppsppd_dht_announces_received_total",
			"announce_peer queries other DHT nodes sent to this one.", nil, nil),
		announcedPeers: prometheus.NewDesc("ppsppd_dht_announced_peers_total",
			"Peers announced to this DHT node handed at once to a swarm short of peers.", nil, nil),
		announcedDropped: prometheus.NewDesc("ppsppd_dht_announces_dropped_total",
			"announce_peer queries stored but not looked at: the hand-over queue was full.", nil, nil),
	}
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.nodes, c.goodNodes, c.lookups, c.announces, c.peersFound, c.failed,
		c.announcesReceived, c.announcedPeers, c.announcedDropped} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	m := c.metrics()
	ch <- prometheus.MustNewConstMetric(c.nodes, prometheus.GaugeValue, float64(m.Nodes))
	ch <- prometheus.MustNewConstMetric(c.goodNodes, prometheus.GaugeValue, float64(m.GoodNodes))
	ch <- prometheus.MustNewConstMetric(c.lookups, prometheus.CounterValue, float64(m.Lookups))
	ch <- prometheus.MustNewConstMetric(c.announces, prometheus.CounterValue, float64(m.Announces))
	ch <- prometheus.MustNewConstMetric(c.peersFound, prometheus.CounterValue, float64(m.PeersFound))
	ch <- prometheus.MustNewConstMetric(c.failed, prometheus.CounterValue, float64(m.Failed))
	ch <- prometheus.MustNewConstMetric(c.announcesReceived, prometheus.CounterValue, float64(m.AnnouncesReceived))
	ch <- prometheus.MustNewConstMetric(c.announcedPeers, prometheus.CounterValue, float64(m.AnnouncedPeers))
	ch <- prometheus.MustNewConstMetric(c.announcedDropped, prometheus.CounterValue, float64(m.AnnouncedDropped))
}
