package main

import (
	"context"
	"errors"
	"fmt"
	"net/netip"
	"time"

	"github.com/spf13/cobra"
	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/node"
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
	hf, err := f.hashFunc()
	if err != nil {
		return err
	}
	started := time.Now()
	store, err := openSeed(ctx, path, "", hashtree.Params{Hash: hf, ChunkSize: int(f.chunkSize)}, log)
	if err != nil {
		if errors.Is(err, hashtree.ErrEmptyContent) {
			return fmt.Errorf("%s is empty: RFC 7574 defines no swarm ID for empty content", path)
		}
		return err
	}
	defer store.Close()
	size, _ := store.Size()
	log.Info("ready", zap.String("file", path), zap.Int64("bytes", size), zap.Uint64("chunks", store.NumChunks()),
		zap.Duration("took", time.Since(started)))

	n, err := node.New(node.Config{Listen: f.listen, Logger: log})
	if err != nil {
		return err
	}
	run := startNode(n, log)
	defer run.stop()
	id, err := n.AddSwarm(ctx, engine.NewSwarmConfig(store))
	if err != nil {
		return err
	}
	link := swarmurl.Link{Peer: advertised(n.LocalAddr()).String(), SwarmID: []byte(id), ChunkSize: f.chunkSize, Size: -1, Hash: int(hf)}
	if hf == hashtree.SHA1 {
		link.Hash = -1 // libswift's default; keep the URL in the form it prints
	}
	fmt.Fprintf(cmd.OutOrStdout(), "%s\n%s\n", id, link)
	<-ctx.Done()
	run.closeSwarm(id)
	return nil
}

// runningNode is a node whose loop runs in the background until stop.
type runningNode struct {
	n      *node.Node
	cancel context.CancelFunc
	done   chan struct{}
	err    error
}

// startNode runs n's loop in its own context, so that on shutdown the loop is still there
// to send explicit closes before it stops.
func startNode(n *node.Node, log *zap.Logger) *runningNode {
	ctx, cancel := context.WithCancel(context.Background())
	r := &runningNode{n: n, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(r.done)
		if r.err = n.Run(ctx); r.err != nil {
			log.Error("node stopped", zap.Error(r.err))
		}
	}()
	events, _ := n.Subscribe(256)
	go logEvents(events, log)
	return r
}

// closeSwarm closes the swarm's channels with an explicit close (RFC 7574 §8.4).
func (r *runningNode) closeSwarm(id engine.SwarmID) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	_ = r.n.RemoveSwarm(ctx, id)
}

func (r *runningNode) stop() {
	r.cancel()
	<-r.done
}

func logEvents(events <-chan engine.Event, log *zap.Logger) {
	for ev := range events {
		switch ev.Kind {
		case engine.EventPeerConnected:
			log.Info("peer connected", zap.Stringer("peer", ev.Peer))
		case engine.EventPeerClosed:
			log.Info("peer closed", zap.Stringer("peer", ev.Peer), zap.Error(ev.Err))
		case engine.EventPeerUnreachable:
			log.Warn("peer did not answer", zap.Stringer("peer", ev.Peer))
		case engine.EventSwarmError:
			log.Error("swarm stopped", zap.Stringer("swarm", ev.Swarm), zap.Error(ev.Err))
		}
	}
}

// advertised is the address to put in a URL: the bound one, or loopback when bound to all
// interfaces (the user knows their public address better than we do).
func advertised(a netip.AddrPort) netip.AddrPort {
	if a.Addr().IsUnspecified() {
		return netip.AddrPortFrom(netip.MustParseAddr("127.0.0.1"), a.Port())
	}
	return a
}
