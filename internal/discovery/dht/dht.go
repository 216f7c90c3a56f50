package dht

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/netip"
	"sync"
	"sync/atomic"
	"time"

	adht "github.com/anacrolix/dht/v2"
	"github.com/anacrolix/dht/v2/krpc"
	"github.com/prometheus/client_golang/prometheus"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// Manager is what the DHT needs of the swarm manager: the swarms (to announce those seeded
// or downloaded and look up those short of peers) and a way to hand it peers.
type Manager interface {
	List() []swarmapi.Status
	AddPeers(ctx context.Context, id swarmapi.ID, peers []string) error
}

// Config configures a DHT. Zero durations and counts take the defaults below.
type Config struct {
	// Listen is the UDP address of the DHT's own socket (not PPSPP's).
	Listen string
	// Bootstrap are HOST:PORT nodes asked while the routing table is short of good nodes.
	// Nothing else is contacted that the table did not learn from them: with none, the DHT
	// only answers nodes that find it.
	Bootstrap []string
	// StateFile keeps the routing table and node ID across runs; empty: nothing is saved.
	StateFile string
	// AnnouncePort is the PPSPP UDP port announced for every swarm; 0 announces nothing
	// (a one-shot download that will not be there to serve).
	AnnouncePort uint16
	// WantPeers: a download with fewer established peers is looked up.
	WantPeers int

	AnnounceEvery time.Duration // re-announce period; BEP 5 peers expire after ~30 minutes
	LookupMin     time.Duration // first wait between lookups of one swarm
	LookupMax     time.Duration // cap of the doubling wait
	ScanEvery     time.Duration // how often the swarm list is read

	Logger *zap.Logger
}

// Defaults.
const (
	defaultWantPeers     = 4
	defaultAnnounceEvery = 15 * time.Minute
	defaultLookupMin     = 5 * time.Second
	defaultLookupMax     = 5 * time.Minute
	defaultScanEvery     = 2 * time.Second
	maxRunning           = 8                // traversals at once
	traversalTimeout     = 2 * time.Minute  // a traversal that has not stalled by then is cut short
	saveEvery            = 5 * time.Minute  // routing table saves besides the one at shutdown
	rebootstrapEvery     = 15 * time.Minute // refresh the neighbourhood of our own ID
	minGoodNodes         = 8                // fewer: ask the bootstrap nodes again
	resolveTimeout       = 5 * time.Second
	drainTimeout         = 3 * time.Second       // longer than the library's 2 s query resend delay
	sendRate             = 25                    // KRPC datagrams a second, queries and replies (anacrolix's default)
	sendBurst            = 100                   // of which at once
	addedScanDelay       = 50 * time.Millisecond // after a swarm is added, before the scan it causes
)

// DHT announces and looks up swarms on the mainline DHT. Run drives it.
type DHT struct {
	cfg      Config
	m        Manager
	log      *zap.Logger
	conn     net.PacketConn
	id       krpc.ID
	saved    []krpc.NodeInfo
	localIPs map[netip.Addr]bool
	sched    *schedule  // the Run goroutine's only
	store    *peerStore // peers other nodes announced to this one

	announced chan announcedPeer           // announces to us, for handAnnounced
	wanted    atomic.Pointer[wantedSwarms] // swarms short of peers, as of the last scan

	srv      atomic.Pointer[adht.Server]
	stopped  atomic.Bool // Run has returned: the library's late log lines are dropped
	counters counters
}

