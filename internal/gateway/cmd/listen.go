package cmdgw

import (
	"fmt"
	"net"

	"github.com/ppsppd/ppsppd/internal/config"
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
	if _, _, err := net.SplitHostPort(addr); err != nil {
		return nil, fmt.Errorf("cmd gateway address %q: %w", addr, err)
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("cmd gateway: %w", err)
	}
	if !config.IsLoopbackAddr(addr) {
		log.Warn("cmd gateway listens beyond loopback: anyone who can reach this port can control the daemon",
			zap.String("addr", ln.Addr().String()))
	} else {
		log.Info("cmd gateway listening", zap.String("addr", ln.Addr().String()))
	}
	return ln, nil
}
