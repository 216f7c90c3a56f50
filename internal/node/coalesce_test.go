package node

import (
	"errors"
	"net/netip"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/engine"
)

func TestCoalesceVerifiedKeepsLastPerSwarmAndPeer(t *testing.T) {
	a, b := engine.SwarmID("aaaa"), engine.SwarmID("bbbb")
	p, q := netip.MustParseAddrPort("127.0.0.1:1"), netip.MustParseAddrPort("127.0.0.1:2")
	boom := errors.New("boom")
	verified := func(s engine.SwarmID, from netip.AddrPort, i, n uint64) engine.Event {
		return engine.Event{Kind: engine.EventChunkVerified, Swarm: s, Peer: from, Chunk: i, Chunks: n}
	}
	in := []engine.Event{
		verified(a, p, 1, 0),
		{Kind: engine.EventPeerConnected, Swarm: b},
		verified(b, p, 7, 0),
		verified(a, q, 2, 0),
		verified(a, p, 3, 0),
		{Kind: engine.EventComplete, Swarm: a},
		verified(b, p, 9, 0),
		{Kind: engine.EventSwarmError, Swarm: b, Err: boom},
	}
	want := []engine.Event{
		{Kind: engine.EventPeerConnected, Swarm: b},
		verified(a, q, 2, 1),
		verified(a, p, 3, 2),
		{Kind: engine.EventComplete, Swarm: a},
		verified(b, p, 9, 2),
		{Kind: engine.EventSwarmError, Swarm: b, Err: boom},
	}
	var scratch []lastVerified
	got := coalesceVerified(slices.Clone(in), &scratch)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	// Every chunk is still counted, per peer.
	counts := map[netip.AddrPort]uint64{}
	for _, ev := range got {
		if ev.Kind == engine.EventChunkVerified {
			counts[ev.Peer] += ev.VerifiedCount()
		}
	}
	if counts[p] != 4 || counts[q] != 1 {
		t.Fatalf("counts %v, want 4 from %v and 1 from %v", counts, p, q)
	}
	// The scratch is reused: a second list comes out right too.
	again := coalesceVerified([]engine.Event{verified(b, p, 1, 0), verified(b, p, 2, 0)}, &scratch)
	if !slices.Equal(again, []engine.Event{verified(b, p, 2, 2)}) {
		t.Fatalf("second call: %v", again)
	}
}

func TestCoalesceVerifiedLeavesOtherEventsAlone(t *testing.T) {
	in := []engine.Event{{Kind: engine.EventPeerConnected}, {Kind: engine.EventPeerClosed}}
	var scratch []lastVerified
	if got := coalesceVerified(slices.Clone(in), &scratch); !slices.Equal(got, in) {
		t.Fatalf("got %v, want %v", got, in)
	}
	if got := coalesceVerified(nil, &scratch); len(got) != 0 {
		t.Fatalf("got %v for no events", got)
	}
}
