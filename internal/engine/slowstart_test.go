package engine

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// TestSlowStartWithBatchedAcks: a receiver that acknowledges a whole flight at once (as a
// batch-reading peer does, hundreds of ACKs per receive batch) must still let LEDBAT's slow
// start double the window each round trip. Counting the flight at each ACK of the burst
// would cap the window at what the first ACK allowed: two more datagrams per round trip.
func TestSlowStartWithBatchedAcks(t *testing.T) {
	const chunks = 2000
	e, id := seedingEngine(t, Config{}, testContent(11, chunks*testCS))
	e.HandleDatagram(t0, rawPeer, initiate(t, 0xabc, id, true, nil))
	reply := decodeOut(t, e.Outgoing())[0]
	ours := reply.Messages[0].(*wire.Handshake).Source

	c := wire.DefaultContext()
	c.Hash = wire.SHA1
	req, _ := wire.AppendDatagram(nil, ours, &c, &wire.Request{Spec: wire.RangeSpec(0, chunks-1)})
	now := t0.Add(time.Millisecond)
	e.HandleDatagram(now, rawPeer, req)

	var flights []int
	for round := 0; round < 7; round++ {
		var acks []wire.Message
		for _, dg := range decodeOut(t, e.Outgoing()) {
			for _, m := range dg.Messages {
				if d, ok := m.(*wire.Data); ok {
					acks = append(acks, &wire.Ack{Spec: d.Spec, Delay: 500})
				}
			}
		}
		flights = append(flights, len(acks))
		// The whole flight's ACKs arrive in one burst, 80 to a datagram, before one flush.
		now = now.Add(2 * time.Millisecond)
		for len(acks) > 0 {
			n := min(80, len(acks))
			dg, err := wire.AppendDatagram(nil, ours, &c, acks[:n]...)
			if err != nil {
				t.Fatal(err)
			}
			e.Receive(now, rawPeer, dg)
			acks = acks[n:]
		}
		e.Flush(now)
	}
	t.Logf("DATA per round trip: %v", flights)
	for i := 1; i < len(flights); i++ {
		if flights[i] < flights[i-1]*3/2 {
			t.Fatalf("round %d sent %d DATA after %d: the window did not grow as in slow start (%v)", i, flights[i], flights[i-1], flights)
		}
	}
}
