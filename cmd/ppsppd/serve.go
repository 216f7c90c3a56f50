package main

import (
	"context"
	"crypto/sha1"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"

	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/ppsppd/ppsppd/internal/config"
	"github.com/ppsppd/ppsppd/internal/engine"
	"github.com/ppsppd/ppsppd/internal/gateway/stats"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/storage"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// exitConfig is the exit status for a configuration error; systemd's unit does not restart
// on it (RestartPreventExitStatus), since a restart cannot fix the file.
const exitConfig = 2

type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

func newServeCmd() *cobra.Command {
	var cfgPath string
	cmd := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run the daemon: seed the configured files and serve the STATS gateway",
		Long: `Run ppsppd as a long-lived peer: seed the files of [seed] paths on one UDP socket and serve
the STATS gateway (Prometheus /metrics and a status page). The built-in defaults
(configs/ppsppd.toml) apply; --config FILE changes the keys it sets. Exits 2 on a
configuration error.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return configError{err}
			}
			return withSignals(cmd, cfg.Log.Level, func(ctx context.Context, log *zap.Logger) error {
				return runServe(ctx, cmd, cfg, log)
			})
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "configuration file (TOML), read over the built-in defaults")
	return cmd
}

func runServe(ctx context.Context, cmd *cobra.Command, cfg config.Config, log *zap.Logger) error {
	if err := os.MkdirAll(cfg.Node.StateDir, 0o750); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	n, err := node.New(node.Config{Listen: cfg.Node.Listen, Logger: log})
	if err != nil {
		return err
	}
	var statsLn net.Listener
	if cfg.Stats.Listen != "" {
		if statsLn, err = net.Listen("tcp", cfg.Stats.Listen); err != nil {
			return fmt.Errorf("stats gateway: %w", err)
		}
	}
	run := startNode(n, log)
	defer run.stop()
	log.Info("ppsppd serving", zap.Stringer("udp", n.LocalAddr()), zap.String("state_dir", cfg.Node.StateDir),
		zap.String("version", buildVersion()))

	ids, stores := seedConfigured(ctx, n, cfg, log)
	defer func() {
		for _, id := range ids {
			run.closeSwarm(id) // explicit closes to the peers (RFC 7574 §8.4)
		}
		for _, st := range stores {
			if err := st.Close(); err != nil {
				log.Warn("closing store", zap.Error(err))
			}
		}
	}()

	g, gctx := errgroup.WithContext(ctx)
	if statsLn != nil {
		log.Info("stats gateway", zap.String("url", "http://"+statsLn.Addr().String()+"/"))
		fmt.Fprintf(cmd.OutOrStdout(), "stats http://%s/\n", statsLn.Addr())
		g.Go(func() error { return stats.New(n, buildVersion(), log).Run(gctx, statsLn) })
	}
	g.Go(func() error {
		select {
		case <-gctx.Done():
		case <-run.done:
			if run.err != nil {
				return run.err
			}
		}
		return nil
	})
	return g.Wait()
}

// seedConfigured hashes and adds every configured file. A file that cannot be seeded is
// logged and skipped; the daemon serves the rest.
func seedConfigured(ctx context.Context, n *node.Node, cfg config.Config, log *zap.Logger) ([]engine.SwarmID, []*storage.Store) {
	hf, _ := hashtree.ParseHashFunc(cfg.Seed.Hash) // validated with the config
	var ids []engine.SwarmID
	var stores []*storage.Store
	for _, path := range expandSeedPaths(cfg.Seed.Paths, log) {
		abs, _ := filepath.Abs(path)
		sum := sha1.Sum([]byte(abs))
		st, err := openSeed(ctx, path, filepath.Join(cfg.Node.StateDir, hex.EncodeToString(sum[:8])+".ppsppd"),
			hashtree.Params{Hash: hf, ChunkSize: cfg.Seed.ChunkSize}, log)
		if err != nil {
			if errors.Is(err, hashtree.ErrEmptyContent) {
				err = errors.New("empty file: RFC 7574 defines no swarm ID for it")
			}
			log.Error("cannot seed", zap.String("file", path), zap.Error(err))
			continue
		}
		id, err := n.AddSwarm(ctx, engine.NewSwarmConfig(st))
		if err != nil {
			log.Error("cannot seed", zap.String("file", path), zap.Error(err))
			st.Close()
			continue
		}
		link := swarmurl.Link{Peer: advertised(n.LocalAddr()).String(), SwarmID: []byte(id), ChunkSize: uint32(cfg.Seed.ChunkSize), Size: -1, Hash: -1}
		if hf != hashtree.SHA1 {
			link.Hash = int(hf)
		}
		log.Info("seeding", zap.String("file", path), zap.Stringer("swarm", id), zap.Stringer("url", link))
		ids, stores = append(ids, id), append(stores, st)
	}
	return ids, stores
}

// expandSeedPaths turns directories into the regular files directly inside them, and
// leaves out files that are not content (checkpoints, libswift's files, downloads still in
// progress: storage.SeedCandidate), saying so in the log.
func expandSeedPaths(paths []string, log *zap.Logger) []string {
	var out []string
	add := func(p string) {
		if ok, why := storage.SeedCandidate(p); !ok {
			log.Info("not seeding", zap.String("file", p), zap.String("reason", why))
			return
		}
		out = append(out, p)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			log.Error("cannot seed", zap.String("path", p), zap.Error(err))
			continue
		}
		if !fi.IsDir() {
			add(p)
			continue
		}
		entries, err := os.ReadDir(p)
		if err != nil {
			log.Error("cannot seed", zap.String("path", p), zap.Error(err))
			continue
		}
		for _, e := range entries {
			if e.Type().IsRegular() {
				add(filepath.Join(p, e.Name()))
			}
		}
	}
	return out
}