// New binds the DHT's socket (so a busy port is reported at start) and reads the saved
// routing table; Run must follow, and closes the socket when it returns.
func New(cfg Config, m Manager) (*DHT, error) {
	if cfg.Logger == nil {
		cfg.Logger = zap.NewNop()
	}
	setDefault(&cfg.WantPeers, defaultWantPeers)
	setDefault(&cfg.AnnounceEvery, defaultAnnounceEvery)
	setDefault(&cfg.LookupMin, defaultLookupMin)
	setDefault(&cfg.LookupMax, defaultLookupMax)
	setDefault(&cfg.ScanEvery, defaultScanEvery)
	for _, b := range cfg.Bootstrap {
		if err := swarmurl.CheckPeer(b); err != nil {
			return nil, fmt.Errorf("DHT bootstrap node %q: %w", b, err)
		}
	}
	d := &DHT{cfg: cfg, m: m, log: cfg.Logger, localIPs: localIPs(), store: newPeerStore(time.Now),
		announced: make(chan announcedPeer, announcedQueue)}
	if cfg.StateFile != "" {
		id, nodes, err := loadNodes(cfg.StateFile)
		if err != nil {
			d.log.Warn("DHT routing table unreadable: starting with a new one", zap.Error(err))
		}
		d.id, d.saved = id, nodes
	}
	if d.id.IsZero() {
		d.id = krpc.RandomNodeID()
	}
	conn, err := net.ListenPacket("udp", cfg.Listen)
	if err != nil {
		return nil, err
	}
	d.conn = conn
	d.sched = &schedule{
		announceEvery: cfg.AnnounceEvery, lookupMin: cfg.LookupMin, lookupMax: cfg.LookupMax,
		wantPeers: cfg.WantPeers, maxRunning: maxRunning, announce: cfg.AnnouncePort != 0,
		swarms: map[swarmapi.ID]*swarmTimes{},
	}
	return d, nil
}

func setDefault[T comparable](v *T, def T) {
	var zero T
	if *v == zero {
		*v = def
	}
}

// Addr is the DHT socket's address.
func (d *DHT) Addr() netip.AddrPort {
	if ua, ok := d.conn.LocalAddr().(*net.UDPAddr); ok {
		ap := ua.AddrPort()
		return netip.AddrPortFrom(ap.Addr().Unmap(), ap.Port())
	}
	return netip.AddrPort{}
}

// Metrics reads the counters and the routing table's size.
func (d *DHT) Metrics() Metrics {
	m := Metrics{
		Lookups: d.counters.lookups.Load(), Announces: d.counters.announces.Load(),
		PeersFound: d.counters.peersFound.Load(), Failed: d.counters.failed.Load(),
		AnnouncesReceived: d.counters.announcesReceived.Load(), AnnouncedPeers: d.counters.announcedPeers.Load(),
		AnnouncedDropped: d.counters.announcedDropped.Load(),
	}
	if srv := d.srv.Load(); srv != nil {
		st := srv.Stats()
		m.Nodes, m.GoodNodes = st.Nodes, st.GoodNodes
	}
	return m
}

// Collector exposes Metrics to a Prometheus registry (the STATS gateway's).
func (d *DHT) Collector() prometheus.Collector { return newCollector(d.Metrics) }

// serverConfig is anacrolix/dht's configuration. StartingNodes is ours: the library's
// default resolves and contacts public routers, which must never happen unless configured.
func (d *DHT) serverConfig() *adht.ServerConfig {
	return &adht.ServerConfig{
		NodeId: d.id,
		Conn:   d.conn,
		// BEP 42's secure IDs need our public address, which we do not know.
		NoSecurity:    true,
		StartingNodes: d.startingNodes,
		PeerStore:     d.store,
		// A peer announced for a swarm that needs one goes to it at once (announced.go).
		OnAnnouncePeer: d.onAnnouncePeer,
		DefaultWant:    []krpc.Want{krpc.WantNodes, krpc.WantNodes6},
		Logger:         zapLogger(d.log, &d.stopped),
		// The library's default limiter is one global for every server in the process. Its
		// replies share this budget and are dropped, not delayed, when it is spent, which
		// costs the asker a 2 s resend: a burst of 100 (25/s on average, the library's rate)
		// cut the traversals that waited for one from 13 to 4 in 95 (make bench-dht).
		SendLimiter: rate.NewLimiter(sendRate, sendBurst),
	}
}

// startingNodes is what a traversal starts from when the routing table is empty: the
// configured bootstrap nodes, and nothing else.
func (d *DHT) startingNodes() ([]adht.Addr, error) {
	ctx, cancel := context.WithTimeout(context.Background(), resolveTimeout)
	defer cancel()
	var out []adht.Addr
	for _, ua := range d.resolveBootstrap(ctx) {
		out = append(out, adht.NewAddr(ua))
	}
	if len(out) == 0 {
		return nil, errors.New("no DHT bootstrap node configured or resolvable")
	}
	return out, nil
}

