package stats

import (
	"context"
	"encoding/hex"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/node"
)

// Source is what the gateway needs from the node.
type Source interface {
	Snapshot(ctx context.Context) (node.Snapshot, error)
}

const namespace = "ppsppd"

func desc(name, help string, labels ...string) *prometheus.Desc {
	return prometheus.NewDesc(prometheus.BuildFQName(namespace, "", name), help, labels, nil)
}

// Metric descriptions. Labels take values from fixed sets (directions, drop reasons, close
// causes) or from the swarms the operator configured; never addresses or channel IDs.
var (
	datagramsDesc  = desc("datagrams_total", "UDP datagrams by direction.", "direction")
	bytesDesc      = desc("bytes_total", "UDP payload bytes by direction.", "direction")
	droppedDesc    = desc("datagrams_dropped_total", "Received datagrams (or their rest) not processed, by reason.", "reason")
	verifiedDesc   = desc("chunks_verified_total", "Chunks that passed verification against the hash tree and were stored.")
	servedDesc     = desc("chunks_served_total", "DATA messages sent.")
	badDesc        = desc("hash_check_failures_total", "Chunks that failed verification (discarded).")
	timeoutsDesc   = desc("request_timeouts_total", "Chunk requests that timed out and were asked again.")
	reqLostDesc    = desc("requests_lost_total", "Chunk requests asked again at once because chunks requested later from the same peer arrived first.")
	closedDesc     = desc("channels_closed_total", "Channels closed, by cause.", "cause")
	channelsDesc   = desc("channels", "Open channels.")
	swarmsDesc     = desc("swarms", "Swarms held.")
	chunksDesc     = desc("swarm_chunks", "Chunks of a swarm: verified, and total (0 while unknown).", "swarm", "state")
	peersDesc      = desc("swarm_peers", "Established channels of a swarm.", "swarm")
	swarmErrDesc   = desc("swarm_error", "1 when the swarm stopped on a storage error.", "swarm")
	gsoDesc        = desc("gso_datagrams_total", "Datagrams sent through UDP segmentation offload.")
	scrapeDurDesc  = desc("scrape_duration_seconds", "Time taken to read the node for this scrape.")
	buildInfoDesc  = desc("build_info", "Build information.", "version")
	eventsLostDesc = desc("events_dropped_total", "Engine events a slow subscriber missed.")
	peerFaultsDesc = desc("peer_faults_total", "Peer misbehaviour counted by the peer policy, by kind (oversize DATA, peak hashes that fail the root, REQUESTs refused or duplicate, HANDSHAKEs refused).", "kind")
	bansDesc       = desc("peer_bans_total", "Peers banned from a swarm for misbehaving (a repeat offender once per ban).")
	banRetriesDesc = desc("peer_ban_retries_total", "Banned peers connected again after their ban because they were a swarm's only source.")
	backoffsDesc   = desc("request_backoffs_total", "Rounds of timed-out requests after which a peer's requests were paused.")
)

type collector struct {
	src     Source
	version string
}

func (c *collector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{datagramsDesc, bytesDesc, droppedDesc, verifiedDesc, servedDesc, badDesc,
		timeoutsDesc, reqLostDesc, closedDesc, channelsDesc, swarmsDesc, chunksDesc, peersDesc, swarmErrDesc, gsoDesc,
		scrapeDurDesc, buildInfoDesc, eventsLostDesc, peerFaultsDesc, bansDesc, banRetriesDesc, backoffsDesc} {
		ch <- d
	}
}

func (c *collector) Collect(ch chan<- prometheus.Metric) {
	start := time.Now()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	snap, err := c.src.Snapshot(ctx)
	if err != nil {
		ch <- prometheus.NewInvalidMetric(swarmsDesc, err)
		return
	}
	counter := func(d *prometheus.Desc, v uint64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, float64(v), labels...)
	}
	gauge := func(d *prometheus.Desc, v float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, v, labels...)
	}
	st := snap.Stats
	counter(datagramsDesc, st.DatagramsIn, "rx")
	counter(datagramsDesc, st.DatagramsOut, "tx")
	counter(bytesDesc, st.BytesIn, "rx")
	counter(bytesDesc, st.BytesOut, "tx")
	for r := range engine.DropReason(len(st.Drops)) {
		counter(droppedDesc, st.Drops[r], r.String())
	}
	counter(verifiedDesc, st.ChunksVerified)
	counter(servedDesc, st.ChunksServed)
	counter(badDesc, st.BadChunks)
	counter(timeoutsDesc, st.RequestTimeouts)
	counter(reqLostDesc, st.RequestsLost)
	for cause, v := range map[string]uint64{
		"peer": st.ClosedByPeer, "timeout": st.ClosedTimeout, "bad_data": st.ClosedBadData,
		"malformed": st.ClosedMalformed, "unresponsive": st.ClosedUnresponsive, "ignored_choke": st.ClosedIgnoredChoke,
		"flood": st.ClosedFlood,
	} {
		counter(closedDesc, v, cause)
	}
	for kind, v := range map[string]uint64{
		"oversize_data": st.OversizeData, "bad_peaks": st.BadPeaks, "request_refused": st.RequestsRefused,
		"request_duplicate": st.DuplicateRequests, "handshake_refused": st.HandshakesRefused,
	} {
		counter(peerFaultsDesc, v, kind)
	}
	counter(bansDesc, st.PeersBanned)
	counter(banRetriesDesc, st.BanRetries)
	counter(backoffsDesc, st.RequestBackoffs)
	gauge(channelsDesc, float64(snap.Channels))
	gauge(swarmsDesc, float64(len(snap.Swarms)))
	for _, s := range snap.Swarms {
		id := hex.EncodeToString([]byte(s.ID))
		gauge(chunksDesc, float64(s.Have), id, "verified")
		gauge(chunksDesc, float64(s.Total), id, "total")
		gauge(peersDesc, float64(s.Peers), id)
		errv := 0.0
		if s.Err != nil {
			errv = 1
		}
		gauge(swarmErrDesc, errv, id)
	}
	counter(gsoDesc, snap.Offload.GSODatagrams)
	counter(eventsLostDesc, snap.EventsDropped)
	gauge(buildInfoDesc, 1, c.version)
	gauge(scrapeDurDesc, time.Since(start).Seconds())
}
