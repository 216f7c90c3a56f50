package service

import (
	"context"
	"fmt"
	"os"
	"time"

	"github.com/coreos/go-systemd/v22/daemon"
	"go.uber.org/zap"
)

// RunWatchdog pets systemd's watchdog (WatchdogSec=) for as long as probe keeps answering.
// Every half of the watchdog interval it calls probe with a deadline of that half; only a
// nil answer sends WATCHDOG=1. Wire probe to a round trip through the goroutine that must
// stay alive (the node's loop): if that loop stalls, the pings stop and systemd kills and
// restarts the daemon, which a ticker petting on its own would never let happen. probe must
// return when its context ends.
//
// Without a watchdog (WATCHDOG_USEC unset, meant for another process, or no NOTIFY_SOCKET)
// RunWatchdog waits for ctx and returns nil, so it can run unconditionally beside the other
// components. It returns an error only for a malformed WATCHDOG_USEC or WATCHDOG_PID.
func RunWatchdog(ctx context.Context, probe func(ctx context.Context) error, log *zap.Logger) error {
	interval, err := daemon.SdWatchdogEnabled(false)
	if err != nil {
		return fmt.Errorf("systemd watchdog: %w", err)
	}
	if interval <= 0 || os.Getenv("NOTIFY_SOCKET") == "" {
		<-ctx.Done()
		return nil
	}
	// Half the interval, as sd_watchdog_enabled(3) advises: a ping that comes late by up to
	// one period still lands before systemd's deadline.
	period := interval / 2
	log.Info("systemd watchdog enabled", zap.Duration("timeout", interval), zap.Duration("probe_every", period))
	tick := time.NewTicker(period)
	defer tick.Stop()
	for {
		petIfAlive(ctx, probe, period, log)
		select {
		case <-ctx.Done():
			return nil
		case <-tick.C:
		}
	}
}

// petIfAlive runs one probe and sends WATCHDOG=1 only if it answered in time.
func petIfAlive(ctx context.Context, probe func(context.Context) error, timeout time.Duration, log *zap.Logger) {
	pctx, cancel := context.WithTimeout(ctx, timeout)
	err := probe(pctx)
	cancel()
	if ctx.Err() != nil {
		return // shutting down; TimeoutStopSec= governs from here
	}
	if err != nil {
		log.Warn("the node loop did not answer the watchdog probe; not petting systemd's watchdog, which restarts the daemon if this persists",
			zap.Duration("waited", timeout), zap.Error(err))
		return
	}
	if err := notify(daemon.SdNotifyWatchdog); err != nil {
		log.Warn("cannot pet systemd's watchdog", zap.Error(err))
	}
}
