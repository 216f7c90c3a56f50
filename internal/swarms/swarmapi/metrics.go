package swarmapi

// Count is one value of a labelled counter: the count of one drop reason, close cause or
// kind of peer fault. Name is fixed by the code (never an address or channel ID), so it
// can be a metric label.
type Count struct {
	Name  string
	Value uint64
}

// NodeMetrics are the node's counters in plain types, for the STATS gateway. Every counter
// only grows while the daemon runs. The lists name every reason, cause or kind, zero or
// not, always in the same order.
type NodeMetrics struct {
	DatagramsIn, DatagramsOut uint64
	BytesIn, BytesOut         uint64 // UDP payload bytes
	// Drops counts received datagrams (or their rest) not processed, by reason.
	Drops []Count

	ChunksVerified  uint64 // chunks that passed verification and were stored
	ChunksServed    uint64 // DATA messages sent
	BadChunks       uint64 // chunks that failed verification (discarded)
	RequestTimeouts uint64 // requests asked again because a peer was slow or silent
	RequestsLost    uint64 // requests asked again because chunks asked for later came first

	// Closed counts channels closed, by cause.
	Closed []Count
	// PeerFaults counts misbehaviour the peer policy saw, by kind.
	PeerFaults      []Count
	PeersBanned     uint64 // bans (a repeat offender counts once per ban)
	BanRetries      uint64 // banned only sources connected again after their ban
	RequestBackoffs uint64 // timeout rounds after which a peer's requests were paused

	Channels     int    // open channels
	GSODatagrams uint64 // datagrams sent through UDP segmentation offload

	// EventsDropped counts engine events the manager missed because it fell behind;
	// SwarmEventsDropped counts swarm events the manager's own subscribers (gateways,
	// commands) missed. Either means a status was briefly out of date, never lost data.
	EventsDropped, SwarmEventsDropped uint64

	// SendFailures counts datagrams the kernel refused to send (dropped as UDP drops
	// them); DatagramsOut counted them as sent.
	SendFailures uint64
}
