package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"syscall"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

func newSeedCmd() *cobra.Command {
	var f contentFlags
	cmd := &cobra.Command{
		Use:   "seed FILE",
		Short: "Seed a file: print its swarm ID and tswift URL, then serve it until interrupted",
		Long: `Hash FILE into a Merkle tree (RFC 7574 §5; all cores), print the swarm ID (the root
hash) and a tswift://HOST:PORT/SWARMHEX URL to give to others, then serve the file over
PPSPP until interrupted. A checkpoint FILE.ppsppd is written beside the file.`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSignals(cmd, f.logLevel, func(ctx context.Context, log *zap.Logger) error {
				return runSeed(ctx, cmd, args[0], f, log)
			})
		},
	}
	f.register(cmd.Flags(), "0.0.0.0:6778")
	return cmd
}

func runSeed(ctx context.Context, cmd *cobra.Command, path string, f contentFlags, log *zap.Logger) error {
	if err := checkChunkSizeFlag(f.chunkSize); err != nil {
		return err
	}
	hf, err := f.hashFunc()
	if err != nil {
		return err
	}
	m, err := swarms.New(swarms.Config{Node: node.Config{Listen: f.listen, Logger: log}, Logger: log})
	if errors.Is(err, syscall.EADDRINUSE) && !cmd.Flags().Changed("listen") {
		// Most likely a `ppsppd serve` on the default port: take any free port (the URL
		// printed below names it) rather than fail.
		log.Warn("the default port is in use (a running ppsppd serve?); listening on a free port instead — or let the daemon seed it: ppsppd add FILE",
			zap.String("port_in_use", f.listen))
		m, err = swarms.New(swarms.Config{Node: node.Config{Listen: anyPort(f.listen), Logger: log}, Logger: log})
	}
	if err != nil {
		return err
	}
	runCtx, stop := context.WithCancel(context.Background())
	runDone := make(chan error, 1)
	go func() { runDone <- m.Run(runCtx) }()
	defer func() {
		stop()
		if err := <-runDone; err != nil {
			log.Error("stopping", zap.Error(err))
		}
	}()
	go logPeers(m.Subscribe(runCtx, 256), log)
	started := time.Now()
	st, err := m.Seed(ctx, swarms.SeedSpec{Path: path, ChunkSize: int(f.chunkSize), Hash: hf.String()})
	if err != nil {
		return err
	}
	log.Info("ready", zap.String("file", path), zap.Int64("bytes", st.Size), zap.Uint64("chunks", st.TotalChunks),
		zap.Duration("took", time.Since(started)))
	link := swarmurl.Link{Peer: advertised(m.LocalAddr()).String(), SwarmID: []byte(st.ID),
		ChunkSize: f.chunkSize, Size: -1, Hash: int(hf)}
	if hf == hashtree.SHA1 {
		link.Hash = -1 // libswift's default; keep the URL in the form it prints
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s\n%s\n", st.ID, link)
	<-ctx.Done()
	return nil
}

// anyPort is listen with port 0 (any free port).
func anyPort(listen string) string {
	host, _, err := net.SplitHostPort(listen)
	if err != nil {
		return ":0"
	}
	return net.JoinHostPort(host, "0")
}

// advertised is the address to put in a URL: the bound one, or loopback when bound to all
// interfaces (the user knows their public address better than we do).
func advertised(a netip.AddrPort) netip.AddrPort {
	if a.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), a.Port())
	}
	return a
}

// logPeers logs peers coming and going until the subscription ends.
func logPeers(events <-chan swarms.Event, log *zap.Logger) {
	for ev := range events {
		switch ev.Kind {
		case swarms.EventPeerConnected:
			log.Info("peer connected", zap.Stringer("peer", ev.Peer))
		case swarms.EventPeerClosed:
			log.Info("peer closed", zap.Stringer("peer", ev.Peer), zap.String("reason", ev.Err))
		}
	}
}
