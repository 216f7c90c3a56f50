package dht

import (
	"net/netip"
	"sync"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	peer_store "github.com/anacrolix/dht/v2/peer-store"
)

// Limits of the announced peers a node keeps for others, so that announces from the network
// cannot grow memory without bound.
const (
	peerTTL         = 30 * time.Minute // BEP 5 peers re-announce; unrefreshed entries go
	maxPeersPerKey  = 100
	maxKeys         = 10000
	peersPerGetPeer = 50 // values returned in one get_peers reply, which must fit a datagram
)

// peerStore keeps the peers announced to this node, per key, by IP and port. anacrolix/dht's
// in-memory store keys peers by IP alone (one peer per host), which loses every peer but one
// when several share an address: several daemons behind one NAT, or on one machine.
type peerStore struct {
	now func() time.Time

	mu   sync.Mutex
	keys map[peer_store.InfoHash]map[netip.AddrPort]time.Time
}

var _ peer_store.Interface = (*peerStore)(nil)

func newPeerStore(now func() time.Time) *peerStore {
	return &peerStore{now: now, keys: map[peer_store.InfoHash]map[netip.AddrPort]time.Time{}}
}

// AddPeer records an announce. A full key drops its oldest peer; a new key when the store
// is full is refused after the expired entries are cleared.
func (s *peerStore) AddPeer(key peer_store.InfoHash, na krpc.NodeAddr) {
	ap, ok := addrPort(na)
	if !ok {
		return
	}
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	peers := s.keys[key]
	if peers == nil {
		if len(s.keys) >= maxKeys {
			s.expireLocked(now)
			if len(s.keys) >= maxKeys {
				return
			}
		}
		peers = map[netip.AddrPort]time.Time{}
		s.keys[key] = peers
	}
	if _, known := peers[ap]; !known && len(peers) >= maxPeersPerKey {
		var oldest netip.AddrPort
		var oldestAt time.Time
		for p, at := range peers {
			if oldestAt.IsZero() || at.Before(oldestAt) {
				oldest, oldestAt = p, at
			}
		}
		delete(peers, oldest)
	}
	peers[ap] = now
}

// GetPeers answers get_peers with the key's live peers, at most peersPerGetPeer of them.
func (s *peerStore) GetPeers(key peer_store.InfoHash) []krpc.NodeAddr {
	now := s.now()
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []krpc.NodeAddr
	for p, at := range s.keys[key] {
		if now.Sub(at) > peerTTL {
			delete(s.keys[key], p)
			continue
		}
		if len(out) < peersPerGetPeer {
			out = append(out, nodeAddr(p))
		}
	}
	if len(s.keys[key]) == 0 {
		delete(s.keys, key)
	}
	return out
}

func (s *peerStore) expireLocked(now time.Time) {
	for key, peers := range s.keys {
		for p, at := range peers {
			if now.Sub(at) > peerTTL {
				delete(peers, p)
			}
		}
		if len(peers) == 0 {
			delete(s.keys, key)
		}
	}
}

// addrPort converts a KRPC address; ok is false for one no peer can be reached at.
func addrPort(na krpc.NodeAddr) (netip.AddrPort, bool) {
	ip, ok := netip.AddrFromSlice(na.IP)
	if !ok || na.Port < 1 || na.Port > 65535 {
		return netip.AddrPort{}, false
	}
	ip = ip.Unmap()
	if ip.IsUnspecified() || ip.IsMulticast() {
		return netip.AddrPort{}, false
	}
	return netip.AddrPortFrom(ip, uint16(na.Port)), true
}

func nodeAddr(ap netip.AddrPort) krpc.NodeAddr {
	var na krpc.NodeAddr
	na.FromAddrPort(ap)
	return na
}
