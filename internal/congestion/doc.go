// Package congestion is the sender side of PPSPP's congestion control (RFC 7574 §8.15): one
// Ledbat per channel, fed with the one-way delay samples that come back in ACK messages
// (RFC 7574 §8.7). It implements LEDBAT (RFC 6817) and, by default, LEDBAT++
// (draft-irtf-iccrg-ledbat-plus-plus) with one change of our own, the target bounded by the
// round trip; Config.Variant chooses.
//
// The package is pure: no clock, no goroutines, no I/O. Every method that depends on time
// takes `now`, so the engine reads its clock once per loop iteration and tests run on a fake
// clock. A Ledbat is not safe for concurrent use; the goroutine that owns the channel owns it.
//
// # What both variants share (RFC 6817 §2.4.2)
//
// The sender keeps two views of the one-way delay it is sent back:
//   - the base delay, the minimum seen over the last BaseHistory intervals (a minute each by
//     default), which stands for the path's delay with empty queues (base_delay.go);
//   - the current delay, the minimum of the last few samples, which filters out noise
//     (current_delay.go).
//
// Their difference is the queuing delay our own traffic (and anyone else's) has built. Each
// ACK moves the window towards the point where that queuing delay equals the target. Loss
// halves it at most once per round trip; a whole congestion timeout with no ACK drops it to
// one MSS (ledbat.go). The congestion timeout is RFC 6298's RTO with a lower floor (rtt.go).
//
// Because only differences between samples matter, a constant offset between the sender's
// and the receiver's clocks cancels out: PPSPP's delay samples may be seconds off, or
// negative, and the controller behaves the same.
//
// # RFC6817
//
// The window grows by up to Gain MSS per round trip when there is no queue, stands still at
// Target (100 ms) and shrinks linearly above it: by Gain MSS per round trip for every
// target's worth of excess.
//
// # LEDBATPlusPlus, the default, and why
//
// Measured on a real 20 Mbit/s link with a 300 ms buffer (issue 17), RFC 6817 LEDBAT yielded
// to TCP CUBIC (CUBIC kept 99 % of its rate) but not to TCP BBR (BBR kept 41-65 %). The
// simulations here reproduce both (competition_sim_test.go; internal/engine's
// issue17_sim_test.go with the models of package cctest). The reasons, and what each
// candidate did in the simulations on 0.2-40 ms paths:
//
//   - BBR (version 1, Linux's) paces at its bandwidth estimate, the largest delivery rate of
//     the last ten round trips, and caps what it has in flight at twice its bandwidth-delay
//     product plus three bursts of about a millisecond each. So it holds little queue of its
//     own. A flow that keeps a standing queue longer than BBR's base round trip plus those
//     bursts makes BBR window-limited: its delivery rate falls, its estimate follows, its
//     cap shrinks, and it starves. RFC 6817 holds 100 ms of queue whenever it can, so beside
//     BBR it never sees much more delay than its own and hardly backs off: BBR kept 53-57 %
//     on paths of 10 ms or less (66 % in the engine's simulation), 75 % on a 40 ms one.
//   - LEDBAT++ as drafted (a 60 ms target; GAIN divided by up to 16 on short paths; above the
//     target a decrease proportional to the window and to the excess, at most half per
//     round trip; slow start ending at 3/4 of the target; periodic slowdowns to two MSS for
//     two round trips, every nine slowdown durations) fixes the response to loss-based flows:
//     the multiplicative decrease leaves CUBIC 99.7 % where RFC 6817's linear one, minutes
//     slow from a large window, left it 73-82 % without the engine's request limits. But its
//     60 ms target is as far above a LAN's round trip as 100 ms: BBR kept 34-58 % on paths
//     of 10 ms or less (83 % at 40 ms).
//   - A fixed lower target (libswift uses 25 ms) has the same problem on any path shorter
//     than the target. Detecting competition from our own delivery rate falling below the
//     path's capacity (measured when alone) would catch BBR, but a capacity estimate goes
//     stale, and two of our own flows would each take the other for competition and a
//     latecomer would never learn the capacity at all.
//   - Chosen: LEDBAT++ with the target bounded by the path: half the smallest round trip
//     seen, at least MinTarget (2 ms, above the noise of user-space timestamps) and at most
//     Target (60 ms). A background flow then adds at most half a round trip to the path it
//     shares, which BBR's window absorbs, and on a long path it is LEDBAT++ as drafted.
//     The draft's GAIN uses the target in effect. Beside BBR, TCP kept 86-97 %; beside
//     CUBIC 99.7 %; alone the link stays at least 93 % busy (the slowdowns cost the rest);
//     in the engine's simulation of issue 17's link BBR kept 90 % and CUBIC 100 %.
//
// Two more departures from the draft, both for a latecomer among our own flows. The ramp after
// a slowdown returns to the window from before it whatever the delay (the draft's slow start
// would stop at 3/4 of the target, which another flow holding the queue at its target leaves
// behind at once, so each slowdown cost the latecomer its whole window). And the decrease
// constant is 1/4, not 1: two flows settle where each one's decrease balances its GAIN, only
// GAIN/constant packet times above the target, while a latecomer's base delay is wrong by the
// queue the other's minimum window keeps (the queue never empties while both are sending);
// with the draft's constant that error decided the split (1:2.8 on a 1 ms path), with a
// quarter the two stay within a factor of 2 (1:1.6 or better) on paths of 1 ms and more. On a path whose
// bandwidth-delay product is below one datagram (a LAN at 0.2 ms) two minimum windows still
// keep 1.5 ms of queue, and the latecomer keeps about three times the first flow's share.
// Loss-based flows are unaffected by the smaller constant: a full buffer is far beyond the
// target and takes the capped half window per round trip.
//
// Config.FixedTarget gives the draft's fixed target, Config.NoSlowdowns turns the slowdowns
// off, Config.Variant = RFC6817 gives RFC 6817.
//
// # Where we depart from the letter of RFC 6817 (both variants)
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
// see the project's PPSPP notes §6). A libswift peer does not see our congestion control: it
// decides only when our DATA goes out, and the wire (DATA timestamps, ACK delay samples) is
// the same for every variant, so nothing needs to match for interoperability.
package congestion