// resolveBootstrap turns the configured HOST:PORT strings into addresses, leaving out this
// DHT's own. Only configured names are ever resolved.
func (d *DHT) resolveBootstrap(ctx context.Context) []*net.UDPAddr {
	var out []*net.UDPAddr
	for _, hp := range d.cfg.Bootstrap {
		host, portStr, err := net.SplitHostPort(hp)
		if err != nil {
			continue // New checked
		}
		port, err := net.DefaultResolver.LookupPort(ctx, "udp", portStr)
		if err != nil {
			d.log.Warn("DHT bootstrap node", zap.String("node", hp), zap.Error(err))
			continue
		}
		var ips []netip.Addr
		if ip, err := netip.ParseAddr(host); err == nil {
			ips = []netip.Addr{ip}
		} else if ips, err = net.DefaultResolver.LookupNetIP(ctx, "ip", host); err != nil {
			d.log.Warn("DHT bootstrap node does not resolve", zap.String("node", hp), zap.Error(err))
			continue
		}
		for _, ip := range ips {
			ap := netip.AddrPortFrom(ip.Unmap(), uint16(port))
			if d.isOwnDHTAddr(ap) {
				continue
			}
			out = append(out, net.UDPAddrFromAddrPort(ap))
		}
	}
	return out
}

func (d *DHT) isOwnDHTAddr(ap netip.AddrPort) bool {
	own := d.Addr()
	if ap.Port() != own.Port() {
		return false
	}
	return ap.Addr() == own.Addr() || (own.Addr().IsUnspecified() && d.isLocal(ap.Addr()))
}

// isSelf reports whether a peer found on the DHT is this daemon's own PPSPP socket, which
// it announced itself.
func (d *DHT) isSelf(ap netip.AddrPort) bool {
	return d.cfg.AnnouncePort != 0 && ap.Port() == d.cfg.AnnouncePort && d.isLocal(ap.Addr())
}

func (d *DHT) isLocal(ip netip.Addr) bool { return ip.IsLoopback() || d.localIPs[ip.Unmap()] }

// localIPs are this host's interface addresses (read locally; nothing is sent).
func localIPs() map[netip.Addr]bool {
	out := map[netip.Addr]bool{}
	addrs, err := net.InterfaceAddrs()
	if err != nil {
		return out
	}
	for _, a := range addrs {
		if pn, ok := a.(*net.IPNet); ok {
			if ip, ok := netip.AddrFromSlice(pn.IP); ok {
				out[ip.Unmap()] = true
			}
		}
	}
	return out
}

// subscriber is the optional part of Manager that tells of swarms as they are added, so a
// new download is looked up (and a new seed announced) at once rather than at the next scan.
type subscriber interface {
	Subscribe(ctx context.Context, buffer int) <-chan swarmapi.Event
}

// subscribeAdded returns the manager's events, or nil (never ready) when it has none.
func (d *DHT) subscribeAdded(ctx context.Context) <-chan swarmapi.Event {
	if s, ok := d.m.(subscriber); ok {
		return s.Subscribe(ctx, 64)
	}
	return nil
}

type jobResult struct {
	job   job
	found []netip.AddrPort
	ok    bool
}

