package node

import (
	"errors"
	"slices"
	"testing"

	"github.com/ppsppd/ppsppd/internal/engine"
)

func TestCoalesceVerifiedKeepsLastPerSwarm(t *testing.T) {
	a, b := engine.SwarmID("aaaa"), engine.SwarmID("bbbb")
	boom := errors.New("boom")
	verified := func(s engine.SwarmID, i uint64) engine.Event {
		return engine.Event{Kind: engine.EventChunkVerified, Swarm: s, Chunk: i}
	}
	in := []engine.Event{
		verified(a, 1),
		{Kind: engine.EventPeerConnected, Swarm: b},
		verified(b, 7),
		verified(a, 2),
		verified(a, 3),
		{Kind: engine.EventComplete, Swarm: a},
		verified(b, 9),
		{Kind: engine.EventSwarmError, Swarm: b, Err: boom},
	}
	want := []engine.Event{
		{Kind: engine.EventPeerConnected, Swarm: b},
		verified(a, 3),
		{Kind: engine.EventComplete, Swarm: a},
		verified(b, 9),
		{Kind: engine.EventSwarmError, Swarm: b, Err: boom},
	}
	var scratch []lastVerified
	got := coalesceVerified(slices.Clone(in), &scratch)
	if !slices.Equal(got, want) {
		t.Fatalf("got %v\nwant %v", got, want)
	}
	// The scratch is reused: a second list comes out right too.
	again := coalesceVerified([]engine.Event{verified(b, 1), verified(b, 2)}, &scratch)
	if !slices.Equal(again, []engine.Event{verified(b, 2)}) {
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
