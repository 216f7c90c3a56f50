package dht

import (
	"context"
	"net"
	"net/netip"

	"github.com/anacrolix/dht/v2/krpc"
	"github.com/anacrolix/torrent/metainfo"
	"go.uber.org/zap"
	"golang.org/x/time/rate"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// An announce_peer another node sends us (BEP 5) for a swarm we hold and that is short of
// peers is a peer for it now: it is handed to the manager at once instead of waiting for
// the swarm's next lookup (which may be minutes away once lookups back off). The announce is
// also kept in the peer store, as for any key, so a lookup finds it later anyway.

// Bounds of that hand-over: announces wait in a small queue (an announce that finds it full
// is only stored), and at most announcedRate peers a second go to the manager, so that
// nodes announcing many ports cannot make the daemon contact addresses at their pace. BEP 5
// tokens tie an announce to its sender's IP, so each address is one a node announced for
// itself.
const (
	announcedQueue = 64
	announcedRate  = 10
	announcedBurst = 20
)

// announcedPeer is one announce_peer received: the key and the PPSPP address announced.
type announcedPeer struct {
	key  [KeySize]byte
	addr netip.AddrPort
}

// wantedSwarms maps the DHT keys of the swarms short of peers to their IDs: a snapshot the
// Run goroutine publishes at each scan of the swarm list.
type wantedSwarms map[[KeySize]byte]swarmapi.ID

// needsPeers is the rule for looking a swarm up: a download with fewer established peers
// than wanted. Seeds need no peers found for them; others find them.
func needsPeers(st swarmapi.Status, want int) bool {
	return st.State == swarmapi.StateDownloading && st.Peers < want
}

// publishWanted records which swarms in list need peers, for handAnnounced.
func (d *DHT) publishWanted(list []swarmapi.Status) {
	w := wantedSwarms{}
	for _, st := range list {
		if !needsPeers(st, d.cfg.WantPeers) {
			continue
		}
		if key, err := Key(st.ID); err == nil {
			w[key] = st.ID
		}
	}
	d.wanted.Store(&w)
}

// onAnnouncePeer is anacrolix/dht's OnAnnouncePeer hook: it runs, on a goroutine of the
// library's, for each announce_peer with a valid token. It only queues the announce; it
// must not block, and may run after Run has returned (the queue is then never read).
func (d *DHT) onAnnouncePeer(infoHash metainfo.Hash, ip net.IP, port int, portOk bool) {
	if !portOk {
		return
	}
	ap, ok := addrPort(krpc.NodeAddr{IP: ip, Port: port})
	if !ok {
		return
	}
	select {
	case d.announced <- announcedPeer{key: [KeySize]byte(infoHash), addr: ap}:
	default:
		d.counters.announcedDropped.Add(1)
	}
}

// handAnnounced hands the queued announces for swarms that need peers to the manager,
// until ctx ends. It is started by Run, which waits for it.
func (d *DHT) handAnnounced(ctx context.Context) {
	limit := rate.NewLimiter(announcedRate, announcedBurst)
	for {
		var a announcedPeer
		select {
		case <-ctx.Done():
			return
		case a = <-d.announced:
		}
		d.handOne(ctx, limit, a)
		d.counters.announcesReceived.Add(1)
	}
}

func (d *DHT) handOne(ctx context.Context, limit *rate.Limiter, a announcedPeer) {
	w := d.wanted.Load()
	if w == nil || d.isSelf(a.addr) {
		return
	}
	id, ok := (*w)[a.key]
	if !ok || !limit.Allow() {
		return
	}
	if err := d.m.AddPeers(ctx, id, []string{a.addr.String()}); err != nil {
		d.log.Debug("DHT announced peer not added", zap.Stringer("swarm", id), zap.Error(err))
		return
	}
	d.counters.announcedPeers.Add(1)
	d.log.Info("DHT peer announced to us handed to its swarm", zap.Stringer("swarm", id), zap.Stringer("peer", a.addr))
}
