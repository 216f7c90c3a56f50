package config

import (
	"fmt"
	"net"
	"net/netip"
)

// tcpListenKeys are the TCP gateways' address keys, in the order Validate checks them.
var tcpListenKeys = []string{"cmd.listen", "http.listen", "stats.listen"}

// Listen returns the address configured under a listener key ("node.listen", "cmd.listen",
// "http.listen" or "stats.listen"); ok is false for any other key. An empty address means the
// gateway is disabled (node.listen is never empty).
func (c Config) Listen(key string) (addr string, ok bool) {
	switch key {
	case "node.listen":
		return c.Node.Listen, true
	case "cmd.listen":
		return c.CMD.Listen, true
	case "http.listen":
		return c.HTTP.Listen, true
	case "stats.listen":
		return c.Stats.Listen, true
	}
	return "", false
}

// ListenerIsLoopback reports whether the listener under key is reachable from this host only:
// its host is a loopback address or "localhost". A disabled listener counts as loopback (it
// exposes nothing). A missing host (":6777") means every interface, and any other name is
// treated as not loopback, so serve logs it as the explicit choice it is rather than trusting
// a DNS answer.
func (c Config) ListenerIsLoopback(key string) bool {
	addr, ok := c.Listen(key)
	if !ok {
		return false
	}
	return addr == "" || IsLoopbackAddr(addr)
}

// IsLoopbackAddr reports whether the listen address HOST:PORT binds only the loopback
// interface: a loopback IP or "localhost". A missing host or a wildcard is every interface,
// and other names are not looked up (a DNS answer is not trusted with exposure).
func IsLoopbackAddr(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// BindError is a listener that could not be opened: a busy port, an address this host does
// not have, a privileged port. It names the key so the fix is obvious; serve treats it as a
// configuration error (exit status 2), since restarting will not free the port.
type BindError struct {
	Key  string // "cmd.listen"
	Addr string // the configured address
	Err  error  // from net.Listen / net.ListenPacket
}

func (e *BindError) Error() string {
	return fmt.Sprintf("%s = %q: cannot listen: %v (another process may hold the port; change %s or stop it)",
		e.Key, e.Addr, e.Err, e.Key)
}

func (e *BindError) Unwrap() error { return e.Err }
