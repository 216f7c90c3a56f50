package httpgw

import (
	"strconv"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the gateway's own; the caller registers them (Server.Collectors) on the
// registry the STATS gateway serves. Label values come from fixed sets: HTTP status codes
// the gateway writes, never swarm IDs or client addresses.
type metrics struct {
	requests      *prometheus.CounterVec
	bytesServed   prometheus.Counter
	readsWaiting  prometheus.Gauge
	readWait      prometheus.Histogram
	swarmsStarted prometheus.Counter
	liveServed    prometheus.Counter // live.go
	liveSkipped   prometheus.Counter
	liveStreams   prometheus.Gauge
}

func newMetrics() *metrics {
	const ns, sub = "ppsppd", "http"
	return &metrics{
		requests: prometheus.NewCounterVec(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "requests_total",
			Help: "HTTP gateway requests by the status code answered (0: the client left before headers went out).",
		}, []string{"code"}),
		bytesServed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "served_bytes_total",
			Help: "Response body bytes the HTTP gateway wrote.",
		}),
		readsWaiting: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "readers_waiting",
			Help: "Reads in progress on swarm readers: waiting for the chunks they cover to be verified, or for the size.",
		}),
		readWait: prometheus.NewHistogram(prometheus.HistogramOpts{
			Namespace: ns, Subsystem: sub, Name: "read_wait_seconds",
			Help: "How long each read of a swarm reader took, most of it waiting for chunks to be verified.",
			// From a read of verified storage (well under a millisecond) to a swarm whose
			// peers are slow to start.
			Buckets: []float64{0.0001, 0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60},
		}),
		swarmsStarted: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "swarms_started_total",
			Help: "Swarms the daemon did not hold that a request started.",
		}),
		liveServed: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "live_served_bytes_total",
			Help: "Bytes of live swarms the HTTP gateway wrote (part of served_bytes_total).",
		}),
		liveSkipped: prometheus.NewCounter(prometheus.CounterOpts{
			Namespace: ns, Subsystem: sub, Name: "live_skipped_chunks_total",
			Help: "Live chunks a response passed over: lost upstream, or evicted before a slow client got to them.",
		}),
		liveStreams: prometheus.NewGauge(prometheus.GaugeOpts{
			Namespace: ns, Subsystem: sub, Name: "live_streams",
			Help: "Live responses streaming now.",
		}),
	}
}

func (m *metrics) collectors() []prometheus.Collector {
	return []prometheus.Collector{m.requests, m.bytesServed, m.readsWaiting, m.readWait, m.swarmsStarted,
		m.liveServed, m.liveSkipped, m.liveStreams}
}

func (m *metrics) countRequest(code int) {
	m.requests.WithLabelValues(strconv.Itoa(code)).Inc()
}
