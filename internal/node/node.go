// Package node runs the protocol engine against the world: it owns the UDP socket, the
// clock and the timer, and it is the only goroutine that touches the engine. Other parts of
// the daemon (gateways, CLI) use the small API here, which hands their requests to that
// goroutine and waits for the answer.
package node

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"go.uber.org/zap"
	"golang.org/x/net/ipv4"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// ErrStopped is returned by API calls after the node's Run has returned.
var ErrStopped = errors.New("node: stopped")

// Config configures a Node.
type Config struct {
	Listen string // UDP address to bind, e.g. "127.0.0.1:6778" or ":0"
	Engine engine.Config
	Logger *zap.Logger
	// NoOffload turns off UDP segmentation offload (GSO/GRO), e.g. to measure without it.
	NoOffload bool
	// Now is the clock; nil means time.Now. It must be safe for concurrent use: the reader
	// goroutine stamps arrival times with it.
	Now func() time.Time
}

// Node is a running PPSPP peer on one UDP socket.
type Node struct {
	conn  *net.UDPConn
	eng   *engine.Engine
	log   *zap.Logger
	now   func() time.Time
	calls chan func(*engine.Engine)
	done  chan struct{}

	// Send path state, used by the loop goroutine only.
	pc        *ipv4.PacketConn
	writeMsgs []ipv4.Message
	writeBufs [][]byte
	writeOOB  [][]byte
	writeSegs []int
	gsoIOV    [][]byte
	addrs     map[netip.AddrPort]*net.UDPAddr
	// UDP segmentation offload: gso is dropped for good after the first send the kernel
	// refuses (atomic, as Offload reads it from other goroutines); gro is set when the
	// kernel coalesces what we receive.
	gso atomic.Bool
	gro bool
	// readBatch and writeBatch are the socket's batch calls (recvmmsg and sendmmsg on
	// Linux); tests replace them to inject errors.
	readBatch, writeBatch func([]ipv4.Message, int) (int, error)
	// Counters of the offload: GSO sends and the datagrams in them, GRO reads that held
	// more than one datagram. Read with Offload.
	gsoSends, gsoDatagrams, groReads atomic.Uint64
	// sendFailures counts datagrams the kernel refused to send (no route, no buffer):
	// dropped as UDP drops them, but counted, since the engine counted them as sent.
	// foreignReads counts datagrams from a source that is not a UDP address (never
	// expected), skipped.
	sendFailures, foreignReads atomic.Uint64

	// lastVerified is publish's scratch (see coalesceVerified).
	lastVerified []lastVerified

	mu   sync.Mutex
	subs map[chan engine.Event]struct{}
	// dropped counts events a slow subscriber missed.
	dropped uint64

	// cold holds HANDSHAKEs for swarms the manager is loading (cold.go).
	cold coldState
}

// New binds the socket. Run must be called to start the loop.
func New(cfg Config) (*Node, error) {
	addr, err := net.ResolveUDPAddr("udp", cfg.Listen)
	if err != nil {
		return nil, fmt.Errorf("node: listen address %q: %w", cfg.Listen, err)
	}
	conn, err := net.ListenUDP("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("node: %w", err)
	}
	// Large socket buffers absorb a window's burst of DATA; the kernel caps them at
	// net.core.rmem_max / wmem_max, which is fine.
	_ = conn.SetReadBuffer(socketBuffer)
	_ = conn.SetWriteBuffer(socketBuffer)
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	n := &Node{
		conn:      conn,
		log:       cfg.Logger,
		now:       cfg.Now,
		calls:     make(chan func(*engine.Engine)),
		done:      make(chan struct{}),
		pc:        ipv4.NewPacketConn(conn),
		writeMsgs: make([]ipv4.Message, batchSize),
		writeBufs: make([][]byte, batchSize),
		addrs:     make(map[netip.AddrPort]*net.UDPAddr),
		subs:      make(map[chan engine.Event]struct{}),
		gro:       !cfg.NoOffload && enableGRO(conn),
	}
	n.gso.Store(offloadSupported && !cfg.NoOffload)
	n.writeBatch = n.pc.WriteBatch
	n.readBatch = ipv4.NewPacketConn(conn).ReadBatch
	// The engine hands over datagrams while it makes a window of DATA, so that the peer
	// starts on them at once; a GSO send takes up to 64 segments.
	ecfg := cfg.Engine
	ecfg.Transmit, ecfg.TransmitBatch = n.sendPackets, batchSize
	ecfg.UnknownSwarm = n.unknownSwarm
	n.eng = engine.New(ecfg)
	n.writeOOB = make([][]byte, batchSize)
	for i := range n.writeOOB {
		n.writeOOB[i] = make([]byte, oobSize)
	}
	return n, nil
}

