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
	"time"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// ErrStopped is returned by API calls after the node's Run has returned.
var ErrStopped = errors.New("node: stopped")

// Config configures a Node.
type Config struct {
	Listen string // UDP address to bind, e.g. "127.0.0.1:6778" or ":0"
	Engine engine.Config
	Logger *zap.Logger
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

	mu   sync.Mutex
	subs map[chan engine.Event]struct{}
	// dropped counts events a slow subscriber missed.
	dropped uint64
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
	return &Node{
		conn:  conn,
		eng:   engine.New(cfg.Engine),
		log:   cfg.Logger,
		now:   cfg.Now,
		calls: make(chan func(*engine.Engine)),
		done:  make(chan struct{}),
		subs:  make(map[chan engine.Event]struct{}),
	}, nil
}

// LocalAddr is the bound UDP address.
func (n *Node) LocalAddr() netip.AddrPort { return n.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

type inbound struct {
	from netip.AddrPort
	data []byte
	at   time.Time
}

// socketBuffer is the UDP receive and send buffer size we ask for.
const socketBuffer = 4 << 20

// maxDatagram is the largest UDP payload we read.
const maxDatagram = 65535

// Run reads and processes datagrams until ctx ends, then closes the socket. The engine is
// touched only here.
func (n *Node) Run(ctx context.Context) error {
	defer close(n.done)
	in := make(chan inbound, 1024)
	readErr := make(chan error, 1)
	go n.readLoop(in, readErr)
	defer n.conn.Close()

	timer := time.NewTimer(time.Hour)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case err := <-readErr:
			return fmt.Errorf("node: read: %w", err)
		case pkt := <-in:
			n.eng.HandleDatagram(pkt.at, pkt.from, pkt.data)
			// Take what else is queued before writing, so replies batch up.
			for more := true; more; {
				select {
				case pkt := <-in:
					n.eng.HandleDatagram(pkt.at, pkt.from, pkt.data)
				default:
					more = false
				}
			}
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

func (n *Node) readLoop(in chan<- inbound, errc chan<- error) {
	buf := make([]byte, maxDatagram)
	for {
		size, from, err := n.conn.ReadFromUDPAddrPort(buf)
		if err != nil {
			if errors.Is(err, net.ErrClosed) {
				return
			}
			var ne net.Error
			if errors.As(err, &ne) && ne.Timeout() {
				continue
			}
			// ICMP port unreachable and similar surface here on Linux; they are not fatal.
			n.log.Debug("udp read", zap.Error(err))
			continue
		}
		data := make([]byte, size)
		copy(data, buf[:size])
		select {
		case in <- inbound{from: netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), data: data, at: n.now()}:
		case <-n.done:
			return
		}
	}
}

func (n *Node) writeOut() {
	for _, p := range n.eng.Outgoing() {
		if _, err := n.conn.WriteToUDPAddrPort(p.Data, p.To); err != nil {
			n.log.Debug("udp write", zap.Stringer("to", p.To), zap.Error(err))
		}
	}
}

func (n *Node) resetTimer(t *time.Timer) {
	d := time.Hour
	if next := n.eng.NextDeadline(); !next.IsZero() {
		d = max(next.Sub(n.now()), 0)
	}
	t.Reset(d)
}

// publish hands the engine's events to subscribers without ever blocking the loop.
func (n *Node) publish() {
	evs := n.eng.Events()
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
// A subscriber that does not keep up misses events rather than stalling the node.
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

// Do runs fn on the loop goroutine with the engine and waits for it. fn must not block.
func (n *Node) Do(ctx context.Context, fn func(now time.Time, e *engine.Engine)) error {
	finished := make(chan struct{})
	call := func(e *engine.Engine) {
		defer close(finished)
		fn(n.now(), e)
	}
	select {
	case n.calls <- call:
	case <-n.done:
		return ErrStopped
	case <-ctx.Done():
		return ctx.Err()
	}
	select {
	case <-finished:
		return nil
	case <-n.done:
		return ErrStopped
	}
}

// AddSwarm adds a swarm to the engine.
func (n *Node) AddSwarm(ctx context.Context, cfg engine.SwarmConfig) (engine.SwarmID, error) {
	var id engine.SwarmID
	var err error
	if derr := n.Do(ctx, func(_ time.Time, e *engine.Engine) { id, err = e.AddSwarm(cfg) }); derr != nil {
		return "", derr
	}
	return id, err
}

// Connect opens a channel to peer in swarm id.
func (n *Node) Connect(ctx context.Context, id engine.SwarmID, peer netip.AddrPort) error {
	var err error
	if derr := n.Do(ctx, func(now time.Time, e *engine.Engine) { err = e.Connect(now, id, peer) }); derr != nil {
		return derr
	}
	return err
}

// RemoveSwarm closes a swarm's channels and forgets it.
func (n *Node) RemoveSwarm(ctx context.Context, id engine.SwarmID) error {
	var err error
	if derr := n.Do(ctx, func(now time.Time, e *engine.Engine) { err = e.RemoveSwarm(now, id) }); derr != nil {
		return derr
	}
	return err
}

// Progress reports verified and total chunks of a swarm and its error state.
func (n *Node) Progress(ctx context.Context, id engine.SwarmID) (have, total uint64, err error) {
	if derr := n.Do(ctx, func(_ time.Time, e *engine.Engine) { have, total, err = e.Progress(id) }); derr != nil {
		return 0, 0, derr
	}
	return have, total, err
}

// Stats returns the engine's counters.
func (n *Node) Stats(ctx context.Context) (engine.Stats, error) {
	var st engine.Stats
	err := n.Do(ctx, func(_ time.Time, e *engine.Engine) { st = e.Stats() })
	return st, err
}

// Store returns the store of swarm id. Its ReadAt hands out verified bytes only and is safe
// to call from any goroutine (gateways read through it).
func (n *Node) Store(ctx context.Context, id engine.SwarmID) (engine.Store, error) {
	var st engine.Store
	var err error
	if derr := n.Do(ctx, func(_ time.Time, e *engine.Engine) { st, err = e.Store(id) }); derr != nil {
		return nil, derr
	}
	return st, err
}
