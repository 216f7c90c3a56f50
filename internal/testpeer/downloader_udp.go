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

// DownloaderUDP runs a Downloader on a real UDP socket and counts what the socket did, so
// that a load test can hold the datagrams a seeder received against those sent to it. One
// goroutine (Run's) drives the downloader; Stats may be called from others.
type DownloaderUDP struct {
	mu    sync.Mutex
	d     *Downloader
	conn  *net.UDPConn
	stats SocketStats
}

// SocketStats counts a DownloaderUDP's socket traffic.
type SocketStats struct {
	Sent       int   // datagrams the kernel took (the write returned no error)
	SentBytes  int64 // their UDP payload bytes
	SendErrors int   // writes that failed: the datagram never left
	Received   int   // datagrams read
	RecvBytes  int64
}

// ListenDownloaderUDP binds addr (such as "127.0.0.2:0") for d.
func ListenDownloaderUDP(d *Downloader, addr string) (*DownloaderUDP, error) {
	a, err := net.ResolveUDPAddr("udp", addr)
	if err != nil {
		return nil, fmt.Errorf("testpeer: listen address %q: %w", addr, err)
	}
	conn, err := net.ListenUDP("udp", a)
	if err != nil {
		return nil, fmt.Errorf("testpeer: %w", err)
	}
	return &DownloaderUDP{d: d, conn: conn}, nil
}

// Addr is the bound address.
func (u *DownloaderUDP) Addr() netip.AddrPort {
	return u.conn.LocalAddr().(*net.UDPAddr).AddrPort()
}

// Stats returns the downloader's counts and the socket's.
func (u *DownloaderUDP) Stats() (DownloadCounts, SocketStats) {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.d.Counts(), u.stats
}

// Close closes the socket; Run returns.
func (u *DownloaderUDP) Close() error { return u.conn.Close() }

// Run downloads until ctx ends, then closes the channel (Downloader.Stop) and goes on
// reading and counting what still arrives until Close, so that a load test can account for
// every datagram the seeder sent.
func (u *DownloaderUDP) Run(ctx context.Context) error {
	buf := make([]byte, 64<<10)
	if err := u.download(ctx, buf); err != nil {
		_ = u.conn.Close()
		return err
	}
	u.mu.Lock()
	out := u.d.Stop()
	u.mu.Unlock()
	u.write(out)
	if err := u.conn.SetReadDeadline(time.Time{}); err != nil {
		return fmt.Errorf("testpeer: %w", err)
	}
	for {
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, net.ErrClosed) {
			return nil
		}
		if err != nil {
			_ = u.conn.Close()
			return fmt.Errorf("testpeer: read after stop: %w", err)
		}
		u.mu.Lock()
		u.stats.Received++
		u.stats.RecvBytes += int64(n)
		u.d.Handle(time.Now(), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), buf[:n])
		u.mu.Unlock()
	}
}

// download is Run's first part.
func (u *DownloaderUDP) download(ctx context.Context, buf []byte) error {
	u.mu.Lock()
	out := u.d.Start(time.Now())
	u.mu.Unlock()
	u.write(out)
	for ctx.Err() == nil {
		now := time.Now()
		u.mu.Lock()
		out = u.d.Tick(now)
		wait := now.Add(poll)
		if dl := u.d.NextDeadline(); !dl.IsZero() && dl.Before(wait) {
			wait = dl
		}
		u.mu.Unlock()
		u.write(out)
		if err := u.conn.SetReadDeadline(wait); err != nil {
			return fmt.Errorf("testpeer: %w", err)
		}
		n, from, err := u.conn.ReadFromUDPAddrPort(buf)
		if errors.Is(err, os.ErrDeadlineExceeded) {
			continue
		}
		if err != nil {
			return fmt.Errorf("testpeer: read: %w", err)
		}
		u.mu.Lock()
		u.stats.Received++
		u.stats.RecvBytes += int64(n)
		out = u.d.Handle(time.Now(), netip.AddrPortFrom(from.Addr().Unmap(), from.Port()), buf[:n])
		u.mu.Unlock()
		u.write(out)
	}
	return nil
}

// write sends out, counting what the kernel took and what it refused (a full buffer, say):
// a refused datagram is lost, as UDP may lose it, but not silently.
func (u *DownloaderUDP) write(out []Packet) {
	for _, p := range out {
		_, err := u.conn.WriteToUDPAddrPort(p.Data, p.To)
		u.mu.Lock()
		if err != nil {
			u.stats.SendErrors++
		} else {
			u.stats.Sent++
			u.stats.SentBytes += int64(len(p.Data))
		}
		u.mu.Unlock()
	}
}
