// Package engine is ppsppd's protocol core: channels, swarms, handshakes, the picker,
// serving, choking and PEX of RFC 7574. It is a state machine with no sockets, no clock and
// no goroutines: the caller feeds it received datagrams (with their source and arrival time)
// and timer ticks, and collects the datagrams to send, the events to report and the next
// deadline. One caller goroutine owns an Engine; nothing in it is safe for concurrent use.
//
// Misbehaving peers are judged in one place, peerscore.go: handlers report offences there,
// and it alone decides when a peer is disconnected and banned (see its comment for the
// policy and its numbers).
//
// A channel's state is split by role, one file each (see the channel type): handshake.go,
// fetch.go, serve.go, sendcongestion.go, peerhave.go, peerscore.go. How chunks are checked
// and which hashes go with them is the swarm's integrity method (integrity.go), behind one
// small interface: the static Merkle tree, or live content's signatures (liveintegrity.go).
//
// Live swarms (RFC 7574 §6; AddLiveSwarm, Inject) run on the same channels, requests and
// congestion control, on bitmaps whose window slides along the stream (liveswarm.go), so a
// stream that runs for days costs what one discard window costs. What is live only — the
// source's injection and announcements (livesource.go), tuning in near the live edge, and
// how peers relay rather than all fetch from the source (pickLive) — is in live*.go.
//
// Because every input carries its own time, a test can drive many engines over a simulated
// network on a virtual clock (see sim_test.go) and get the same run every time.
package engine
