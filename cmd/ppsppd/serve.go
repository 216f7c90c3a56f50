package main

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/spf13/cobra"
	"go.uber.org/zap"
	"golang.org/x/sync/errgroup"

	"github.com/ppsppd/ppsppd/internal/booster"
	"github.com/ppsppd/ppsppd/internal/config"
	"github.com/ppsppd/ppsppd/internal/congestion"
	"github.com/ppsppd/ppsppd/internal/engine"
	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
	httpgw "github.com/ppsppd/ppsppd/internal/gateway/http"
	"github.com/ppsppd/ppsppd/internal/gateway/stats"
	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/service"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// exitConfig is the exit status for a configuration error; systemd's unit does not restart
// on it (RestartPreventExitStatus), since a restart cannot fix the file.
const exitConfig = 2

type configError struct{ err error }

func (e configError) Error() string { return e.err.Error() }
func (e configError) Unwrap() error { return e.err }

func newServeCmd() *cobra.Command {
	var cfgPath, logLevel string
	cmd := &cobra.Command{
		Use:   "serve [--config FILE]",
		Short: "Run the daemon: swarms managed at runtime, with the CMD, HTTP and STATS gateways",
		Example: `  ppsppd serve
  ppsppd serve --config /etc/ppsppd/ppsppd.toml --log-level debug`,
		Long: `Run ppsppd as a long-lived peer on one UDP socket. Swarms are added, removed and limited
at runtime over the CMD gateway (ppsppd add/ls/rm/limit are its clients) and kept across
restarts in the state directory; the files of [seed] paths are seeded too, and the live
streams of [live] sources injected (live streams are never kept across restarts). The STATS gateway
serves Prometheus /metrics and a status page. The built-in defaults (ppsppd config default)
apply; --config FILE changes the keys it sets. SIGHUP rereads the file (log level, rate
limits and the booster's feeds and limits apply at once); SIGTERM saves every checkpoint
and exits 0. Exits 2 on a configuration error, including a port that is already in use.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			cfg, err := config.Load(cfgPath)
			if err != nil {
				return configError{err}
			}
			if logLevel != "" {
				cfg.Log.Level = logLevel
				if err := cfg.Validate(); err != nil {
					return configError{fmt.Errorf("--log-level: %w", err)}
				}
			}
			return runServe(cmd, cfg, cfgPath)
		},
	}
	cmd.Flags().StringVar(&cfgPath, "config", "", "configuration file (TOML), read over the built-in defaults")
	cmd.Flags().StringVar(&logLevel, "log-level", "", "log level: debug, info, warn, error (overrides log.level)")
	return cmd
}

// listeners are the gateways' TCP sockets, bound before anything starts so a busy port
// fails at once, naming its config key.
type listeners struct {
	cmd, http, stats net.Listener
}

func bindListeners(cfg config.Config) (listeners, error) {
	var ls listeners
	for _, b := range []struct {
		key string
		dst *net.Listener
	}{{"cmd.listen", &ls.cmd}, {"http.listen", &ls.http}, {"stats.listen", &ls.stats}} {
		addr, ok := cfg.Listen(b.key)
		if !ok || addr == "" {
			continue
		}
		ln, err := net.Listen("tcp", addr)
		if err != nil {
			ls.close()
			return listeners{}, configError{&config.BindError{Key: b.key, Addr: addr, Err: err}}
		}
		*b.dst = ln
	}
	return ls, nil
}

func (ls listeners) close() {
	for _, l := range []net.Listener{ls.cmd, ls.http, ls.stats} {
		if l != nil {
			l.Close()
		}
	}
}

func runServe(cmd *cobra.Command, cfg config.Config, cfgPath string) error {
	log, level, err := newLeveledLogger(cfg.Log.Level)
	if err != nil {
		return configError{err}
	}
	defer log.Sync() //nolint:errcheck // stderr
	ctx, hup, stopSignals := service.Signals(cmd.Context())
	defer stopSignals()
	ctx, shutdown := context.WithCancel(ctx) // SHUTDOWN over CMD, where allowed
	defer shutdown()

	if err := os.MkdirAll(cfg.Node.StateDir, 0o750); err != nil {
		return fmt.Errorf("state directory: %w", err)
	}
	if err := os.MkdirAll(cfg.Node.ContentDir, 0o755); err != nil {
		return fmt.Errorf("content directory: %w", err)
	}
	ls, err := bindListeners(cfg)
	if err != nil {
		return err
	}
	defer ls.close()
	rates := cfg.Limits.Rates()
	idle, _ := cfg.Node.IdleUnloadDuration()   // checked by Validate
	variant, _ := cfg.Node.CongestionVariant() // checked by Validate
	m, err := swarms.New(swarms.Config{
		IdleUnload: idle,
		Node: node.Config{Listen: cfg.Node.Listen, Logger: log,
			Engine: engine.Config{Congestion: congestion.Config{Variant: variant}}},
		StateDir:    cfg.Node.StateDir,
		ContentDir:  cfg.Node.ContentDir,
		Limits:      swarms.Limits{Up: rates.Upload, Down: rates.Download},
		SwarmLimits: swarms.Limits{Up: rates.SwarmUpload, Down: rates.SwarmDownload},
		Logger:      log,
	})
	if err != nil {
		return configError{&config.BindError{Key: "node.listen", Addr: cfg.Node.Listen, Err: err}}
	}
	discovery, err := newDHT(cfg, m, log)
	if err != nil {
		return err
	}
	boost := newBooster(cfg, m, log, discovery != nil)
	if ls.cmd != nil && !cfg.ListenerIsLoopback("cmd.listen") {
		log.Warn("the CMD gateway listens beyond loopback: anyone who reaches it controls this daemon",
			zap.String("cmd.listen", cfg.CMD.Listen))
	}
	log.Info("ppsppd serving", zap.Stringer("udp", m.LocalAddr()), zap.String("state_dir", cfg.Node.StateDir),
		zap.String("content_dir", cfg.Node.ContentDir), zap.String("version", buildVersion()))

	// The manager runs until everything else has stopped, so that it saves the checkpoints
	// and closes the channels last.
	mctx, stopManager := context.WithCancel(context.Background())
	managerDone := make(chan error, 1)
	go func() { managerDone <- m.Run(mctx) }()
	defer func() {
		_ = service.Stopping()
		stopManager()
		if err := <-managerDone; err != nil {
			log.Error("swarm manager", zap.Error(err))
		}
	}()
	select {
	case <-m.Ready():
	case <-ctx.Done():
		return nil
	}
	seedConfigured(ctx, m, cfg, log)
	startConfiguredLive(ctx, m, cfg, log)

	g, gctx := errgroup.WithContext(ctx)
	var metrics []prometheus.Collector
	if discovery != nil {
		metrics = append(metrics, discovery.Collector())
		g.Go(func() error { return discovery.Run(gctx) })
	}
	if boost != nil {
		metrics = append(metrics, boost.Collector())
		g.Go(func() error { return boost.Run(gctx) })
	}
	startGateways(gctx, g, cmd, m, cfg, ls, log, shutdown, metrics, discovery != nil, boosterStatus(boost))
	g.Go(func() error {
		select {
		case err := <-managerDone:
			managerDone <- err // for the deferred wait
			if err != nil {
				return err
			}
			return errors.New("swarm manager stopped")
		case <-gctx.Done():
			return nil
		}
	})
	g.Go(func() error { return service.RunWatchdog(gctx, m.Ping, log) })
	g.Go(func() error {
		reportStatus(gctx, m, boost, hup, cfgPath, &cfg, level, log)
		return nil
	})
	if err := service.Ready(); err != nil {
		log.Warn("sd_notify READY", zap.Error(err))
	}
	if len(m.List()) == 0 {
		log.Info("nothing to seed or download yet: add a swarm with `ppsppd add FILE|URL|SWARMID`, or list files under [seed] paths")
	}
	return g.Wait()
}

// reportStatus sends systemd a STATUS line every few seconds and applies SIGHUP reloads.
func reportStatus(ctx context.Context, m *swarms.Manager, boost *booster.Booster, hup <-chan struct{}, cfgPath string, cfg *config.Config,
	level zap.AtomicLevel, log *zap.Logger) {
	tick := time.NewTicker(5 * time.Second)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-tick.C:
			list := m.List()
			var down, up float64
			for _, s := range list {
				down, up = down+s.DownRate, up+s.UpRate
			}
			_ = service.Status(service.StatusLine(len(list), down, up))
		case <-hup:
			_ = service.Reloading()
			reload(ctx, m, boost, cfgPath, cfg, level, log)
			_ = service.Ready()
		}
	}
}

// reload rereads the config file and applies what can change while running: the log
// level, the rate limits and the booster's sources and limits. Everything else is logged as
// needing a restart.
func reload(ctx context.Context, m *swarms.Manager, boost *booster.Booster, cfgPath string, cfg *config.Config, level zap.AtomicLevel, log *zap.Logger) {
	if cfgPath == "" {
		log.Info("SIGHUP: no --config file to reread")
		return
	}
	r, err := config.ReloadFile(cfgPath, *cfg)
	if err != nil {
		log.Error("SIGHUP: keeping the running configuration", zap.Error(err))
		return
	}
	*cfg = r.Config
	if err := level.UnmarshalText([]byte(cfg.Log.Level)); err != nil {
		log.Error("SIGHUP: log level", zap.Error(err))
	}
	rates := cfg.Limits.Rates()
	if err := m.SetLimits(ctx, "", swarms.Limits{Up: rates.Upload, Down: rates.Download}); err != nil {
		log.Error("SIGHUP: global rate limits", zap.Error(err))
	}
	m.SetDefaultSwarmLimits(swarms.Limits{Up: rates.SwarmUpload, Down: rates.SwarmDownload})
	reloadBooster(boost, *cfg, r.Applied, log)
	log.Info("SIGHUP: configuration reread", zap.Strings("applied", r.Applied), zap.Strings("needs_restart", r.NotReloaded))
}

// seedConfigured seeds every file of [seed] paths. A file that cannot be seeded is logged
// and skipped; the daemon serves the rest.
func seedConfigured(ctx context.Context, m *swarms.Manager, cfg config.Config, log *zap.Logger) {
	for _, path := range expandSeedPaths(cfg.Seed.Paths, log) {
		st, err := m.Seed(ctx, swarms.SeedSpec{Path: path, ChunkSize: cfg.Seed.ChunkSize, Hash: cfg.Seed.Hash})
		if errors.Is(err, swarms.ErrExists) {
			continue
		}
		if err != nil {
			log.Error("cannot seed", zap.String("file", path), zap.Error(err))
			continue
		}
		log.Info("seeding", zap.String("file", path), zap.Stringer("swarm", st.ID), zap.Stringer("url", st.Link(m.LocalAddr())))
	}
}

// expandSeedPaths turns directories into the regular files directly inside them, and
// leaves out files that are not content (checkpoints, libswift's files, downloads still in
// progress: swarms.SeedCandidate), saying so in the log.
func expandSeedPaths(paths []string, log *zap.Logger) []string {
	var out []string
	add := func(p string) {
		if ok, why := swarms.SeedCandidate(p); !ok {
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

// startGateways runs the HTTP, CMD and STATS gateways in g; the STATS gateway serves
// metrics, other components' collectors, too.
func startGateways(ctx context.Context, g *errgroup.Group, cmd *cobra.Command, m *swarms.Manager, cfg config.Config,
	ls listeners, log *zap.Logger, shutdown func(), metrics []prometheus.Collector, discovery bool, boost cmdgw.BoosterAPI) {
	httpBase := ""
	var httpMetrics []prometheus.Collector
	if ls.http != nil {
		httpBase = "http://" + advertisedTCP(ls.http.Addr())
		log.Info("HTTP gateway", zap.String("url", httpBase+"/"))
		fmt.Fprintf(cmd.OutOrStdout(), "http %s/\n", httpBase)
		gw := httpgw.New(m, httpgw.Options{BaseURL: httpBase, Discovery: discovery, Log: log})
		httpMetrics = gw.Collectors()
		g.Go(func() error { return gw.Run(ctx, ls.http) })
	}
	if ls.cmd != nil {
		log.Info("CMD gateway", zap.Stringer("addr", ls.cmd.Addr()), zap.Bool("allow_shutdown", cfg.CMD.AllowShutdown))
		fmt.Fprintf(cmd.OutOrStdout(), "cmd %s\n", ls.cmd.Addr())
		gw := cmdgw.New(m, cmdgw.Options{
			HTTPBase:        httpBase,
			AllowShutdown:   cfg.CMD.AllowShutdown,
			Shutdown:        shutdown,
			ShutdownRefusal: "SHUTDOWN is off in this daemon's config (cmd.allow_shutdown = false)",
			SeedRoots:       append([]string{cfg.Node.ContentDir}, cfg.Seed.Paths...),
			Version:         buildVersion(),
			Booster:         boost,
			Log:             log,
		})
		g.Go(func() error { return gw.Run(ctx, ls.cmd) })
	}
	if ls.stats != nil {
		log.Info("stats gateway", zap.String("url", "http://"+ls.stats.Addr().String()+"/"))
		fmt.Fprintf(cmd.OutOrStdout(), "stats http://%s/\n", ls.stats.Addr())
		gw := stats.New(m, stats.Options{Version: buildVersion(), HTTPBase: httpBase, Log: log,
			Collectors: append(httpMetrics, metrics...)})
		g.Go(func() error { return gw.Run(ctx, ls.stats) })
	}
}

// advertisedTCP is a listener's address as a client on this machine reaches it: loopback
// when it listens on all interfaces.
func advertisedTCP(a net.Addr) string {
	ta, ok := a.(*net.TCPAddr)
	if !ok {
		return a.String()
	}
	ap := ta.AddrPort()
	return swarms.Advertised(netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())).String()
}
