package congestion

import (
	"container/heap"
	"testing"
	"time"
)

// A deterministic packet-level model of one bottleneck: a link of fixed capacity behind a
// drop-tail FIFO, fixed propagation delays each way, and window-based senders that get one
// ACK per datagram. It checks the two things RFC 6817 §1 and §4.2 promise: alone, LEDBAT
// fills the link while holding the queue near TARGET; next to a loss-based TCP-like flow it
// gets out of the way.

// sender is what the model needs from a congestion controller; Ledbat has these methods
// and so does the AIMD flow below.
type sender interface {
	CanSend(flight int) bool
	OnAck(now time.Time, bytesAcked int, delay time.Duration, flight int, rtt time.Duration)
	OnLoss(now time.Time)
}

type simConfig struct {
	rate     float64       // link capacity, bytes per second
	buffer   int           // FIFO size, bytes
	fwd, rev time.Duration // propagation delay each way
	mss      int
}

type simFlow struct {
	cc     sender        // a pacer too, when it paces its sends
	start  time.Duration // virtual time at which it begins sending
	offset time.Duration // receiver clock minus sender clock
	flight int

	// Measured over the window [measureFrom, end):
	acked          int           // bytes acknowledged
	queued         time.Duration // sum of the time its datagrams waited in the FIFO
	sent           int           // datagrams that entered the FIFO
	drops          int
	ledbatQueueSum time.Duration // Ledbat's own QueuingDelay estimate, summed per ACK

	paceAt time.Duration // when an evPace is scheduled for it; 0 for none
}

// pacer is a sender that spaces its datagrams out in time (BBR) rather than sending a window
// at once; it hears of every send.
type pacer interface {
	NextSend() time.Time
	OnSend(now time.Time, flight int)
}

type simEvent struct {
	at     time.Duration
	seq    int // ties broken by scheduling order, so runs are repeatable
	flow   int
	kind   int // evStart, evAck, evLoss, evPace
	sentAt time.Duration
	arrive time.Duration // at the receiver
}

const (
	evStart = iota
	evAck
	evLoss
	evPace
)

type eventQueue []simEvent

func (q eventQueue) Len() int { return len(q) }
func (q eventQueue) Less(i, j int) bool {
	if q[i].at != q[j].at {
		return q[i].at < q[j].at
	}
	return q[i].seq < q[j].seq
}
func (q eventQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *eventQueue) Push(x any)   { *q = append(*q, x.(simEvent)) }
func (q *eventQueue) Pop() any {
	old := *q
	e := old[len(old)-1]
	*q = old[:len(old)-1]
	return e
}

type sim struct {
	cfg         simConfig
	flows       []*simFlow
	events      eventQueue
	seq         int
	linkFree    time.Duration // when the link has sent everything queued so far
	measureFrom time.Duration
	end         time.Duration
	departed    int // bytes the link finished sending during [measureFrom, end)
}

func (s *sim) schedule(e simEvent) {
	e.seq = s.seq
	s.seq++
	heap.Push(&s.events, e)
}

func (s *sim) txTime(bytes int) time.Duration {
	return time.Duration(float64(bytes) / s.cfg.rate * float64(time.Second))
}

// send puts one datagram of flow i into the FIFO at now, or drops it if the FIFO is full.
// A drop is noticed when the next datagram's ACK would have come back.
func (s *sim) send(i int, now time.Duration) {
	f := s.flows[i]
	if p, ok := f.cc.(pacer); ok {
		p.OnSend(epoch.Add(now), f.flight)
	}
	f.flight += s.cfg.mss
	backlog := max(s.linkFree-now, 0)
	backlogBytes := int(backlog.Seconds() * s.cfg.rate)
	start := max(s.linkFree, now)
	if backlogBytes+s.cfg.mss > s.cfg.buffer {
		if now >= s.measureFrom {
			f.drops++
		}
		detect := start + s.txTime(s.cfg.mss) + s.cfg.fwd + s.cfg.rev
		s.schedule(simEvent{at: detect, flow: i, kind: evLoss, sentAt: now})
		return
	}
	depart := start + s.txTime(s.cfg.mss)
	s.linkFree = depart
	if now >= s.measureFrom {
		f.queued += start - now
		f.sent++
	}
	if depart >= s.measureFrom && depart < s.end {
		s.departed += s.cfg.mss
	}
	arrive := depart + s.cfg.fwd
	s.schedule(simEvent{at: arrive + s.cfg.rev, flow: i, kind: evAck, sentAt: now, arrive: arrive})
}

func (s *sim) pump(i int, now time.Duration) {
	f := s.flows[i]
	p, paced := f.cc.(pacer)
	for f.cc.CanSend(f.flight) {
		if paced {
			if next := p.NextSend().Sub(epoch); next > now {
				if f.paceAt != next {
					f.paceAt = next
					s.schedule(simEvent{at: next, flow: i, kind: evPace})
				}
				return
			}
		}
		s.send(i, now)
	}
}

func (s *sim) run(end time.Duration) {
	s.end = end
	for i, f := range s.flows {
		s.schedule(simEvent{at: f.start, flow: i, kind: evStart})
	}
	s.runUntil(end)
}

