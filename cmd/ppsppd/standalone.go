package main

import (
	"context"
	"errors"
	"net"
	"syscall"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// startStandalone runs a swarm manager for a one-process command (seed, live) on listen. When
// listen is the flag's default and that port is taken — most likely by a `ppsppd serve` —
// it takes a free port instead (the URL the command prints names it) and says so, adding
// hint. stop ends the manager and waits for it. Peers coming and going are logged.
func startStandalone(cmd *cobra.Command, listen, hint string, log *zap.Logger) (m *swarms.Manager, stop func(), err error) {
	m, err = swarms.New(swarms.Config{Node: node.Config{Listen: listen, Logger: log}, Logger: log})
	if errors.Is(err, syscall.EADDRINUSE) && !cmd.Flags().Changed("listen") {
		log.Warn("the default port is in use (a running ppsppd serve?); listening on a free port instead"+hint,
			zap.String("port_in_use", listen))
		m, err = swarms.New(swarms.Config{Node: node.Config{Listen: anyPort(listen), Logger: log}, Logger: log})
	}
	if err != nil {
		return nil, nil, err
	}
	runCtx, cancel := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(runCtx) }()
	go logPeers(m.Subscribe(runCtx, 256), log)
	return m, func() {
		cancel()
		if err := <-runDone; err != nil {
			log.Error("stopping", zap.Error(err))
		}
	}, nil
}

// anyPort is listen's host with port 0: any free port.
func anyPort(listen string) string {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return ":0"
	}
	return net.JoinHostPort(host, "0")
}
