package config

import (
	"fmt"
	"net"
	"strconv"
)

// validateDHT checks the [dht] table whether or not the DHT is enabled, so that turning it on
// later cannot reveal an old mistake. Bootstrap hosts are not resolved here: a name is looked
// up only when the DHT starts, and only when it is enabled.
func (c *Config) validateDHT() error {
	a, err := net.ResolveUDPAddr("udp", c.DHT.Listen)
	if err != nil || c.DHT.Listen == "" {
		return fmt.Errorf("dht.listen = %q: want HOST:PORT", c.DHT.Listen)
	}
	if c.DHT.Enabled && a.Port != 0 {
		// The DHT and PPSPP each need their own UDP socket: one address cannot hold both.
		if n, err := net.ResolveUDPAddr("udp", c.Node.Listen); err == nil && n.Port == a.Port &&
			(n.IP.Equal(a.IP) || n.IP.IsUnspecified() || a.IP.IsUnspecified()) {
			return fmt.Errorf("dht.listen = %q: the same UDP port as node.listen", c.DHT.Listen)
		}
	}
	for i, b := range c.DHT.Bootstrap {
		if err := checkHostPort(b); err != nil {
			return fmt.Errorf("dht.bootstrap[%d] = %q: %w", i, b, err)
		}
	}
	return nil
}

// checkHostPort accepts HOST:PORT with a host (name or address) and a port from 1 to 65535,
// without resolving the name.
func checkHostPort(s string) error {
	host, port, err := net.SplitHostPort(s)
	if err != nil || host == "" {
		return fmt.Errorf("want HOST:PORT")
	}
	if n, err := strconv.Atoi(port); err != nil || n < 1 || n > 65535 {
		return fmt.Errorf("port %q: want 1 to 65535", port)
	}
	return nil
}
