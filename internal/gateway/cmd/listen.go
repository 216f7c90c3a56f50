package cmdgw

import (
	"fmt"
	"net"
	"net/netip"

	"go.uber.org/zap"
)

// DefaultAddr is where the gateway listens unless configured otherwise, and where the CLI
// looks for it: loopback only, since anyone who reaches the port controls the daemon.
const DefaultAddr = "127.0.0.1:6777"

// Listen opens the gateway's TCP port (DefaultAddr for ""). Any address that is not
// loopback is the operator's explicit choice, and is logged as a warning: the protocol
// has no authentication (neither has libswift's).
func Listen(addr string, log *zap.Logger) (net.Listener, error) {
	if addr == "" {
		addr = DefaultAddr
	}
	if log == nil {
		log = zap.NewNop()
	}
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, fmt.Errorf("cmd gateway address %q: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cmd gateway: %w", err)
	}
	if !isLoopback(host) {
		log.Warn("cmd gateway listens beyond loopback: anyone who can reach this port can control the daemon",
			zap.String("addr", ln.Addr().String()))
	} else {
		log.Info("cmd gateway listening", zap.String("addr", ln.Addr().String()))
	}
	return ln, nil
}

// isLoopback reports whether host names only the loopback interface. "" and wildcard
// addresses are everything, and host names are not looked up (localhost aside).
func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	a, err := netip.ParseAddr(host)
	return err == nil && a.IsLoopback()
}
