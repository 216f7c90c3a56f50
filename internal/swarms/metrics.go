package swarms

import (
	"context"
	"fmt"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/node"
)

// Metrics reads the node's counters, in one round trip to the node's loop, and translates
// them into plain types. This file is the one place that knows the engine's counters: a
// new one is added to NodeMetrics (swarmapi) and here, and the gateways see it.
func (m *Manager) Metrics(ctx context.Context) (NodeMetrics, error) {
	snap, err := m.node.Snapshot(ctx)
	if err != nil {
		return NodeMetrics{}, fmt.Errorf("node metrics: %w", err)
	}
	out := nodeMetrics(snap)
	m.subs.mu.Lock()
	out.SwarmEventsDropped = m.subs.dropped
	m.subs.mu.Unlock()
	return out, nil
}

// nodeMetrics translates a node snapshot. The label names are part of the exported
// metrics (dashboards select on them): change them only with a note in the changelog.
func nodeMetrics(snap node.Snapshot) NodeMetrics {
	st := snap.Stats
	drops := make([]Count, 0, len(st.Drops))
	for r := range engine.DropReason(len(st.Drops)) {
		drops = append(drops, Count{Name: r.String(), Value: st.Drops[r]})
	}
	// Read by the node but never handed to the engine: from a source that is no UDP address.
	drops = append(drops, Count{Name: "foreign_source", Value: snap.ForeignReads})
	return NodeMetrics{
		DatagramsIn: st.DatagramsIn, DatagramsOut: st.DatagramsOut,
		BytesIn: st.BytesIn, BytesOut: st.BytesOut,
		Drops:          drops,
		ChunksVerified: st.ChunksVerified, ChunksServed: st.ChunksServed, BadChunks: st.BadChunks,
		RequestTimeouts: st.RequestTimeouts, RequestsLost: st.RequestsLost,
		Closed: []Count{
			{Name: "peer", Value: st.ClosedByPeer},
			{Name: "timeout", Value: st.ClosedTimeout},
			{Name: "bad_data", Value: st.ClosedBadData},
			{Name: "malformed", Value: st.ClosedMalformed},
			{Name: "unresponsive", Value: st.ClosedUnresponsive},
			{Name: "ignored_choke", Value: st.ClosedIgnoredChoke},
			{Name: "flood", Value: st.ClosedFlood},
		},
		PeerFaults: []Count{
			{Name: "oversize_data", Value: st.OversizeData},
			{Name: "misfit_chunks", Value: st.MisfitChunks},
			{Name: "bad_peaks", Value: st.BadPeaks},
			{Name: "request_refused", Value: st.RequestsRefused},
			{Name: "request_duplicate", Value: st.DuplicateRequests},
			{Name: "handshake_refused", Value: st.HandshakesRefused},
			{Name: "handshake_cold", Value: st.ColdHandshakes},
			{Name: "live_bad_signature", Value: st.LiveBadSignatures},
			{Name: "live_outside_window", Value: st.LiveOutsideWindow},
		},
		PeersBanned: st.PeersBanned, BanRetries: st.BanRetries, RequestBackoffs: st.RequestBackoffs,
		Channels:      snap.Channels,
		GSODatagrams:  snap.Offload.GSODatagrams,
		EventsDropped: snap.EventsDropped,
		SendFailures:  snap.SendFailures,
	}
}
