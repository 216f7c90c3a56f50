package engine

// DropReason says why a datagram, or the rest of one, was not processed.
type DropReason uint8

// Drop reasons; a fixed set, so they can be metric labels.
const (
	DropMalformed      DropReason = iota // failed to decode (RFC 7574 §3: drop the rest)
	DropUnknownChannel                   // destination channel not ours
	DropWrongPeer                        // channel known, but the datagram came from another address
	DropHandshake                        // a HANDSHAKE we do not answer (unknown swarm, options we cannot serve)
	DropNotHandshake                     // channel 0 without a HANDSHAKE first
	DropEarly                            // messages before the handshake completed
	numDropReasons
)

var dropReasonNames = [numDropReasons]string{
	"malformed", "unknown_channel", "wrong_peer", "handshake_rejected", "not_handshake", "early",
}

func (r DropReason) String() string {
	if r < numDropReasons {
		return dropReasonNames[r]
	}
	return "unknown"
}

// Stats are the engine's counters. They only grow; the stats gateway reads them at scrape time.
type Stats struct {
	DatagramsIn, DatagramsOut uint64
	BytesIn, BytesOut         uint64
	Drops                     [numDropReasons]uint64

	ChunksVerified  uint64 // chunks that passed verification and were stored
	ChunksServed    uint64 // DATA messages sent
	ServeFailures   uint64 // requested chunks we have but could not send (hash or length unknown)
	DuplicateChunks uint64 // DATA for chunks we already had
	BadChunks       uint64 // DATA that failed verification (discarded, never stored or forwarded)
	// MisfitChunks: those of BadChunks that could not be their chunk at all (wrong length,
	// or peak hashes for another chunk count): the peer's swarm has another shape than ours.
	MisfitChunks uint64
	// UnverifiableChunks: DATA whose hashes were lost with an earlier datagram; discarded
	// and asked for again, without blaming the peer.
	UnverifiableChunks uint64
	UnrequestedData    uint64 // DATA we did not ask for and could not verify
	RequestTimeouts    uint64 // requests re-issued because a peer was slow or silent
	RequestsLost       uint64 // requests re-issued because chunks asked for later came first
	DataLost           uint64 // times sent DATA went unacknowledged for a congestion timeout
	IgnoredChokes      uint64 // REQUESTs from peers we had choked
	BadHaves           uint64 // HAVEs for chunks outside the content
	StorageErrors      uint64
	HandshakeRetries   uint64
	CompatFallbacks    uint64 // handshakes resent in the form libswift accepts

	// Disconnections by cause.
	ClosedByPeer, ClosedTimeout, ClosedBadData, ClosedMalformed, ClosedUnresponsive, ClosedIgnoredChoke uint64
	// ClosedBothComplete: channels between two holders of the whole content, closed to make
	// room for a new peer at their address (MaxChannelsPerIP).
	ClosedBothComplete uint64

	// Peer policy (peerscore.go).
	ClosedFlood       uint64 // disconnected for REQUESTs past their queue
	OversizeData      uint64 // DATA longer than its chunk: the chunk's own bytes were checked
	OversizeBytes     uint64 // the bytes past the chunk in such DATA
	BadPeaks          uint64 // peak hashes that did not reproduce the swarm ID
	RequestsRefused   uint64 // REQUESTs from a peer that already had MaxQueued chunks waiting
	DuplicateRequests uint64 // REQUESTs repeating the last one while chunks still wait
	HandshakesRefused uint64 // from banned peers, or past MaxChannelsPerIP
	ColdHandshakes    uint64 // for swarms not held, handed to Config.UnknownSwarm to load
	PeersBanned       uint64 // bans (a repeat offender counts once per ban)
	BanRetries        uint64 // banned only sources connected again after their ban
	RequestBackoffs   uint64 // timeout rounds after which a peer's requests were paused

	// Live streams (RFC 7574 §6).
	LiveBadSignatures uint64 // SIGNED_INTEGRITY that did not verify or named no munro: dropped, peer penalised
	LiveOutsideWindow uint64 // live chunks, munros or HAVEs outside the discard window or stale: dropped, peer penalised
	LiveInjected      uint64 // chunks our live sources injected
}
