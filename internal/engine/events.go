package engine

import (
	"fmt"
	"net/netip"
)

// EventKind says what happened.
type EventKind uint8

// Events the engine reports.
const (
	EventPeerConnected   EventKind = iota + 1 // handshake completed
	EventPeerClosed                           // channel closed (explicitly, by timeout, or for misbehaviour)
	EventPeerUnreachable                      // our HANDSHAKE was never answered
	EventChunkVerified                        // a chunk passed verification and was stored
	EventSizeKnown                            // the content size became known (peak hashes verified)
	EventComplete                             // every chunk of the swarm is verified
	EventSwarmError                           // storage failed; the swarm stops downloading
)

func (k EventKind) String() string {
	switch k {
	case EventPeerConnected:
		return "peer-connected"
	case EventPeerClosed:
		return "peer-closed"
	case EventPeerUnreachable:
		return "peer-unreachable"
	case EventChunkVerified:
		return "chunk-verified"
	case EventSizeKnown:
		return "size-known"
	case EventComplete:
		return "complete"
	case EventSwarmError:
		return "swarm-error"
	}
	return fmt.Sprintf("event(%d)", uint8(k))
}

// Event is one thing that happened inside the engine, for the runner to fan out.
type Event struct {
	Kind  EventKind
	Swarm SwarmID
	Peer  netip.AddrPort
	Chunk uint64 // EventChunkVerified
	// Chunks is how many verified chunks an EventChunkVerified stands for: 0 (meaning 1)
	// from the engine; the node merges a loop turn's events of one swarm and one peer into
	// one, the last chunk in Chunk, and puts their count here (VerifiedCount reads either).
	Chunks uint64
	Err    error // the reason, for EventPeerClosed, EventPeerUnreachable and EventSwarmError
}

// VerifiedCount is how many chunks an EventChunkVerified stands for (see Chunks).
func (ev Event) VerifiedCount() uint64 { return max(ev.Chunks, 1) }