// LocalAddr is the bound UDP address.
func (n *Node) LocalAddr() netip.AddrPort { return n.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// batch is a set of datagrams read with one system call (recvmmsg on Linux).
type batch struct {
	msgs []ipv4.Message
	n    int
	at   time.Time
}

// Read batching: batchSize datagrams per system call, batches in flight between the reader
// and the loop, and the largest datagram we accept (the largest chunk plus what rides with
// it; larger datagrams are cut and fail to decode, counted as malformed).
const (
	batchSize     = 64
	groBatchSize  = 16
	batchesQueued = 4
	readBufSize   = hashtree.MaxChunkSize + hashtree.MaxDataDatagramOverhead
)

// socketBuffer is the UDP receive and send buffer size we ask for.
const socketBuffer = 4 << 20

// Run reads and processes datagrams until ctx ends, then closes the socket and returns nil.
// A socket that keeps failing to read ends it early with the error. The engine is touched
// only here.
func (n *Node) Run(ctx context.Context) error {
	defer close(n.done)
	in := make(chan *batch, batchesQueued)
	free := make(chan *batch, batchesQueued)
	for range batchesQueued {
		free <- n.newBatch()
	}
	readErr := make(chan error, 1)
	stopReading := make(chan struct{})
	readerDone := make(chan struct{})
	go func() {
		defer close(readerDone)
		n.readLoop(in, free, readErr, stopReading)
	}()
	defer func() {
		// The reader is gone before Run returns: closing the socket ends its read.
		close(stopReading)
		n.conn.Close()
		<-readerDone
	}()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			return fmt.Errorf("node: read: %w", err)
		case b := <-in:
			// Answer each read batch before taking the next: the answers to its datagrams
			// (ACKs, requests) share datagrams, and the peer is not kept waiting while we
			// work through everything that queued up meanwhile.
			n.receive(b)
			free <- b
			n.eng.Flush(n.now())
		case <-timer.C:
			n.eng.Tick(n.now())
		case fn := <-n.calls:
			fn(n.eng)
		}
		n.writeOut()
		n.publish()
		n.resetTimer(timer)
	}
}

func (n *Node) newBatch() *batch {
	size, count := readBufSize, batchSize
	if n.gro {
		// A coalesced read can hold up to 64 KiB; fewer, larger buffers.
		size, count = 65535, groBatchSize
	}
	b := &batch{msgs: make([]ipv4.Message, count)}
	for i := range b.msgs {
		b.msgs[i].Buffers = [][]byte{make([]byte, size)}
		b.msgs[i].OOB = make([]byte, oobSize)
	}
	return b
}

func (n *Node) receive(b *batch) {
	for _, m := range b.msgs[:b.n] {
		ua, ok := m.Addr.(*net.UDPAddr)
		if !ok {
			n.foreignReads.Add(1)
			continue
		}
		from := ua.AddrPort()
		from = netip.AddrPortFrom(from.Addr().Unmap(), from.Port())
		data := m.Buffers[0][:m.N]
		seg := 0
		if n.gro {
			seg = groSegment(m.OOB[:m.NN])
		}
		if seg <= 0 || seg >= len(data) {
			n.eng.Receive(b.at, from, data)
			continue
		}
		n.groReads.Add(1)
		for len(data) > 0 { // a coalesced run: equal datagrams, the last maybe shorter
			k := min(seg, len(data))
			n.eng.Receive(b.at, from, data[:k])
			data = data[k:]
		}
	}
}