// runUntil handles the events before until, leaving the later ones queued.
func (s *sim) runUntil(until time.Duration) {
	for s.events.Len() > 0 {
		if s.events[0].at >= until {
			return
		}
		e := heap.Pop(&s.events).(simEvent)
		f, now := s.flows[e.flow], epoch.Add(e.at)
		switch e.kind {
		case evAck:
			// The receiver stamps the one-way delay on its own clock (RFC 7574 §8.7).
			delay := e.arrive - e.sentAt + f.offset
			f.cc.OnAck(now, s.cfg.mss, delay, f.flight, e.at-e.sentAt)
			f.flight -= s.cfg.mss
			if e.at >= s.measureFrom {
				f.acked += s.cfg.mss
				if l, ok := f.cc.(*Ledbat); ok {
					f.ledbatQueueSum += l.QueuingDelay()
				}
			}
		case evLoss:
			f.flight -= s.cfg.mss
			f.cc.OnLoss(now)
		case evPace:
			if e.at != f.paceAt {
				continue // superseded by a later schedule
			}
			f.paceAt = 0
		}
		s.pump(e.flow, e.at)
	}
}

// aimd is a loss-based TCP-Reno-like window for the model: slow start, then one MSS per
// round trip, halved at most once per round trip on loss. It ignores delay entirely, so it
// fills the FIFO until it overflows.
type aimd struct {
	mss      int
	cwnd     float64
	ssthresh float64
	srtt     time.Duration
	lastCut  time.Time
}

func newAIMD(mss int) *aimd {
	return &aimd{mss: mss, cwnd: float64(2 * mss), ssthresh: 1e18}
}

func (a *aimd) CanSend(flight int) bool {
	return flight <= 0 || float64(flight+a.mss) <= a.cwnd
}

func (a *aimd) OnAck(_ time.Time, bytes int, _ time.Duration, _ int, rtt time.Duration) {
	if a.srtt == 0 {
		a.srtt = rtt
	} else {
		a.srtt += (rtt - a.srtt) / 8
	}
	if a.cwnd < a.ssthresh {
		a.cwnd += float64(bytes)
	} else {
		a.cwnd += float64(a.mss) * float64(bytes) / a.cwnd
	}
}

func (a *aimd) OnLoss(now time.Time) {
	if !a.lastCut.IsZero() && now.Sub(a.lastCut) < a.srtt {
		return
	}
	a.lastCut = now
	a.cwnd = max(a.cwnd/2, float64(2*a.mss))
	a.ssthresh = a.cwnd
}

// 10 Mbit/s, a 1-second drop-tail buffer, 40 ms base round trip.
func defaultSim() simConfig {
	const rate = 10e6 / 8
	return simConfig{rate: rate, buffer: rate, fwd: 20 * ms, rev: 20 * ms, mss: 1100}
}

func TestQueueSimLedbatAlone(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	cfg := defaultSim()
	l := New(Config{Variant: RFC6817, MSS: cfg.mss}, epoch)
	// The receiver's clock runs 7 s behind ours: the delay samples are all negative.
	s := &sim{cfg: cfg, flows: []*simFlow{{cc: l, offset: -7 * time.Second}}, measureFrom: 80 * time.Second}
	const end = 120 * time.Second
	s.run(end)

	f := s.flows[0]
	window := end - s.measureFrom
	queue := f.queued / time.Duration(f.sent)
	estimate := f.ledbatQueueSum / time.Duration(f.acked/cfg.mss)
	util := float64(s.departed) / (cfg.rate * window.Seconds())
	t.Logf("LEDBAT alone, last %v of %v: mean queuing delay %v (LEDBAT's estimate %v), utilisation %.1f%%, cwnd %d MSS, drops %d",
		window, end, queue.Round(100*time.Microsecond), estimate.Round(100*time.Microsecond), 100*util, l.Cwnd()/cfg.mss, f.drops)

	target := l.Config().Target
	if queue < target*3/4 || queue > target*5/4 {
		t.Errorf("mean queuing delay %v, want TARGET %v ± 25%%", queue, target)
	}
	if util < 0.9 {
		t.Errorf("link utilisation %.1f%%, want > 90%%", 100*util)
	}
	if f.drops != 0 {
		t.Errorf("%d drops: LEDBAT alone should never fill a 1 s buffer", f.drops)
	}
}

func TestQueueSimLedbatYieldsToAIMD(t *testing.T) {
	if testing.Short() {
		t.Skip("simulation")
	}
	cfg := defaultSim()
	l := New(Config{Variant: RFC6817, MSS: cfg.mss}, epoch)
	// LEDBAT starts first and learns the true base delay; the AIMD flow joins a minute in.
	s := &sim{cfg: cfg, measureFrom: 120 * time.Second, flows: []*simFlow{
		{cc: l, offset: 5 * time.Second},
		{cc: newAIMD(cfg.mss), start: 60 * time.Second},
	}}
	const end = 180 * time.Second
	s.run(end)

	led, tcp := s.flows[0], s.flows[1]
	window := end - s.measureFrom
	share := float64(led.acked) / float64(led.acked+tcp.acked)
	queue := tcp.queued / time.Duration(tcp.sent)
	util := float64(s.departed) / (cfg.rate * window.Seconds())
	t.Logf("LEDBAT + AIMD, last %v of %v: LEDBAT share %.2f%% (%d vs %d bytes), mean queuing delay %v, utilisation %.1f%%, LEDBAT cwnd %d MSS, drops LEDBAT %d AIMD %d",
		window, end, 100*share, led.acked, tcp.acked, queue.Round(ms), 100*util, l.Cwnd()/cfg.mss, led.drops, tcp.drops)

	if share > 0.1 {
		t.Errorf("LEDBAT's share %.1f%%, want well below half (< 10%%)", 100*share)
	}
	if got := l.Cwnd(); got > 4*cfg.mss {
		t.Errorf("LEDBAT cwnd %d MSS with the buffer full of TCP, want near MIN_CWND", got/cfg.mss)
	}
	if util < 0.9 {
		t.Errorf("link utilisation %.1f%%, want > 90%% (the AIMD flow takes what LEDBAT leaves)", 100*util)
	}
}
