//go:build linux

package netlab

// Link joins a and b with a veth pair: the end named aDev in a, with address aAddr (CIDR,
// e.g. "10.0.1.1/24"), and bDev in b with bAddr. Both ends come up. Device names are per
// namespace, at most 15 bytes.
func (l *Lab) Link(a *NS, aDev, aAddr string, b *NS, bDev, bAddr string) {
	l.t.Helper()
	// Created inside a, with its peer end placed straight into b: nothing ever appears
	// in the host's own namespace.
	if err := run("ip", "-n", a.Name, "link", "add", aDev, "type", "veth", "peer", "name", bDev, "netns", b.Name); err != nil {
		l.t.Fatalf("netlab: %v", err)
	}
	for _, end := range []struct {
		ns        *NS
		dev, addr string
	}{{a, aDev, aAddr}, {b, bDev, bAddr}} {
		if end.addr != "" {
			end.ns.Must("ip", "addr", "add", end.addr, "dev", end.dev)
		}
		end.ns.Must("ip", "link", "set", end.dev, "up")
	}
}

// Route sends traffic for dst (CIDR, or "default") through gateway via.
func (ns *NS) Route(dst, via string) {
	ns.lab.t.Helper()
	ns.Must("ip", "route", "add", dst, "via", via)
}

// Forward makes ns a router: it forwards IPv4 between its interfaces.
func (ns *NS) Forward() {
	ns.lab.t.Helper()
	ns.Sysctl("net.ipv4.ip_forward", "1")
}

// AddAddr adds an address (CIDR) to dev, e.g. a /32 on lo for a service every host routes to.
func (ns *NS) AddAddr(dev, addr string) {
	ns.lab.t.Helper()
	ns.Must("ip", "addr", "add", addr, "dev", dev)
}
