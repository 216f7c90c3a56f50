// Package congestion is the sender side of LEDBAT (RFC 6817) as PPSPP uses it (RFC 7574
// §8.15): one Ledbat per channel, fed with the one-way delay samples that come back in ACK
// messages (RFC 7574 §8.7).
//
// The package is pure: no clock, no goroutines, no I/O. Every method that depends on time
// takes `now`, so the engine reads its clock once per loop iteration and tests run on a fake
// clock. A Ledbat is not safe for concurrent use; the goroutine that owns the channel owns it.
//
// # The algorithm (RFC 6817 §2.4.2), in brief
//
// The sender keeps two views of the one-way delay it is sent back:
//   - the base delay, the minimum seen over the last BaseHistory intervals (a minute each by
//     default), which stands for the path's delay with empty queues (base_delay.go);
//   - the current delay, the minimum of the last few samples, which filters out noise
//     (current_delay.go).
//
// Their difference is the queuing delay our own traffic (and anyone else's) has built. Each
// ACK moves the window towards the point where that queuing delay equals Target: it grows by
// up to Gain MSS per round trip when there is no queue, stands still at Target and shrinks
// above it. Loss halves it at most once per round trip; a whole congestion timeout with no
// ACK drops it to one MSS (ledbat.go). The congestion timeout is RFC 6298's RTO with a lower
// floor (rtt.go).
//
// Because only differences between samples matter, a constant offset between the sender's
// and the receiver's clocks cancels out: PPSPP's delay samples may be seconds off, or
// negative, and the controller behaves the same.
//
// # Where we depart from the letter of RFC 6817
//
//   - The flight-size cap of §2.4.2 (cwnd <= flightsize + ALLOWED_INCREASE·MSS) only stops
//     the window from growing past that point; it never shrinks a window that is already
//     larger. Applied literally it would collapse the window every time PPSPP has nothing
//     queued for a moment (waiting for the next REQUEST), and the window would then have to
//     be rebuilt one MSS per round trip.
//   - Base-delay buckets roll by elapsed time, not one per sample: after a silence of several
//     intervals the old minima age out as if samples had kept coming, so "the last
//     BaseHistory intervals" means wall-clock time.
//   - The congestion timeout floor is 200 ms rather than RFC 6298's 1 s (Config.MinCTO).
//   - Config.Validate rejects out-of-range values; New never fails and clamps them instead.
//
// libswift departs much further (25 ms target, mean filter, 30 s buckets, ×0.8 loss backoff;
// see the project's PPSPP notes §6). This package follows RFC 6817; a libswift peer does not
// see our congestion control, so nothing needs to match for interoperability.
package congestion
