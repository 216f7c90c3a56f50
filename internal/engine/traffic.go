package engine

import (
	"net/netip"
	"slices"
	"strings"
)

// traffic counts one channel's or one swarm's bytes. Payload is chunk content only: DATA
// sent, and chunks received that passed verification (RFC 7574 §5.2); raw is whole UDP
// payloads, every message included. The hot path only adds to these.
type traffic struct {
	payloadUp, payloadDown uint64
	rawUp, rawDown         uint64
}

// countSent records a datagram queued for ch's peer.
func (e *Engine) countSent(ch *channel, n int) {
	ch.traffic.rawUp += uint64(n)
	ch.swarm.traffic.rawUp += uint64(n)
}

// countReceived records a datagram that arrived on ch from its peer.
func (e *Engine) countReceived(ch *channel, n int) {
	ch.traffic.rawDown += uint64(n)
	ch.swarm.traffic.rawDown += uint64(n)
}

// countServed records the payload of a DATA sent on ch.
func (e *Engine) countServed(ch *channel, n int) {
	ch.traffic.payloadUp += uint64(n)
	ch.swarm.traffic.payloadUp += uint64(n)
}

// countVerified records the payload of a chunk from ch that verified and was stored.
func (e *Engine) countVerified(ch *channel, n int) {
	ch.traffic.payloadDown += uint64(n)
	ch.swarm.traffic.payloadDown += uint64(n)
}

// SwarmInfo is a read-only view of one swarm, for status pages and metrics. The byte
// counters only grow; a rate is their difference between two reads.
type SwarmInfo struct {
	ID          SwarmID
	Have, Total uint64 // verified and total chunks (Total 0 while unknown)
	Peers       int    // established channels
	Err         error  // storage failure that stopped the swarm
	// BytesUp is DATA payload sent; BytesDown is chunk payload received and verified.
	BytesUp, BytesDown uint64
	// RawUp and RawDown are whole datagrams (UDP payload) sent to and received from the
	// swarm's peers, handshakes and control messages included.
	RawUp, RawDown uint64
	// Seeders are established peers that announced every chunk; Leechers the others
	// (while the content size is unknown, every peer counts as a leecher).
	Seeders, Leechers int
	// PlaybackWindows counts the players' windows the picker serves first (SetPlayback).
	PlaybackWindows int
}

// PeerInfo is a read-only view of one established channel.
type PeerInfo struct {
	Addr               netip.AddrPort
	RawUp, RawDown     uint64 // whole datagrams sent to and received from the peer
	BytesUp, BytesDown uint64 // DATA payload sent; verified chunk payload received
	HaveChunks         uint64 // chunks the peer announced (HAVE, or ACK of our DATA)
	Seeder             bool   // it announced every chunk
}

// SwarmInfo returns the view of one swarm.
func (e *Engine) SwarmInfo(id SwarmID) (SwarmInfo, error) {
	s, ok := e.swarms[id]
	if !ok {
		return SwarmInfo{}, ErrUnknownSwarm
	}
	return s.info(), nil
}

func (s *swarm) info() SwarmInfo {
	info := SwarmInfo{
		ID: s.id, Have: s.have.count, Total: s.total(), Err: s.err,
		BytesUp: s.traffic.payloadUp, BytesDown: s.traffic.payloadDown,
		RawUp: s.traffic.rawUp, RawDown: s.traffic.rawDown,
		PlaybackWindows: len(s.windows),
	}
	for _, ch := range s.channels {
		if ch.state != stateEstablished {
			continue
		}
		info.Peers++
		if ch.seeder {
			info.Seeders++
		} else {
			info.Leechers++
		}
	}
	return info
}

// Swarms lists the swarms, ordered by ID.
func (e *Engine) Swarms() []SwarmInfo {
	out := make([]SwarmInfo, 0, len(e.swarms))
	for _, s := range e.swarms {
		out = append(out, s.info())
	}
	slices.SortFunc(out, func(a, b SwarmInfo) int { return strings.Compare(string(a.ID), string(b.ID)) })
	return out
}

// PeerInfos lists a swarm's established channels, in the order they were opened.
func (e *Engine) PeerInfos(id SwarmID) ([]PeerInfo, error) {
	s, ok := e.swarms[id]
	if !ok {
		return nil, ErrUnknownSwarm
	}
	var out []PeerInfo
	for _, ch := range s.channels {
		if ch.state != stateEstablished {
			continue
		}
		out = append(out, PeerInfo{
			Addr:  ch.peer,
			RawUp: ch.traffic.rawUp, RawDown: ch.traffic.rawDown,
			BytesUp: ch.traffic.payloadUp, BytesDown: ch.traffic.payloadDown,
			HaveChunks: ch.peerHave.count,
			Seeder:     ch.seeder,
		})
	}
	return out, nil
}
