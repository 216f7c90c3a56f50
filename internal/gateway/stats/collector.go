package stats

import (
	"context"
	"net/netip"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// Source is what the gateway uses of the swarm manager (*swarms.Manager), in its plain
// types: the node's counters (one round trip to the node's loop per scrape or page), the
// swarms' statuses (held by the manager, no round trip) and the node's UDP address.
type Source interface {
	Metrics(ctx context.Context) (swarmapi.NodeMetrics, error)
	List() []swarmapi.Status
	LocalAddr() netip.AddrPort
}

const namespace = "ppsppd"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// states are the swarm states, in libswift's code order; ppsppd_swarms_by_state has one
// series for each.
var states = []swarmapi.State{
	swarmapi.StateAllocating, swarmapi.StateHashChecking, swarmapi.StateDownloading,
	swarmapi.StateSeeding, swarmapi.StateStopped, swarmapi.StateError,
}

// Metric descriptions. Labels take values from fixed sets (directions, drop reasons, close
// causes, fault kinds, states) or from the swarms the operator configured; never addresses
// or channel IDs.
var (
	datagramsDesc  = desc("datagrams_total", "UDP datagrams by direction.", "direction")
	bytesDesc      = desc("bytes_total", "UDP payload bytes by direction.", "direction")
	sendFailDesc   = desc("datagrams_send_failed_total", "Datagrams the kernel refused to send (counted in datagrams_total tx too).")
	droppedDesc    = desc("datagrams_dropped_total", "Received datagrams (or their rest) not processed, by reason.", "reason")
	verifiedDesc   = desc("chunks_verified_total", "Chunks that passed verification against the hash tree and were stored.")
	servedDesc     = desc("chunks_served_total", "DATA messages sent.")
	badDesc        = desc("hash_check_failures_total", "Chunks that failed verification (discarded).")
	timeoutsDesc   = desc("request_timeouts_total", "Chunk requests that timed out and were asked again.")
	reqLostDesc    = desc("requests_lost_total", "Chunk requests asked again at once because chunks requested later from the same peer arrived first.")
	closedDesc     = desc("channels_closed_total", "Channels closed, by cause.", "cause")
	channelsDesc   = desc("channels", "Open channels.")
	swarmsDesc     = desc("swarms", "Swarms held.")
	byStateDesc    = desc("swarms_by_state", "Swarms held, by state (libswift's names).", "state")
	chunksDesc     = desc("swarm_chunks", "Chunks of a swarm: verified, and total (0 while unknown).", "swarm", "state")
	peersDesc      = desc("swarm_peers", "Established channels of a swarm.", "swarm")
	swarmErrDesc   = desc("swarm_error", "1 when the swarm stopped on an error (storage failed, or it cannot run).", "swarm")
	swarmStateDesc = desc("swarm_state", "State of a swarm as libswift's status code: 0 allocating, 2 hashchecking, 3 downloading, 4 seeding, 5 stopped, 6 error.", "swarm")
	payloadDesc    = desc("swarm_payload_bytes_total", "Chunk payload bytes of a swarm by direction, since the swarm was loaded.", "swarm", "direction")
	gsoDesc        = desc("gso_datagrams_total", "Datagrams sent through UDP segmentation offload.")
	scrapeDurDesc  = desc("scrape_duration_seconds", "Time taken to read the node for this scrape.")
	buildInfoDesc  = desc("build_info", "Build information.", "version")
	eventsLostDesc = desc("events_dropped_total", "Engine events a slow subscriber missed.")
	swarmEvLost    = desc("swarm_events_dropped_total", "Swarm events a slow subscriber of the swarm manager (a gateway) missed.")
	peerFaultsDesc = desc("peer_faults_total", "Peer misbehaviour counted by the peer policy, by kind (oversize DATA, peak hashes that fail the root, REQUESTs refused or duplicate, HANDSHAKEs refused, live signatures that fail, live chunks outside the window).", "kind")
	bansDesc       = desc("peer_bans_total", "Peers banned from a swarm for misbehaving (a repeat offender once per ban).")
	banRetriesDesc = desc("peer_ban_retries_total", "Banned peers connected again after their ban because they were a swarm's only source.")
	backoffsDesc   = desc("request_backoffs_total", "Rounds of timed-out requests after which a peer's requests were paused.")
)

type collector struct {
	src     Source
	version string
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{datagramsDesc, bytesDesc, sendFailDesc, droppedDesc, verifiedDesc, servedDesc, badDesc,
		timeoutsDesc, reqLostDesc, closedDesc, channelsDesc, swarmsDesc, byStateDesc, chunksDesc, peersDesc,
		swarmErrDesc, swarmStateDesc, payloadDesc, gsoDesc, scrapeDurDesc, buildInfoDesc, eventsLostDesc, swarmEvLost,
		peerFaultsDesc, bansDesc, banRetriesDesc, backoffsDesc} {
		ch <- d
	}
}

// scrapeTimeout bounds the one round trip to the node's loop a scrape makes.
const scrapeTimeout = 2 * time.Second

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), scrapeTimeout)
	defer cancel()
	nm, err := c.src.Metrics(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(swarmsDesc, err)
		return
	}
	list := c.src.List()
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	counts := func(d *prometheus.Desc, cs []swarmapi.Count) {
		for _, c := range cs {
			counter(d, c.Value, c.Name)
		}
	}
	counter(datagramsDesc, nm.DatagramsIn, "rx")
	counter(datagramsDesc, nm.DatagramsOut, "tx")
	counter(bytesDesc, nm.BytesIn, "rx")
	counter(bytesDesc, nm.BytesOut, "tx")
	counts(droppedDesc, nm.Drops)
	counter(sendFailDesc, nm.SendFailures)
	counter(verifiedDesc, nm.ChunksVerified)
	counter(servedDesc, nm.ChunksServed)
	counter(badDesc, nm.BadChunks)
	counter(timeoutsDesc, nm.RequestTimeouts)
	counter(reqLostDesc, nm.RequestsLost)
	counts(closedDesc, nm.Closed)
	counts(peerFaultsDesc, nm.PeerFaults)
	counter(bansDesc, nm.PeersBanned)
	counter(banRetriesDesc, nm.BanRetries)
	counter(backoffsDesc, nm.RequestBackoffs)
	gauge(channelsDesc, float64(nm.Channels))
	counter(gsoDesc, nm.GSODatagrams)
	counter(eventsLostDesc, nm.EventsDropped)
	counter(swarmEvLost, nm.SwarmEventsDropped)

	gauge(swarmsDesc, float64(len(list)))
	byState := make(map[swarmapi.State]int, len(states))
	for _, s := range list {
		byState[s.State]++
		id := s.ID.String()
		gauge(chunksDesc, float64(s.HaveChunks), id, "verified")
		gauge(chunksDesc, float64(s.TotalChunks), id, "total")
		gauge(peersDesc, float64(s.Peers), id)
		gauge(swarmErrDesc, boolGauge(s.State == swarmapi.StateError), id)
		gauge(swarmStateDesc, float64(s.State), id)
		counter(payloadDesc, s.Downloaded, id, "rx")
		counter(payloadDesc, s.Uploaded, id, "tx")
	}
	for _, st := range states {
		gauge(byStateDesc, float64(byState[st]), st.String())
	}
	gauge(buildInfoDesc, 1, c.version)
	gauge(scrapeDurDesc, time.Since(start).Seconds())
}

func boolGauge(b bool) float64 {
	if b {
		return 1
	}
	return 0
}
