package dht

import (
	"net"
	"net/netip"
	"testing"
	"time"

	"github.com/anacrolix/dht/v2/krpc"
	peer_store "github.com/anacrolix/dht/v2/peer-store"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func addrs(ns []krpc.NodeAddr) map[string]bool {
	m := map[string]bool{}
	for _, n := range ns {
		ap, _ := addrPort(n)
		m[ap.String()] = true
	}
	return m
}

// TestPeerStoreKeepsPeersOnOneHost: peers on one IP with different ports are all kept
// (anacrolix's in-memory store keeps one per IP).
func TestPeerStoreKeepsPeersOnOneHost(t *testing.T) {
	c := &fakeClock{time.Unix(1000, 0)}
	s := newPeerStore(c.now)
	var key peer_store.InfoHash
	key[0] = 1
	for _, p := range []int{7001, 7002, 7003} {
		s.AddPeer(key, krpc.NodeAddr{IP: net.IPv4(127, 0, 0, 1), Port: p})
	}
	got := addrs(s.GetPeers(key))
	if len(got) != 3 || !got["127.0.0.1:7002"] {
		t.Fatalf("peers %v", got)
	}
	var other peer_store.InfoHash
	if len(s.GetPeers(other)) != 0 {
		t.Fatal("peers under an unannounced key")
	}
}

func TestPeerStoreExpiresAndRefuses(t *testing.T) {
	c := &fakeClock{time.Unix(1000, 0)}
	s := newPeerStore(c.now)
	var key peer_store.InfoHash
	s.AddPeer(key, krpc.NodeAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1})
	// Unusable addresses are not stored.
	s.AddPeer(key, krpc.NodeAddr{IP: net.IPv4zero, Port: 5})
	s.AddPeer(key, krpc.NodeAddr{IP: net.IPv4(10, 0, 0, 2), Port: 0})
	s.AddPeer(key, krpc.NodeAddr{IP: net.IP{1, 2, 3}, Port: 5})
	if got := s.GetPeers(key); len(got) != 1 {
		t.Fatalf("peers %v", got)
	}
	c.t = c.t.Add(peerTTL + time.Second)
	if got := s.GetPeers(key); len(got) != 0 {
		t.Fatalf("expired peers returned: %v", got)
	}
}

func TestPeerStoreBounded(t *testing.T) {
	c := &fakeClock{time.Unix(1000, 0)}
	s := newPeerStore(c.now)
	var key peer_store.InfoHash
	for i := range maxPeersPerKey + 20 {
		c.t = c.t.Add(time.Second)
		s.AddPeer(key, nodeAddr(netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, byte(i >> 8), byte(i)}), 6778)))
	}
	s.mu.Lock()
	n := len(s.keys[key])
	_, firstKept := s.keys[key][netip.MustParseAddrPort("10.0.0.0:6778")]
	s.mu.Unlock()
	if n != maxPeersPerKey || firstKept {
		t.Fatalf("%d peers kept (oldest kept: %v), want %d without the oldest", n, firstKept, maxPeersPerKey)
	}
	if got := s.GetPeers(key); len(got) != peersPerGetPeer {
		t.Fatalf("get_peers answer has %d peers, want %d", len(got), peersPerGetPeer)
	}
	for i := range maxKeys + 5 {
		var k peer_store.InfoHash
		k[0], k[1], k[2] = byte(i>>16), byte(i>>8), byte(i)
		k[19] = 1
		s.AddPeer(k, krpc.NodeAddr{IP: net.IPv4(10, 0, 0, 1), Port: 1})
	}
	s.mu.Lock()
	keys := len(s.keys)
	s.mu.Unlock()
	if keys != maxKeys {
		t.Fatalf("%d keys stored, want at most %d", keys, maxKeys)
	}
}