// Run serves the DHT until ctx ends: it keeps the routing table filled, announces and looks
// up swarms on the schedule, and saves the table. It owns every goroutine it starts and
// waits for them, then saves the table and closes the socket.
func (d *DHT) Run(ctx context.Context) error {
	srv, err := adht.NewServer(d.serverConfig())
	if err != nil {
		d.stopped.Store(true)
		d.conn.Close()
		return fmt.Errorf("starting the DHT: %w", err)
	}
	d.srv.Store(srv)
	added := 0
	for _, n := range d.saved {
		if srv.AddNode(n) == nil {
			added++
		}
	}
	d.log.Info("DHT on", zap.Stringer("udp", d.Addr()), zap.Int("saved_nodes", added),
		zap.Strings("bootstrap", d.cfg.Bootstrap), zap.Uint16("announce_port", d.cfg.AnnouncePort))
	if added == 0 && len(d.cfg.Bootstrap) == 0 {
		d.log.Warn("DHT has no bootstrap node and no saved routing table: it finds other nodes only when they contact it (set dht.bootstrap)")
	}

	ctx, cancel := context.WithCancel(ctx)
	var wg sync.WaitGroup
	defer func() {
		cancel()
		wg.Wait()
		d.save(srv)
		srv.Close()
		d.conn.Close()
		d.drain(srv)
		d.stopped.Store(true)
	}()
	wg.Go(func() { d.maintain(ctx, srv) })
	wg.Go(func() { d.handAnnounced(ctx) })

	results := make(chan jobResult)
	scan := time.NewTicker(d.cfg.ScanEvery)
	defer scan.Stop()
	save := time.NewTicker(saveEvery)
	defer save.Stop()
	start := func(now time.Time) {
		list := d.m.List()
		d.publishWanted(list)
		for _, j := range d.sched.due(now, list) {
			wg.Go(func() {
				found, ok := d.traverse(ctx, srv, j)
				select {
				case results <- jobResult{j, found, ok}:
				case <-ctx.Done():
				}
			})
		}
	}
	start(time.Now())
	events := d.subscribeAdded(ctx)
	soon := time.NewTimer(0)
	soon.Stop()
	defer soon.Stop()
	for {
		select {
		case <-ctx.Done():
			return nil
		case now := <-scan.C:
			start(now)
		case ev, ok := <-events:
			if !ok {
				events = nil
			} else if ev.Kind == swarmapi.EventAdded {
				// A burst of adds (a restart, a feed, a script) is one scan, soon after.
				soon.Reset(addedScanDelay)
			}
		case now := <-soon.C:
			start(now)
		case r := <-results:
			d.sched.done(time.Now(), r.job, r.found, r.ok)
		case <-save.C:
			d.save(srv)
		}
	}
}

