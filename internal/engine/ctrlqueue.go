package engine

import "github.com/ppsppd/ppsppd/internal/wire"

// ctrlQueue holds a channel's outgoing control messages (HAVE, ACK, REQUEST, CANCEL, PEX...),
// encoded back to back in ctrl, ctrlEnds marking where each ends. A flush puts them into
// datagrams whole, in the room beside DATA or in datagrams of their own; queueing them
// encoded costs no allocation per message.
type ctrlQueue struct {
	ctrl     []byte
	ctrlEnds []int
}

// pushed records that b, the queue's bytes, now ends with one more encoded message.
func (q *ctrlQueue) pushed(b []byte) {
	q.ctrl = b
	q.ctrlEnds = append(q.ctrlEnds, len(b))
}

// takeCtrl moves whole queued control messages onto b while b stays within limit. Every
// control message is far smaller than a datagram, so a fresh datagram always takes one.
func (q *ctrlQueue) takeCtrl(b []byte, limit int) []byte {
	taken, k := 0, 0
	for ; k < len(q.ctrlEnds) && len(b)+q.ctrlEnds[k]-taken <= limit; k++ {
		b = append(b, q.ctrl[taken:q.ctrlEnds[k]]...)
		taken = q.ctrlEnds[k]
	}
	if k == 0 && len(b) == wire.HeaderLen && len(q.ctrlEnds) > 0 {
		// Cannot happen with real messages; drop rather than loop forever.
		taken, k = q.ctrlEnds[0], 1
	}
	rest := copy(q.ctrl, q.ctrl[taken:])
	q.ctrl = q.ctrl[:rest]
	ends := q.ctrlEnds[:0]
	for _, end := range q.ctrlEnds[k:] {
		ends = append(ends, end-taken)
	}
	q.ctrlEnds = ends
	return b
}
