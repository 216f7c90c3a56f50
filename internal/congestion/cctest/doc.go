// Package cctest holds models of other congestion controllers for the simulations that
// check ours: flows that share a bottleneck with a LEDBAT sender and whose behaviour decides
// whether LEDBAT yields. They are models, good enough to reproduce how real TCPs load a
// queue, not implementations to send real traffic with.
//
// Like the congestion package, everything takes the time as an argument; nothing reads a
// clock, so a simulation that drives them is deterministic.
package cctest

import "time"

// Flow is what a simulation drives: send while CanSend allows and the pacer's NextSend has
// come, hand OnSend's state back with the packet's ACK, report losses. ACKs and losses
// must come back in the order the packets were sent (true of one FIFO path).
type Flow interface {
	CanSend(flight int) bool
	NextSend() time.Time
	OnSend(now time.Time, flight int) Sent
	// OnAck: flight is what is still in flight after this packet.
	OnAck(now time.Time, bytes int, s Sent, flight int)
	OnLoss(now time.Time)
}

var (
	_ Flow = (*BBR)(nil)
	_ Flow = (*Cubic)(nil)
)