// readLoop reads datagrams in batches and hands them to the loop; the loop gives the
// batches back once processed, so buffers are reused and never shared. It returns when stop
// is closed, or after sending errc the error that makes the socket unusable.
func (n *Node) readLoop(in chan<- *batch, free <-chan *batch, errc chan<- error, stop <-chan struct{}) {
	failures := 0 // read errors in a row that are not transient
	for {
		var b *batch
		select {
		case b = <-free:
		case <-stop:
			return
		}
		cnt, err := n.readBatch(b.msgs, 0)
		switch {
		case err == nil:
			failures = 0
		case isStopped(stop):
			return // Run closed the socket
		case transientReadError(err):
			// ICMP errors for earlier sends (port unreachable and the like) surface here on
			// Linux; they say nothing about the socket.
			n.log.Debug("udp read", zap.Error(err))
			cnt = 0
		default:
			failures++
			if errors.Is(err, net.ErrClosed) || failures >= maxReadFailures {
				errc <- err
				return
			}
			n.log.Warn("udp read", zap.Error(err))
			cnt = 0
		}
		b.n, b.at = cnt, n.now()
		select {
		case in <- b:
		case <-stop:
			return
		}
	}
}

// maxReadFailures is how many non-transient read errors in a row end the node: one could be
// a fluke, but a socket that fails again and again would otherwise spin the reader forever.
const maxReadFailures = 3

// transientReadError tells the errors a UDP read reports for an earlier send (ICMP errors,
// RFC 1122 §4.1.3.3) or a passing shortage from those that mean the socket is broken.
func transientReadError(err error) bool {
	for _, e := range []error{
		syscall.ECONNREFUSED, syscall.ECONNRESET, syscall.EHOSTUNREACH, syscall.ENETUNREACH,
		syscall.EHOSTDOWN, syscall.ENETDOWN, syscall.EMSGSIZE, syscall.EPROTO, syscall.ETIMEDOUT,
		syscall.EINTR, syscall.EAGAIN, syscall.ENOBUFS, syscall.ENOMEM,
	} {
		if errors.Is(err, e) {
			return true
		}
	}
	return false
}

func isStopped(stop <-chan struct{}) bool {
	select {
	case <-stop:
		return true
	default:
		return false
	}
}

// writeOut sends what the engine left in Outgoing and gives the buffers back.
func (n *Node) writeOut() {
	out := n.eng.Outgoing()
	n.sendPackets(out)
	n.eng.Recycle(out)
}

// sendPackets sends datagrams, batchSize messages per system call (sendmmsg on Linux). With
// GSO, a run of equal-sized datagrams to one peer (DATA mostly) goes as one message that the
// kernel cuts apart. It keeps no reference to the datagrams.
func (n *Node) sendPackets(out []engine.Packet) {
	for len(out) > 0 {
		msgs := n.writeMsgs[:0]
		segs := n.writeSegs[:0]
		iov := n.gsoIOV[:0]
		for len(out) > 0 && len(msgs) < batchSize {
			k := 1
			if n.gso.Load() {
				k = gsoRun(out)
			}
			m := ipv4.Message{Addr: n.udpAddr(out[0].To), Buffers: n.writeBufs[len(msgs) : len(msgs)+1]}
			if k == 1 {
				m.Buffers[0] = out[0].Data
			} else {
				// One iovec per datagram: the kernel gathers them, no copy here.
				start := len(iov)
				for _, p := range out[:k] {
					iov = append(iov, p.Data)
				}
				m.Buffers = iov[start:len(iov):len(iov)]
				m.OOB = gsoControl(n.writeOOB[len(msgs)], len(out[0].Data))
				n.gsoSends.Add(1)
				n.gsoDatagrams.Add(uint64(k))
			}
			msgs = append(msgs, m)
			segs = append(segs, len(out[0].Data))
			out = out[k:]
		}
		n.sendBatch(msgs, segs)
		clear(iov) // drop references to the sent datagrams
		n.gsoIOV = iov[:0]
	}
}

// gsoRun is how many datagrams at the front of out can go as one GSO send: same peer, same
// size (the last may be shorter), at most 64 and 64 KiB.
func gsoRun(out []engine.Packet) int {
	seg := len(out[0].Data)
	total, k := seg, 1
	for k < len(out) && k < 64 && out[k].To == out[0].To && len(out[k].Data) <= seg && total+len(out[k].Data) <= 65000 {
		total += len(out[k].Data)
		k++
		if len(out[k-1].Data) < seg {
			break // a shorter one ends the run
		}
	}
	return k
}

