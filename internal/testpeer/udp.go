package testpeer

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"sync"
	"time"
)

// UDP runs a Peer on a real UDP socket. One goroutine (Run's) drives the peer; Counts and
// Start may be called from others.
type UDP struct {
	mu   sync.Mutex
	peer *Peer
	conn *net.UDPConn
	// extra holds a socket per source address HandshakeFlood sends from: a flood from many
	// real source ports.
	extra map[netip.AddrPort]*net.UDPConn
	start bool
}

// ListenUDP binds addr (such as "127.0.0.1:0") for p.
func ListenUDP(p *Peer, addr string) (*UDP, error) {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("testpeer: listen address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", a)
	if err != nil {
		return nil, fmt.Errorf("testpeer: %w", err)
	}
	return &UDP{peer: p, conn: conn, extra: make(map[netip.AddrPort]*net.UDPConn)}, nil
}

// Addr is the bound address.
func (u *UDP) Addr() netip.AddrPort { return u.conn.LocalAddr().(*net.UDPAddr).AddrPort() }

// Counts returns the peer's counts so far.
func (u *UDP) Counts() Counts {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.peer.Counts()
}

// Start asks Run to begin a leecher mode's attack.
func (u *UDP) Start() {
	u.mu.Lock()
	u.start = true
	u.mu.Unlock()
}

// poll bounds how long Run waits in a read, so that it sees ctx end and Start in time.
const poll = 10 * time.Millisecond

// Run serves until ctx ends, then closes the sockets.
func (u *UDP) Run(ctx context.Context) error {
	defer func() {
		_ = u.conn.Close()
		for _, c := range u.extra {
			_ = c.Close()
		}
	}()
	buf := make([]byte, 64<<10)
	for ctx.Err() == nil {
		now := time.Now()
		u.mu.Lock()
		var out []Packet
		if u.start {
			u.start = false
			out = u.peer.Start(now)
		}
		if d := u.peer.NextDeadline(); !d.IsZero() && !d.After(now) {
			out = append(out, u.peer.Tick(now)...)
		}
		wait := now.Add(poll)
		if d := u.peer.NextDeadline(); !d.IsZero() && d.Before(wait) {
			wait = d
		}
		u.mu.Unlock()
		if err := u.write(out); err != nil {
			return err
		}
		if err := u.conn.SetReadDeadline(wait); err != nil {
			return fmt.Errorf("testpeer: %w", err)
		}
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			if ctx.Err() != nil {
				return nil
			}
			return fmt.Errorf("testpeer: read: %w", err)
		}
		u.mu.Lock()
		out = u.peer.Handle(time.Now(), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), buf[:n])
		u.mu.Unlock()
		if err := u.write(out); err != nil {
			return err
		}
	}
	return nil
}

func (u *UDP) write(out []Packet) error {
	for _, p := range out {
		conn := u.conn
		if p.From.IsValid() && p.From != u.Addr() {
			var err error
			if conn, err = u.socketFor(p.From); err != nil {
				return err
			}
		}
		// A full socket buffer or an unreachable port loses the datagram, as UDP may.
		_, _ = conn.WriteToUDPAddrPort(p.Data, p.To)
	}
	return nil
}

// socketFor returns the socket that stands for source address from (its IP, any port).
func (u *UDP) socketFor(from netip.AddrPort) (*net.UDPConn, error) {
	if c := u.extra[from]; c != nil {
		return c, nil
	}
	c, err := net.ListenUDP("udp", net.UDPAddrFromAddrPort(netip.AddrPortFrom(from.Addr(), 0)))
	if err != nil {
		return nil, fmt.Errorf("testpeer: flood socket: %w", err)
	}
	u.extra[from] = c
	return c, nil
}
