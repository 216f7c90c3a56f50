package main

import (
	"path/filepath"
	"strings"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/booster"
	"github.com/ppsppd/ppsppd/internal/config"
	cmdgw "github.com/ppsppd/ppsppd/internal/gateway/cmd"
	"github.com/ppsppd/ppsppd/internal/swarms"
)

// newBooster builds the feed booster when [booster] enables it (nil when it is off).
func newBooster(cfg config.Config, m *swarms.Manager, log *zap.Logger, dhtOn bool) *booster.Booster {
	bc := cfg.Booster
	if !bc.Enabled {
		return nil
	}
	if !dhtOn {
		log.Warn("booster on with the DHT off: only links that name a peer can be downloaded (set [dht] enabled = true)")
	}
	return booster.New(boosterConfig(cfg, log), m)
}

// boosterConfig is the booster's configuration from [booster]; its record of the swarms it
// added is kept in the state directory.
func boosterConfig(cfg config.Config, log *zap.Logger) booster.Config {
	bc := cfg.Booster
	v := bc.Values()
	return booster.Config{
		Feeds:    bc.Feeds,
		Dir:      bc.Dir,
		Interval: v.Interval,
		Limits: booster.Limits{
			MaxSwarms: bc.MaxSwarms, MaxBytes: v.MaxBytes, SeedTime: v.SeedTime, SeedRatio: bc.SeedRatio,
		},
		StateFile: filepath.Join(cfg.Node.StateDir, booster.StateFileName),
		UserAgent: "ppsppd/" + buildVersion(),
		Logger:    log,
	}
}

// reloadBooster gives a running booster the reread [booster] table (SIGHUP).
func reloadBooster(b *booster.Booster, cfg config.Config, applied []string, log *zap.Logger) {
	changed := false
	for _, k := range applied {
		changed = changed || strings.HasPrefix(k, "booster.")
	}
	switch {
	case !changed:
	case b == nil:
		log.Info("SIGHUP: the booster is off; its changed keys apply once it is enabled (restart)")
	default:
		b.Reconfigure(boosterConfig(cfg, log))
	}
}

// boosterStatus is what the CMD gateway reads for BOOSTER: nil (not a nil pointer in an
// interface) when the booster is off.
func boosterStatus(b *booster.Booster) cmdgw.BoosterAPI {
	if b == nil {
		return nil
	}
	return b
}
