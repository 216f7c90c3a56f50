package config

import (
	"fmt"
	"net"

	"github.com/ppsppd/ppsppd/internal/swarmurl"
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
		if err := swarmurl.CheckPeer(b); err != nil {
			return fmt.Errorf("dht.bootstrap[%d] = %q: %w", i, b, err)
		}
	}
	return nil
}
