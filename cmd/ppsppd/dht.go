package main

import (
	"context"
	"fmt"
	"path/filepath"
	"sync"

	"go.uber.org/zap"

	"github.com/ppsppd/ppsppd/internal/config"
	"github.com/ppsppd/ppsppd/internal/discovery/dht"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// newDHT binds the DHT's socket when [dht] enables it (nil when it is off): it announces
// every swarm at the manager's PPSPP port and keeps its routing table in the state directory.
func newDHT(cfg config.Config, m *swarms.Manager, log *zap.Logger) (*dht.DHT, error) {
	if !cfg.DHT.Enabled {
		return nil, nil
	}
	dht.RouteLibraryLog(log)
	d, err := dht.New(dht.Config{
		Listen:       cfg.DHT.Listen,
		Bootstrap:    cfg.DHT.Bootstrap,
		StateFile:    filepath.Join(cfg.Node.StateDir, dht.NodesFileName),
		AnnouncePort: m.LocalAddr().Port(),
		Logger:       log,
	}, m)
	if err != nil {
		return nil, configError{&config.BindError{Key: "dht.listen", Addr: cfg.DHT.Listen, Err: err}}
	}
	return d, nil
}

// startGetDHT runs a DHT lookup for get's private manager when --dht-bootstrap names nodes;
// it announces nothing (get is gone when it finishes) and saves no routing table. stop
// ends it and waits; it may be called more than once.
func startGetDHT(m *swarms.Manager, f getFlags, log *zap.Logger) (stop func(), err error) {
	if len(f.dhtBootstrap) == 0 {
		return func() {}, nil
	}
	for _, b := range f.dhtBootstrap {
		if err := swarmurl.CheckPeer(b); err != nil {
			return nil, fmt.Errorf("--dht-bootstrap %q: %w", b, err)
		}
	}
	dht.RouteLibraryLog(log)
	d, err := dht.New(dht.Config{Listen: f.dhtListen, Bootstrap: f.dhtBootstrap, Logger: log}, m)
	if err != nil {
		return nil, fmt.Errorf("--dht-listen %s: %w", f.dhtListen, err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := d.Run(ctx); err != nil {
			log.Error("DHT", zap.Error(err))
		}
	}()
	var once sync.Once
	return func() { once.Do(func() { cancel(); <-done }) }, nil
}

// dhtFromConfig takes the DHT bootstrap nodes from the configuration file --config names,
// when its [dht] table is enabled and --dht-bootstrap gave none: the same file the daemon
// runs with turns the DHT on for get too. Only bootstrap nodes are taken; get's DHT socket
// stays --dht-listen, since the daemon may hold dht.listen.
func (f *getFlags) dhtFromConfig() error {
	if f.configPath == "" || len(f.dhtBootstrap) > 0 {
		return nil
	}
	cfg, err := config.Load(f.configPath)
	if err != nil {
		return err
	}
	if cfg.DHT.Enabled {
		f.dhtBootstrap = cfg.DHT.Bootstrap
	}
	return nil
}