func (n *Node) sendBatch(msgs []ipv4.Message, segs []int) {
	for len(msgs) > 0 {
		if len(msgs[0].OOB) > 0 && !n.gso.Load() {
			// GSO went off (below) after this batch was made: its other runs go datagram by
			// datagram too, instead of being refused, and dropped, one after another.
			n.sendSplit(msgs[0], segs[0])
			msgs, segs = msgs[1:], segs[1:]
			continue
		}
		sent, err := n.writeBatch(msgs, 0)
		if err != nil {
			if n.gso.Load() && len(msgs[0].OOB) > 0 && (errors.Is(err, syscall.EIO) || errors.Is(err, syscall.EINVAL) || errors.Is(err, syscall.ENOPROTOOPT)) {
				// The kernel or the device does not do GSO: send this run datagram by
				// datagram, and stop using GSO.
				n.log.Info("UDP GSO not available; sending datagrams one by one", zap.Error(err))
				n.gso.Store(false)
				n.sendSplit(msgs[0], segs[0])
				msgs, segs = msgs[1:], segs[1:]
				continue
			}
			// A datagram the kernel refuses (e.g. no route) is dropped, as UDP would, and
			// counted (a GSO message holds one iovec per datagram).
			n.log.Debug("udp write", zap.Stringer("to", msgs[0].Addr), zap.Error(err))
			if sent == 0 {
				n.sendFailures.Add(uint64(len(msgs[0].Buffers)))
			}
			sent = max(sent, 1)
		}
		msgs, segs = msgs[sent:], segs[sent:]
	}
}

// sendSplit sends a GSO message's datagrams separately.
func (n *Node) sendSplit(m ipv4.Message, seg int) {
	if len(m.Buffers) > 1 {
		for _, d := range m.Buffers {
			if _, err := n.conn.WriteTo(d, m.Addr); err != nil {
				n.sendFailures.Add(1)
				n.log.Debug("udp write", zap.Error(err))
			}
		}
		return
	}
	data := m.Buffers[0]
	for len(data) > 0 {
		k := min(seg, len(data))
		if _, err := n.conn.WriteTo(data[:k], m.Addr); err != nil {
			n.sendFailures.Add(1)
			n.log.Debug("udp write", zap.Error(err))
		}
		data = data[k:]
	}
}

// udpAddr converts and caches destination addresses, to keep the send path allocation-free.
func (n *Node) udpAddr(a netip.AddrPort) *net.UDPAddr {
	if ua, ok := n.addrs[a]; ok {
		return ua
	}
	if len(n.addrs) > 4096 {
		clear(n.addrs)
	}
	ua := net.UDPAddrFromAddrPort(a)
	n.addrs[a] = ua
	return ua
}

func (n *Node) resetTimer(t *time.Timer) {
	d := time.Hour
	if next := n.eng.NextDeadline(); !next.IsZero() {
		d = max(next.Sub(n.now()), 0)
	}
	t.Reset(d)
}

// publish hands the engine's events to subscribers without ever blocking the loop. A
// swarm's chunk-verified events of one loop iteration go out as one (see Subscribe).
func (n *Node) publish() {
	evs := coalesceVerified(n.eng.Events(), &n.lastVerified)
	if len(evs) == 0 {
		return
	}
	n.mu.Lock()
	defer n.mu.Unlock()
	for _, ev := range evs {
		for sub := range n.subs {
			select {
			case sub <- ev:
			default:
				n.dropped++
			}
		}
	}
}

// Subscribe returns a channel of engine events and a function that ends the subscription.
// A subscriber that does not keep up misses events rather than stalling the node. The
// chunk-verified events of a swarm that one loop iteration produces (a read batch holds
// dozens of DATA) arrive as one, the last, in its place: it stands for them all (its Chunk
// is the last one verified); Progress and the store say which chunks a swarm holds.
func (n *Node) Subscribe(buffer int) (<-chan engine.Event, func()) {
	ch := make(chan engine.Event, buffer)
	n.mu.Lock()
	n.subs[ch] = struct{}{}
	n.mu.Unlock()
	return ch, func() {
		n.mu.Lock()
		delete(n.subs, ch)
		n.mu.Unlock()
	}
}
