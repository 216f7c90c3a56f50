package main

import (
	"context"
	"fmt"
	"net"
	"net/netip"
	"strconv"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

func newSeedCmd() *cobra.Command {
	var f contentFlags
	var advertise string
	cmd := &cobra.Command{
		Use:   "seed FILE|DIR",
		Short: "Seed a file or a directory: print its swarm ID and tswift URL, then serve it until interrupted",
		Example: `  ppsppd seed movie.mp4
  ppsppd seed movie.mp4 --listen 0.0.0.0:6778 --advertise 192.0.2.10
  ppsppd seed movie.mp4 --listen [::1]:6778 --chunk-size 8192
  ppsppd seed media/`,
		Long: `Hash FILE into a Merkle tree (RFC 7574 §5; all cores), print the swarm ID (the root
hash) and a tswift://HOST:PORT/SWARMHEX URL to give to others, then serve the file over
PPSPP until interrupted. A checkpoint FILE.ppsppd is written beside the file.

A directory DIR becomes one multi-file swarm in libswift's layout (swift -M): a spec listing
every regular file below DIR as DIRNAME/PATH with its size, sorted, followed by the files in
that order; the swarm ID is the one libswift computes for the same files under the same
paths. Symlinks are left out. The files are only read; the checkpoint is DIR.ppsppd, beside
the directory.

The port is bound before the file is hashed, so a port in use fails at once. The URL names
the address peers should use: --advertise HOST when given, else the --listen address, or
127.0.0.1 when listening on all interfaces (0.0.0.0 or [::]; a warning then says so).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return withSignals(cmd, f.logLevel, func(ctx context.Context, log *zap.Logger) error {
				return runSeed(ctx, cmd, args[0], f, advertise, log)
			})
		},
	}
	f.register(cmd.Flags(), "0.0.0.0:6778")
	cmd.Flags().StringVar(&advertise, "advertise", "", "HOST or HOST:PORT peers should use to reach this seeder, put in the printed URL")
	return cmd
}

func runSeed(ctx context.Context, cmd *cobra.Command, path string, f contentFlags, advertise string, log *zap.Logger) error {
	if err := checkChunkSizeFlag(f.chunkSize); err != nil {
		return err
	}
	if err := checkAdvertise(advertise); err != nil {
		return err
	}
	hf, err := f.hashFunc()
	if err != nil {
		return err
	}
	m, stop, err := startStandalone(cmd, f.listen, " — or let the daemon seed it: ppsppd add FILE", log)
	if err != nil {
		return err
	}
	defer stop()
	started := time.Now()
	st, err := m.Seed(ctx, swarms.SeedSpec{Path: path, ChunkSize: int(f.chunkSize), Hash: hf.String()})
	if err != nil {
		return err
	}
	log.Info("ready", zap.String("file", path), zap.Int64("bytes", st.Size), zap.Uint64("chunks", st.TotalChunks),
		zap.Duration("took", time.Since(started)))
	peer := advertised(m.LocalAddr(), advertise)
	if advertise == "" && m.LocalAddr().Addr().IsUnspecified() {
		log.Warn("listening on all interfaces; the URL names 127.0.0.1, which only this machine can reach: give the address other peers should use with --advertise HOST",
			zap.Stringer("listen", m.LocalAddr()))
	}
	link := swarmurl.Link{Peer: peer, SwarmID: []byte(st.ID),
		ChunkSize: f.chunkSize, Size: -1, Hash: int(hf)}
	if hf == hashtree.SHA1 {
		link.Hash = -1 // libswift's default; keep the URL in the form it prints
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s\n%s\n", st.ID, link)
	<-ctx.Done()
	return nil
}

// advertised is the peer address to put in a URL: --advertise (with the bound port when it
// gives none), else the bound address, or loopback when bound to all interfaces (the user
// knows their public address better than we do).
func advertised(a netip.AddrPort, advertise string) string {
	if advertise != "" {
		if _, _, err := net.SplitHostPort(advertise); err == nil {
			return advertise
		}
		return net.JoinHostPort(strings.Trim(advertise, "[]"), strconv.Itoa(int(a.Port())))
	}
	if a.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), a.Port()).String()
	}
	return a.String()
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

// checkAdvertise checks --advertise's form (a host name is not looked up: it is for
// others to resolve).
func checkAdvertise(advertise string) error {
	if advertise == "" {
		return nil
	}
	hostport := advertise
	if _, _, err := net.SplitHostPort(advertise); err != nil {
		hostport = net.JoinHostPort(strings.Trim(advertise, "[]"), "1")
	}
	host, port, err := net.SplitHostPort(hostport)
	if ip, perr := netip.ParseAddr(host); perr == nil && ip.IsUnspecified() {
		return usagef("--advertise %q: peers cannot reach an unspecified address; give this machine's address or host name", advertise)
	}
	if n, perr := strconv.ParseUint(port, 10, 16); err != nil || host == "" || perr != nil || n == 0 {
		return usagef("--advertise %q: want HOST or HOST:PORT (e.g. 192.0.2.10, example.org:6778, [2001:db8::1]:6778)", advertise)
	}
	return nil
}
