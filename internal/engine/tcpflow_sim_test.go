package engine

import (
	"time"

	"github.com/ppsppd/ppsppd/internal/congestion/cctest"
)

// tcpFlow is a TCP bulk transfer (iperf3, say) that shares a node's uplink with the engine,
// packet by packet: a cctest model (BBR, CUBIC) decides when to send; each packet queues
// behind everything else on the uplink, or is dropped when the buffer is full; its ACK comes
// back rtt after it left the uplink, and a drop is noticed when the ACK would have come.
type tcpFlow struct {
	node   *simNode
	cc     cctest.Flow
	rtt    time.Duration // the round trip besides the uplink's queue and serialisation
	start  time.Time
	stop   time.Time // it sends nothing from then on
	flight int
	out    []tcpPacket // in send order, which is also the order of their due times

	// Payload acknowledged and packets dropped within [measureFrom, stop).
	measureFrom time.Time
	bytes       int
	drops       int
}

type tcpPacket struct {
	due  time.Time // of its ACK, or of noticing its loss
	lost bool
	sent cctest.Sent
}

const (
	tcpWire    = 1514 // an Ethernet frame of TCP: what the uplink carries per packet
	tcpPayload = 1448 // what iperf3 counts of it
)

func newTCPFlow(net *simNet, node *simNode, cc cctest.Flow, rtt time.Duration, start, stop time.Time) *tcpFlow {
	f := &tcpFlow{node: node, cc: cc, rtt: rtt, start: start, stop: stop, measureFrom: start}
	net.tickers = append(net.tickers, &ticker{next: start, fn: f.step})
	return f
}

// step handles the ACKs and losses due by now, sends what the model allows, and returns when
// it next has something to do.
func (f *tcpFlow) step(now time.Time) time.Duration {
	for len(f.out) > 0 && !f.out[0].due.After(now) {
		p := f.out[0]
		f.out = f.out[1:]
		f.flight -= tcpWire
		if p.lost {
			f.cc.OnLoss(now)
			continue
		}
		f.cc.OnAck(now, tcpWire, p.sent, f.flight)
		if !now.Before(f.measureFrom) && now.Before(f.stop) {
			f.bytes += tcpPayload
		}
	}
	for now.Before(f.stop) && f.cc.CanSend(f.flight) && !f.cc.NextSend().After(now) {
		f.send(now)
	}
	next := time.Duration(1<<62 - 1)
	if len(f.out) > 0 {
		next = f.out[0].due.Sub(now)
	}
	if now.Before(f.stop) && f.cc.CanSend(f.flight) {
		next = min(next, f.cc.NextSend().Sub(now))
	}
	return max(next, time.Microsecond)
}

func (f *tcpFlow) send(now time.Time) {
	l := f.node.link
	p := tcpPacket{sent: f.cc.OnSend(now, f.flight)}
	f.flight += tcpWire
	queued := max(f.node.linkFree.Sub(now), 0)
	if queued > l.buffer {
		p.lost = true
		p.due = maxTime(now, f.node.linkFree).Add(f.rtt)
		if !now.Before(f.measureFrom) {
			f.drops++
		}
	} else {
		depart := maxTime(now, f.node.linkFree).Add(time.Duration(tcpWire / l.rate * float64(time.Second)))
		f.node.linkFree = depart
		p.due = depart.Add(f.rtt)
	}
	f.out = append(f.out, p)
}

// rate is the flow's goodput over its measured time, in bytes per second.
func (f *tcpFlow) rate() float64 {
	return float64(f.bytes) / f.stop.Sub(f.measureFrom).Seconds()
}
