//go:build linux

package netlab

import (
	"encoding/binary"
	"errors"
	"net"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// The delay prober stands in for ping (not installed on these machines): small UDP
// datagrams from one namespace to an echo in another, each carrying its send time. Its
// round trip on an otherwise idle path is the queueing delay the bottleneck adds.

// StartEcho answers every datagram arriving at addr inside ns with the same bytes, until
// the test ends.
func (ns *NS) StartEcho(addr netip.AddrPort) {
	ns.lab.t.Helper()
	conn, err := ns.ListenUDP(addr)
	if err != nil {
		ns.lab.t.Fatal(err)
	}
	go func() {
		buf := make([]byte, 2048)
		for {
			n, src, err := conn.ReadFromUDPAddrPort(buf)
			if errors.Is(err, net.ErrClosed) {
				return
			}
			if err == nil {
				_, _ = conn.WriteToUDPAddrPort(buf[:n], src)
			}
		}
	}()
}

// RTT is one probe's round trip, At after the prober started; Lost when no answer came.
type RTT struct {
	At   time.Duration
	RTT  time.Duration
	Lost bool
}

// Prober sends a probe every interval and records round trips.
type Prober struct {
	start time.Time
	conn  *net.UDPConn
	stop  chan struct{}
	wg    sync.WaitGroup

	mu   sync.Mutex
	sent map[uint64]time.Duration // seq -> send time, until answered
	rtts []RTT
}

// probeLen is the probe's size: 8 bytes sequence number, 8 bytes send time (since start),
// padding to a small packet like ping's.
const probeLen = 64

// StartProber probes echo (see StartEcho) from ns every interval until Stop (or the test's
// end). Its clock starts now.
func (ns *NS) StartProber(echo netip.AddrPort, every time.Duration) *Prober {
	ns.lab.t.Helper()
	conn, err := ns.ListenUDP(netip.AddrPortFrom(netip.IPv4Unspecified(), 0))
	if err != nil {
		ns.lab.t.Fatal(err)
	}
	p := &Prober{start: time.Now(), conn: conn, stop: make(chan struct{}), sent: map[uint64]time.Duration{}}
	p.wg.Add(2)
	go p.send(echo, every)
	go p.receive()
	ns.lab.t.Cleanup(func() { p.Stop() })
	return p
}

func (p *Prober) send(echo netip.AddrPort, every time.Duration) {
	defer p.wg.Done()
	tick := time.NewTicker(every)
	defer tick.Stop()
	buf := make([]byte, probeLen)
	for seq := uint64(1); ; seq++ {
		at := time.Since(p.start)
		binary.BigEndian.PutUint64(buf, seq)
		binary.BigEndian.PutUint64(buf[8:], uint64(at))
		p.mu.Lock()
		p.sent[seq] = at
		p.mu.Unlock()
		_, _ = p.conn.WriteToUDPAddrPort(buf, echo)
		select {
		case <-p.stop:
			return
		case <-tick.C:
		}
	}
}

func (p *Prober) receive() {
	defer p.wg.Done()
	buf := make([]byte, 2048)
	for {
		n, _, err := p.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return
		}
		if err != nil || n < 16 {
			continue
		}
		now := time.Since(p.start)
		seq := binary.BigEndian.Uint64(buf)
		p.mu.Lock()
		if at, ok := p.sent[seq]; ok {
			delete(p.sent, seq)
			p.rtts = append(p.rtts, RTT{At: at, RTT: now - at})
		}
		p.mu.Unlock()
	}
}

// Since is how long ago the prober started: the clock its RTTs' At are on.
func (p *Prober) Since() time.Duration { return time.Since(p.start) }

// Stop ends probing and returns every probe sent, in send order, the unanswered ones Lost.
// It may be called more than once.
func (p *Prober) Stop() []RTT {
	select {
	case <-p.stop:
	default:
		// Answers still on the way get a moment (a full bottleneck queue holds them).
		close(p.stop)
		time.Sleep(500 * time.Millisecond)
		_ = p.conn.Close()
	}
	p.wg.Wait()
	p.mu.Lock()
	defer p.mu.Unlock()
	out := slices.Clone(p.rtts)
	for _, at := range p.sent {
		out = append(out, RTT{At: at, Lost: true})
	}
	slices.SortFunc(out, func(a, b RTT) int { return int(a.At - b.At) })
	return out
}

// DelayStats summarizes the answered probes sent in [from, to): the median and 95th
// percentile round trip, and how many probes there were and were lost.
type DelayStats struct {
	Median, P95 time.Duration
	Probes      int
	Lost        int
}

// Delays summarizes rtts sent in [from, to).
func Delays(rtts []RTT, from, to time.Duration) DelayStats {
	var st DelayStats
	var got []time.Duration
	for _, r := range rtts {
		if r.At < from || r.At >= to {
			continue
		}
		st.Probes++
		if r.Lost {
			st.Lost++
			continue
		}
		got = append(got, r.RTT)
	}
	if len(got) == 0 {
		return st
	}
	slices.Sort(got)
	st.Median = got[len(got)/2]
	st.P95 = got[min(len(got)-1, len(got)*95/100)]
	return st
}