// drain waits, for a bounded time, for queries the library started on its own (a bootstrap
// traversal does not wait for its queries when cancelled) to time out, so that they do not
// outlive Run. With the socket closed no answer can come; each ends within one resend delay.
func (d *DHT) drain(srv *adht.Server) {
	deadline := time.Now().Add(drainTimeout)
	for srv.Stats().OutstandingTransactions > 0 {
		if time.Now().After(deadline) {
			d.log.Debug("DHT queries still outstanding at shutdown", zap.Int("queries", srv.Stats().OutstandingTransactions))
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// save writes the routing table when there is something worth keeping: a table that
// emptied (every node timed out, say while offline) does not replace a saved one.
func (d *DHT) save(srv *adht.Server) {
	if d.cfg.StateFile == "" {
		return
	}
	nodes := srv.Nodes()
	if len(nodes) == 0 && len(d.saved) > 0 {
		return
	}
	if err := saveNodes(d.cfg.StateFile, d.id, nodes); err != nil {
		d.log.Warn("DHT routing table not saved", zap.Error(err))
	}
}

// maintain keeps the routing table filled: while it has fewer than minGoodNodes good nodes
// it pings the bootstrap nodes (a node that answers joins the table) and runs a bootstrap
// traversal toward its own ID (BEP 5's way to fill the buckets near it), backing off from a
// second to a minute; then it refreshes every rebootstrapEvery.
func (d *DHT) maintain(ctx context.Context, srv *adht.Server) {
	wait := time.Second
	var last time.Time
	for {
		if srv.Stats().GoodNodes < minGoodNodes || time.Since(last) > rebootstrapEvery {
			d.pingBootstrap(ctx, srv)
			if srv.NumNodes() > 0 {
				if _, err := srv.BootstrapContext(ctx); err != nil && ctx.Err() == nil {
					d.log.Debug("DHT bootstrap", zap.Error(err))
				}
				last = time.Now()
			}
		}
		if srv.Stats().GoodNodes < minGoodNodes {
			wait = min(2*wait, time.Minute)
		} else {
			wait = time.Minute
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return
		case <-t.C:
		}
	}
}

// pingBootstrap pings every configured bootstrap node at once and waits for the answers.
func (d *DHT) pingBootstrap(ctx context.Context, srv *adht.Server) {
	rctx, cancel := context.WithTimeout(ctx, resolveTimeout)
	addrs := d.resolveBootstrap(rctx)
	cancel()
	var wg sync.WaitGroup
	for _, ua := range addrs {
		wg.Go(func() {
			res := srv.Query(ctx, adht.NewAddr(ua), "ping", adht.QueryInput{})
			if res.Err != nil && ctx.Err() == nil {
				d.log.Debug("DHT bootstrap node did not answer", zap.Stringer("node", ua), zap.Error(res.Err))
			}
		})
	}
	wg.Wait()
}

// traverse runs one get_peers traversal for j (BEP 5), announcing at the end when j says so,
// and hands the peers found to the manager as they arrive. ok is false when it could not
// start (no node to ask).
func (d *DHT) traverse(ctx context.Context, srv *adht.Server, j job) (found []netip.AddrPort, ok bool) {
	key, err := Key(j.id)
	if err != nil {
		return nil, true // no swarm the manager holds has an empty ID
	}
	ctx, cancel := context.WithTimeout(ctx, traversalTimeout)
	defer cancel()
	a, err := srv.AnnounceTraversal(key)
	if err != nil {
		d.counters.failed.Add(1)
		d.log.Debug("DHT traversal could not start", zap.Stringer("swarm", j.id), zap.Error(err))
		return nil, false
	}
	defer func() {
		// The library's queries block sending to Peers until someone reads it: stop the
		// traversal and drain, so that none of them is left behind.
		a.Close()
		for range a.Peers {
		}
	}()
	if j.lookup {
		d.counters.lookups.Add(1)
	}
	seen := map[netip.AddrPort]bool{}
	var holders []tokenHolder
	// This node may itself be among the closest to the key, and hold the announce a
	// traversal never asks it for (in a small DHT it often does).
	if j.lookup {
		found = d.handOver(ctx, j.id, d.store.GetPeers(key), seen, found)
	}
	for {
		select {
		case <-ctx.Done():
			return found, true
		case pv, open := <-a.Peers:
			if !open {
				if j.lookup {
					d.log.Debug("DHT lookup done", zap.Stringer("swarm", j.id), zap.Int("peers", len(found)),
						zap.Uint32("nodes_asked", a.NumContacted()))
				}
				if !j.announce {
					return found, true
				}
				n := d.announce(ctx, srv, key, holders)
				if n == 0 {
					d.log.Debug("DHT announce taken by no node", zap.Stringer("swarm", j.id), zap.Int("token_holders", len(holders)))
					return found, false
				}
				d.counters.announces.Add(1)
				return found, true
			}
			if tok := pv.Return.Token; tok != nil && *tok != "" && len(holders) < 4*announceTo*announceTo {
				holders = append(holders, tokenHolder{node: pv.NodeInfo, token: *tok})
			}
			if !j.lookup {
				continue
			}
			found = d.handOver(ctx, j.id, pv.Peers, seen, found)
		}
	}
}

// handOver gives the manager the peers not seen before in this lookup (nor this daemon's
// own address), and returns found with them appended.
func (d *DHT) handOver(ctx context.Context, id swarmapi.ID, peers []krpc.NodeAddr, seen map[netip.AddrPort]bool,
	found []netip.AddrPort) []netip.AddrPort {
	var batch []string
	for _, p := range peers {
		ap, valid := addrPort(p)
		if !valid || seen[ap] || d.isSelf(ap) {
			continue
		}
		seen[ap] = true
		found = append(found, ap)
		batch = append(batch, ap.String())
	}
	if len(batch) == 0 {
		return found
	}
	if err := d.m.AddPeers(ctx, id, batch); err != nil {
		d.log.Debug("DHT peers not added", zap.Stringer("swarm", id), zap.Error(err))
		return found
	}
	d.counters.peersFound.Add(uint64(len(batch)))
	d.log.Info("DHT found peers", zap.Stringer("swarm", id), zap.Strings("peers", batch))
	return found
}
