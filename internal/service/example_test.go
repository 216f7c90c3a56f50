package service_test

import (
	"context"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/config"
	"github.com/ppsppd/ppsppd/internal/service"
)

// Example shows how `ppsppd serve` wires the package: signals first, READY=1 after the
// sockets are bound and the swarms loaded, the watchdog probing the node's loop, SIGHUP
// rereading the file, STOPPING=1 before the checkpoints are written. (Not run: it waits for
// signals.)
func Example() {
	log := zap.NewExample()
	cfgPath := "/etc/ppsppd/ppsppd.toml"
	cfg, err := config.Load(cfgPath)
	if err != nil {
		return // exit status 2
	}
	ctx, hup, stop := service.Signals(context.Background())
	defer stop()

	// ... bind node.listen, cmd.listen, http.listen, stats.listen (a failure is a
	// *config.BindError, exit 2); load the persisted swarm list ...
	askLoop := func(ctx context.Context) error { return nil } // a round trip into the node's loop
	go func() { _ = service.RunWatchdog(ctx, askLoop, log) }()
	_ = service.Ready()
	_ = service.Status(service.StatusLine(3, 1.2e6, 3e5))

	for {
		select {
		case <-hup:
			_ = service.Reloading()
			r, err := config.ReloadFile(cfgPath, cfg)
			if err != nil {
				log.Warn("reload failed; keeping the running configuration", zap.Error(err))
			} else {
				cfg = r.Config // apply r.Config.Log.Level and r.Config.Limits.Rates()
				log.Info("reloaded", zap.Strings("applied", r.Applied), zap.Strings("need_restart", r.NotReloaded))
			}
			_ = service.Ready()
		case <-ctx.Done():
			_ = service.Stopping()
			// ... write every checkpoint, close the swarms, return nil (exit 0) ...
			return
		}
	}
}
