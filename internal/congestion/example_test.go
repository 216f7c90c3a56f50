package congestion_test

import (
	"fmt"
	"time"

	"github.com/ppsppd/ppsppd/internal/congestion"
)

// How a channel drives its Ledbat: send while CanSend allows, feed every ACK's delay sample
// to OnAck, and keep one timer at NextTimeout while datagrams are in flight.
func Example() {
	start := time.Date(2026, 8, 1, 12, 0, 0, 0, time.UTC)
	const mss = 1100
	l := congestion.New(congestion.Config{MSS: mss, NoSlowStart: true}, start)

	flight := 0
	for l.CanSend(flight) {
		flight += mss // send one DATA datagram
	}
	fmt.Println("in flight:", flight/mss, "datagrams, cwnd", l.Cwnd())

	// The first ACK: the peer's clock runs 2 s ahead of ours, so its delay sample reads
	// 2.03 s for a 30 ms path; only changes from the base delay count.
	now := start.Add(60 * time.Millisecond)
	l.OnAck(now, mss, 2*time.Second+30*time.Millisecond, flight, 60*time.Millisecond)
	flight -= mss
	fmt.Println("cwnd", l.Cwnd(), "queuing delay", l.QueuingDelay(), "timeout in", l.NextTimeout(now).Sub(now))
	// Output:
	// in flight: 2 datagrams, cwnd 2200
	// cwnd 2750 queuing delay 0s timeout in 200ms
}
