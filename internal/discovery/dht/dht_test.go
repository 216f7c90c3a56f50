package dht

import (
	"context"
	"net"
	"net/netip"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"go.uber.org/zap/zaptest"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// fakeManager is a swarm list and a record of the peers handed to it.
type fakeManager struct {
	mu    sync.Mutex
	list  []swarmapi.Status
	peers map[swarmapi.ID][]string
}

func (m *fakeManager) List() []swarmapi.Status {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.list)
}

func (m *fakeManager) AddPeers(_ context.Context, id swarmapi.ID, peers []string) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.peers == nil {
		m.peers = map[swarmapi.ID][]string{}
	}
	m.peers[id] = append(m.peers[id], peers...)
	return nil
}

func (m *fakeManager) got(id swarmapi.ID) []string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return slices.Clone(m.peers[id])
}

// runDHT starts a DHT on a free loopback port; it stops at the end of the test.
func runDHT(t *testing.T, cfg Config, m Manager) *DHT {
	t.Helper()
	cfg.Listen = "127.0.0.1:0"
	cfg.Logger = zaptest.NewLogger(t)
	if cfg.ScanEvery == 0 {
		cfg.ScanEvery = 50 * time.Millisecond
	}
	if cfg.LookupMin == 0 {
		cfg.LookupMin = 200 * time.Millisecond
	}
	d, err := New(cfg, m)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- d.Run(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Error(err)
		}
	})
	return d
}

// TestLookupFindsAnnouncedPeer: three DHT nodes on loopback, each bootstrapping only from
// the others; one announces a swarm it seeds, another, downloading it with no peer, is
// handed the seeder's PPSPP address (the announced port, not the DHT's).
func TestLookupFindsAnnouncedPeer(t *testing.T) {
	id := swarmapi.ID("\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0a\x0b\x0c\x0d\x0e\x0f\x10\x11\x12\x13\x14")
	hub := runDHT(t, Config{}, &fakeManager{})
	seeder := &fakeManager{list: []swarmapi.Status{{ID: id, State: swarmapi.StateSeeding}}}
	sd := runDHT(t, Config{Bootstrap: []string{hub.Addr().String()}, AnnouncePort: 40001}, seeder)
	// The leecher joins after the seeder's announce is done, so the seeder reaches it only
	// through a lookup (an announce to the leecher's own node would hand it over directly:
	// TestAnnouncedPeerHandedAtOnce).
	waitFor(t, "the seeder's announce", func() bool { return sd.Metrics().Announces > 0 })
	leecher := &fakeManager{list: []swarmapi.Status{{ID: id, State: swarmapi.StateDownloading}}}
	ld := runDHT(t, Config{Bootstrap: []string{hub.Addr().String(), sd.Addr().String()}, AnnouncePort: 40002}, leecher)

	deadline := time.Now().Add(60 * time.Second)
	for !slices.Contains(leecher.got(id), "127.0.0.1:40001") {
		if time.Now().After(deadline) {
			t.Fatalf("seeder not found; leecher got %v, metrics %+v", leecher.got(id), ld.Metrics())
		}
		time.Sleep(20 * time.Millisecond)
	}
	// Its own announced address is never handed back to it.
	if slices.Contains(leecher.got(id), "127.0.0.1:40002") {
		t.Fatalf("leecher handed its own address: %v", leecher.got(id))
	}
	m := ld.Metrics()
	if m.Lookups == 0 || m.PeersFound == 0 || m.Nodes == 0 {
		t.Fatalf("leecher metrics %+v", m)
	}
	if sm := sd.Metrics(); sm.Announces == 0 || sm.Lookups != 0 {
		t.Fatalf("seeder metrics %+v: a seed is announced, never looked up", sm)
	}
}

