//go:build linux

package netlab

import (
	"fmt"
	"net"
	"net/netip"
	"os"
	"runtime"

	"golang.org/x/sys/unix"
)

// ListenUDP opens a UDP socket bound to addr inside ns, for Go code of the test itself (the
// relay, the delay prober). A socket belongs to the namespace it was created in, whatever
// thread later uses it, so it is created on a thread that has entered ns and is used from
// ordinary goroutines afterwards. The socket is closed when the test ends, before the
// namespace is removed.
func (ns *NS) ListenUDP(addr netip.AddrPort) (*net.UDPConn, error) {
	type result struct {
		conn *net.UDPConn
		err  error
	}
	res := make(chan result, 1)
	go func() {
		// This goroutine's thread changes namespace; it goes back to the pool only if
		// restoring succeeded, otherwise it ends with the goroutine (LockOSThread).
		runtime.LockOSThread()
		conn, restored, err := listenIn(ns.Name, addr)
		if restored {
			runtime.UnlockOSThread()
		}
		res <- result{conn, err}
	}()
	r := <-res
	if r.err != nil {
		return nil, fmt.Errorf("netlab: UDP %v in %s: %w", addr, ns.short, r.err)
	}
	ns.lab.t.Cleanup(func() { _ = r.conn.Close() })
	return r.conn, nil
}

// listenIn runs on a locked thread: enters namespace name, binds, and returns to the
// thread's original namespace (restored reports whether that worked).
func listenIn(name string, addr netip.AddrPort) (conn *net.UDPConn, restored bool, err error) {
	orig, err := os.Open("/proc/thread-self/ns/net")
	if err != nil {
		return nil, true, err
	}
	defer orig.Close()
	target, err := os.Open("/run/netns/" + name)
	if err != nil {
		return nil, true, err
	}
	defer target.Close()
	if err := unix.Setns(int(target.Fd()), unix.CLONE_NEWNET); err != nil {
		return nil, true, fmt.Errorf("setns: %w", err)
	}
	conn, err = net.ListenUDP("udp", net.UDPAddrFromAddrPort(addr))
	restored = unix.Setns(int(orig.Fd()), unix.CLONE_NEWNET) == nil
	return conn, restored, err
}
