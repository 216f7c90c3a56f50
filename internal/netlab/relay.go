//go:build linux

package netlab

import (
	"container/heap"
	"errors"
	"math/rand/v2"
	"net"
	"net/netip"
	"sync"
	"time"
)

// RelayConfig says what the relay does to each datagram it forwards.
type RelayConfig struct {
	// Delay holds every datagram this long (each way, so a round trip gains 2×Delay).
	Delay time.Duration
	// Jitter adds a uniformly random extra hold in [0, Jitter) per datagram. Datagrams sent
	// closer together than that overtake one another: this is the reordering.
	Jitter time.Duration
}

// RelayStats count what the relay forwarded.
type RelayStats struct {
	Forwarded uint64 // datagrams sent on
	Reordered uint64 // of those, sent after a datagram to the same endpoint that arrived later
	Dropped   uint64 // datagrams that could not be sent (or queued past the relay's bound)
}

// Relay is a userspace UDP relay with delay and reordering, the part of a path the kernel
// here cannot emulate (no netem). It presents every endpoint it has seen as one public
// address of its own (its IP, a port per endpoint): a datagram from real endpoint A to the
// public address of B leaves from A's public address to B's real address. Peers therefore
// see each other only at public addresses, consistently, which is what PEX (RFC 7574
// §3.10.1) passes on: a leecher that learns another's public address from the seeder
// reaches it through the relay too. Give hosts a route to the relay's IP, and peers only
// public addresses (Expose).
type Relay struct {
	ns  *NS
	ip  netip.Addr
	cfg RelayConfig

	mu     sync.Mutex
	faces  map[netip.AddrPort]*face // by real endpoint address
	closed bool
	seq    uint64
	stats  RelayStats

	in   chan relayed
	stop chan struct{}
	wg   sync.WaitGroup
}

// face is the relay's socket that stands for one real endpoint.
type face struct {
	conn   *net.UDPConn
	real   netip.AddrPort
	public netip.AddrPort
	// maxSeqSent is the latest arrival order number sent to real (reordering count);
	// only the scheduler goroutine touches it.
	maxSeqSent uint64
}

// relayed is one datagram waiting for its time.
type relayed struct {
	due  time.Time
	seq  uint64 // arrival order, relay-wide
	from *face  // sent from this face's socket...
	to   *face  // ...to this face's real endpoint
	data []byte
}

// relayQueueBound caps the datagrams waiting in the relay: like a real link it drops when
// a burst outruns it, rather than growing without bound.
const relayQueueBound = 1 << 16

// StartRelay starts a relay in ns with public IP ip (an address of ns, e.g. a /32 on its
// lo). It stops when the test ends.
func (ns *NS) StartRelay(ip netip.Addr, cfg RelayConfig) *Relay {
	r := &Relay{ns: ns, ip: ip, cfg: cfg, faces: map[netip.AddrPort]*face{},
		in: make(chan relayed, 4096), stop: make(chan struct{})}
	r.wg.Add(1)
	go r.schedule()
	ns.lab.t.Cleanup(r.Close)
	return r
}

// Expose returns the public address that stands for the real endpoint addr: give it to the
// other peers instead of addr.
func (r *Relay) Expose(addr netip.AddrPort) (netip.AddrPort, error) {
	f, err := r.faceFor(addr)
	if err != nil {
		return netip.AddrPort{}, err
	}
	return f.public, nil
}

// Stats returns the counts so far.
func (r *Relay) Stats() RelayStats {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.stats
}

// Close stops the relay: its sockets close and its goroutines end. Datagrams still held
// are dropped, as a link that goes down drops them.
func (r *Relay) Close() {
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return
	}
	r.closed = true
	for _, f := range r.faces {
		_ = f.conn.Close()
	}
	r.mu.Unlock()
	close(r.stop)
	r.wg.Wait()
}

// faceFor returns the face of real endpoint addr, opening its socket the first time.
func (r *Relay) faceFor(addr netip.AddrPort) (*face, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.closed {
		return nil, net.ErrClosed
	}
	if f, ok := r.faces[addr]; ok {
		return f, nil
	}
	conn, err := r.ns.ListenUDP(netip.AddrPortFrom(r.ip, 0))
	if err != nil {
		return nil, err
	}
	local := conn.LocalAddr().(*net.UDPAddr).AddrPort()
	f := &face{conn: conn, real: addr, public: netip.AddrPortFrom(r.ip, local.Port())}
	r.faces[addr] = f
	r.wg.Add(1)
	go r.read(f)
	return f, nil
}

// read forwards what arrives at f's public address (meant for f's endpoint) to the
// scheduler, marked as coming from the sender's face. One goroutine per face; it ends
// when the socket closes.
func (r *Relay) read(to *face) {
	defer r.wg.Done()
	buf := make([]byte, 65536)
	for {
		n, src, err := to.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			continue // e.g. ICMP unreachable reported on a later read
		}
		from, err := r.faceFor(src)
		if err != nil {
			return // closed
		}
		hold := r.cfg.Delay
		if r.cfg.Jitter > 0 {
			hold += rand.N(r.cfg.Jitter)
		}
		r.mu.Lock()
		r.seq++
		seq := r.seq
		r.mu.Unlock()
		d := relayed{due: time.Now().Add(hold), seq: seq, from: from, to: to, data: append([]byte(nil), buf[:n]...)}
		select {
		case r.in <- d:
		case <-r.stop:
			return
		}
	}
}

// schedule owns the queue of held datagrams and sends each when its time comes.
func (r *Relay) schedule() {
	defer r.wg.Done()
	var q relayHeap
	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		if len(q) > 0 {
			timer.Reset(time.Until(q[0].due))
		}
		select {
		case <-r.stop:
			return
		case d := <-r.in:
			if len(q) >= relayQueueBound {
				r.count(func(s *RelayStats) { s.Dropped++ })
				continue
			}
			heap.Push(&q, d)
		case <-timer.C:
		}
		now := time.Now()
		for len(q) > 0 && !q[0].due.After(now) {
			d := heap.Pop(&q).(relayed)
			r.send(d)
		}
	}
}

func (r *Relay) send(d relayed) {
	_, err := d.from.conn.WriteToUDPAddrPort(d.data, d.to.real)
	reordered := d.seq < d.to.maxSeqSent
	d.to.maxSeqSent = max(d.to.maxSeqSent, d.seq)
	r.count(func(s *RelayStats) {
		switch {
		case err != nil:
			s.Dropped++
		case reordered:
			s.Forwarded++
			s.Reordered++
		default:
			s.Forwarded++
		}
	})
}

func (r *Relay) count(f func(*RelayStats)) {
	r.mu.Lock()
	f(&r.stats)
	r.mu.Unlock()
}

// relayHeap orders held datagrams by due time (container/heap).
type relayHeap []relayed

func (h relayHeap) Len() int           { return len(h) }
func (h relayHeap) Less(i, j int) bool { return h[i].due.Before(h[j].due) }
func (h relayHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *relayHeap) Push(x any)        { *h = append(*h, x.(relayed)) }
func (h *relayHeap) Pop() any {
	old := *h
	d := old[len(old)-1]
	old[len(old)-1] = relayed{}
	*h = old[:len(old)-1]
	return d
}
