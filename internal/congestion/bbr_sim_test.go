package congestion

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/congestion/cctest"
)

// flowSender puts a cctest model (BBR, CUBIC) on the queue simulation. The models need each
// packet's send state back with its ACK; on one FIFO path ACKs and losses come back in the
// order the packets were sent, so a queue of those states is enough.
type flowSender struct {
	flow cctest.Flow
	sent []cctest.Sent
}

func newFlowSender(f cctest.Flow) *flowSender { return &flowSender{flow: f} }

func (f *flowSender) CanSend(flight int) bool { return f.flow.CanSend(flight) }
func (f *flowSender) NextSend() time.Time     { return f.flow.NextSend() }

func (f *flowSender) OnSend(now time.Time, flight int) {
	f.sent = append(f.sent, f.flow.OnSend(now, flight))
}

func (f *flowSender) OnAck(now time.Time, bytes int, _ time.Duration, flight int, _ time.Duration) {
	s := f.sent[0]
	f.sent = f.sent[1:]
	f.flow.OnAck(now, bytes, s, flight-bytes)
}

func (f *flowSender) OnLoss(now time.Time) {
	f.sent = f.sent[1:]
	f.flow.OnLoss(now)
}