// TestStartingNodesAreOnlyTheConfiguredOnes: the routers anacrolix/dht would use by default
// are never resolved or contacted; a traversal with an empty table starts from the
// configured bootstrap nodes only, and from nothing when none is configured.
func TestStartingNodesAreOnlyTheConfiguredOnes(t *testing.T) {
	d, err := New(Config{Listen: "127.0.0.1:0", Bootstrap: []string{"127.0.0.1:7001", "[::1]:7002"}}, &fakeManager{})
	if err != nil {
		t.Fatal(err)
	}
	defer d.conn.Close()
	sc := d.serverConfig()
	if sc.StartingNodes == nil {
		t.Fatal("no StartingNodes: the library would fall back to its defaults")
	}
	addrs, err := sc.StartingNodes()
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range addrs {
		got = append(got, a.String())
	}
	if want := []string{"127.0.0.1:7001", "[::1]:7002"}; !slices.Equal(got, want) {
		t.Fatalf("starting nodes %v, want %v", got, want)
	}

	none, err := New(Config{Listen: "127.0.0.1:0"}, &fakeManager{})
	if err != nil {
		t.Fatal(err)
	}
	defer none.conn.Close()
	if addrs, err := none.serverConfig().StartingNodes(); err == nil || len(addrs) != 0 {
		t.Fatalf("no bootstrap configured, yet starting nodes %v", addrs)
	}
}

// TestRoutingTablePersists: the table and node ID are saved at shutdown and loaded again.
func TestRoutingTablePersists(t *testing.T) {
	state := filepath.Join(t.TempDir(), NodesFileName)
	a := runDHT(t, Config{}, &fakeManager{})
	ctx, cancel := context.WithCancel(context.Background())
	b, err := New(Config{Listen: "127.0.0.1:0", Bootstrap: []string{a.Addr().String()}, StateFile: state}, &fakeManager{})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- b.Run(ctx) }()
	deadline := time.Now().Add(30 * time.Second)
	for b.Metrics().Nodes == 0 {
		if time.Now().After(deadline) {
			t.Fatal("bootstrap node never joined the table")
		}
		time.Sleep(20 * time.Millisecond)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatal(err)
	}
	id, nodes, err := loadNodes(state)
	if err != nil {
		t.Fatal(err)
	}
	want := netip.MustParseAddrPort(a.Addr().String())
	if id != b.id || len(nodes) != 1 {
		t.Fatalf("saved id %v (running %v), nodes %v", id, b.id, nodes)
	}
	if ap, _ := addrPort(nodes[0].Addr); ap != want {
		t.Fatalf("saved node %v, want %v", ap, want)
	}
	// A new DHT on the same file has the same ID and starts with the saved node.
	again, err := New(Config{Listen: "127.0.0.1:0", StateFile: state}, &fakeManager{})
	if err != nil {
		t.Fatal(err)
	}
	defer again.conn.Close()
	if again.id != b.id || len(again.saved) != 1 {
		t.Fatalf("reloaded id %v, saved %v", again.id, again.saved)
	}
	if fi, err := os.Stat(state); err != nil || fi.Size() == 0 {
		t.Fatalf("state file: %v", err)
	}
}

// TestGarbageDatagramsDoNotStopIt: datagrams that are not KRPC, or KRPC with wrong types,
// are dropped and the node still answers a ping.
func TestGarbageDatagramsDoNotStopIt(t *testing.T) {
	target := runDHT(t, Config{}, &fakeManager{})
	c, err := net.Dial("udp", target.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	for _, b := range []string{
		"", "x", "d", "de", "d1:y1:qe", "d1:q4:ping1:t1:a1:y1:qe", "d1:ad2:id3:abce1:q9:get_peers1:t1:a1:y1:qe",
		"d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa9:info_hash3:abce1:q9:get_peers1:t1:b1:y1:qe",
		"d1:ad2:id20:aaaaaaaaaaaaaaaaaaaa4:porti-5e5:token1:x9:info_hash20:bbbbbbbbbbbbbbbbbbbbe1:q13:announce_peer1:t1:c1:y1:qe",
		"d1:rd2:id20:aaaaaaaaaaaaaaaaaaaa5:nodes7:garbagee1:t1:z1:y1:re",
		string(make([]byte, 1400)),
	} {
		if _, err := c.Write([]byte(b)); err != nil {
			t.Fatal(err)
		}
	}
	pinger := runDHT(t, Config{Bootstrap: []string{target.Addr().String()}}, &fakeManager{})
	deadline := time.Now().Add(30 * time.Second)
	for pinger.Metrics().Nodes == 0 {
		if time.Now().After(deadline) {
			t.Fatal("the node no longer answers after garbage")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
