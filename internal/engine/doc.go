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
// Because every input carries its own time, a test can drive many engines over a simulated
// network on a virtual clock (see sim_test.go) and get the same run every time.
package engine
