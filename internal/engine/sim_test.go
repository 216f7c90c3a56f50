package engine

import (
	"bytes"
	"container/heap"
	"fmt"
	"math/rand/v2"
	"net/netip"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/testpeer"
)

// The simulation harness: engines on a virtual clock, joined by links that lose, duplicate,
// delay and (through jitter) reorder datagrams. Everything random comes from one seed, so a
// run is repeatable.

// memStore is an in-memory Store over a hashtree.Tree: the engine-facing behaviour of
// storage.Store without files.
type memStore struct {
	tree    *hashtree.Tree
	data    []byte
	has     map[uint64]bool
	cs      int
	failErr error // PutChunk fails with it after verification, like a full disk
	unread  bool  // ReadAt fails for every chunk (a peer that cannot serve what it announced)
}

func seededStore(t testing.TB, data []byte, cs int) *memStore {
	tree, err := hashtree.Build(data, cs, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	m := &memStore{tree: tree, data: bytes.Clone(data), has: map[uint64]bool{}, cs: cs}
	for i := range tree.NumChunks() {
		m.has[i] = true
	}
	return m
}

func emptyStore(t testing.TB, root []byte, size int64, cs int) *memStore {
	if size == 0 {
		size = -1
	}
	tree, err := hashtree.NewFromRoot(root, hashtree.Params{Hash: hashtree.SHA1, ChunkSize: cs, Size: size})
	if err != nil {
		t.Fatal(err)
	}
	return &memStore{tree: tree, has: map[uint64]bool{}, cs: cs}
}

func (m *memStore) Root() []byte                                { return m.tree.Root() }
func (m *memStore) HashFunc() hashtree.HashFunc                 { return m.tree.HashFunc() }
func (m *memStore) ChunkSize() int                              { return m.cs }
func (m *memStore) NumChunks() uint64                           { return m.tree.NumChunks() }
func (m *memStore) Size() (int64, bool)                         { return m.tree.Size() }
func (m *memStore) Servable(i uint64) bool                      { return m.has[i] }
func (m *memStore) AddPeaks(c []hashtree.NodeHash) (int, error) { return m.tree.AddPeaksPrefix(c) }

func (m *memStore) Uncles(dst []hashtree.NodeHash, b bins.Bin, mode hashtree.Mode, p hashtree.Peer) ([]hashtree.NodeHash, error) {
	return m.tree.Uncles(dst, b, mode, p)
}

func (m *memStore) PutChunk(i uint64, d []byte, cands []hashtree.NodeHash) error {
	if err := m.tree.VerifyChunk(i, d, cands); err != nil {
		return err
	}
	if m.failErr != nil {
		return m.failErr
	}
	end := int(i)*m.cs + len(d)
	if end > len(m.data) {
		m.data = append(m.data, make([]byte, end-len(m.data))...)
	}
	copy(m.data[int(i)*m.cs:], d)
	m.has[i] = true
	return nil
}

func (m *memStore) ReadAt(p []byte, off int64) (int, error) {
	i := uint64(off) / uint64(m.cs)
	if m.unread || !m.has[i] {
		return 0, fmt.Errorf("chunk %d not here", i)
	}
	return copy(p, m.data[off:]), nil
}

type link struct {
	loss, dup     float64
	delay, jitter time.Duration
	rate          float64 // uplink bytes per second; 0 means unlimited (a FIFO queue forms above it)
	// buffer is the longest queue the uplink holds (drop-tail); 0 means unlimited.
	buffer time.Duration
	// overhead is what each datagram costs the uplink besides its UDP payload (IP, UDP and
	// Ethernet headers: 42 bytes), so that goodput compares with TCP's on the same link.
	overhead    int
	blockedFrom bool // drop everything this node sends (a crashed or silent peer)
	corruptData bool // flip a byte in every DATA payload this node sends (a malicious peer)
	// mutate, when set, rewrites every datagram this node sends (a malicious peer).
	mutate func([]byte) []byte
}

type simNode struct {
	name     string
	addr     netip.AddrPort
	eng      *Engine
	content  *memStore
	id       SwarmID
	link     link
	linkFree time.Time // when the uplink finishes sending what is queued on it
	// Uplink statistics for datagrams of at least a chunk (DATA): queueing delay seen, bytes
	// sent, drops at the full buffer.
	queueDelaySum time.Duration
	queueSamples  int
	dataBytes     int
	bufferDrops   int
	measureFrom   time.Time // statistics count only from then on
	events        []Event
	// from counts verified chunks by the peer that sent them.
	from map[netip.AddrPort]int
	// handed holds copies of what the engine passed to Config.Transmit during a call.
	handed []Packet
	// adv, when set, is an adversarial peer in place of an engine (adversary_test.go);
	// advOut holds what it answered, to go out at the next collect.
	adv    *testpeer.Peer
	advOut []testpeer.Packet
}

type delivery struct {
	at   time.Time
	seq  uint64
	to   *simNode
	from netip.AddrPort
	data []byte
}

type deliveries []delivery

func (d deliveries) Len() int { return len(d) }
func (d deliveries) Less(i, j int) bool {
	if d[i].at.Equal(d[j].at) {
		return d[i].seq < d[j].seq
	}
	return d[i].at.Before(d[j].at)
}
func (d deliveries) Swap(i, j int) { d[i], d[j] = d[j], d[i] }
func (d *deliveries) Push(x any)   { *d = append(*d, x.(delivery)) }
func (d *deliveries) Pop() any {
	old := *d
	x := old[len(old)-1]
	*d = old[:len(old)-1]
	return x
}

// ticker runs fn every period of virtual time (cross traffic, players).
type ticker struct {
	next time.Time
	fn   func(now time.Time) time.Duration // returns the time until its next run
}

type simNet struct {
	tickers []*ticker
	t       testing.TB
	rng     *rand.Rand
	now     time.Time
	nodes   map[netip.AddrPort]*simNode
	order   []*simNode
	queue   deliveries
	seq     uint64
	sent    int
}

func newSimNet(t testing.TB, seed uint64) *simNet {
	return &simNet{
		t:     t,
		rng:   rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15)),
		now:   time.Date(2026, 11, 24, 12, 0, 0, 0, time.UTC),
		nodes: map[netip.AddrPort]*simNode{},
	}
}

func (n *simNet) addNode(name string, cfg Config, l link) *simNode {
	cfg.Rand = rand.New(rand.NewPCG(n.rng.Uint64(), n.rng.Uint64()))
	addr := netip.AddrPortFrom(netip.AddrFrom4([4]byte{10, 0, 0, byte(len(n.order) + 1)}), 6778)
	node := &simNode{name: name, addr: addr, link: l, from: map[netip.AddrPort]int{}}
	// Every node hands datagrams over during flushes, as the UDP node does, and its engine
	// reuses the buffers: a datagram changed after it was handed over would fail to verify.
	cfg.Transmit = func(pkts []Packet) {
		for _, p := range pkts {
			node.handed = append(node.handed, Packet{To: p.To, Data: bytes.Clone(p.Data)})
		}
	}
	cfg.TransmitBatch = 8
	node.eng = New(cfg)
	n.nodes[addr] = node
	n.order = append(n.order, node)
	return node
}

// seed adds a node that has all of data.
func (n *simNet) seedNode(name string, data []byte, cs int, cfg Config, l link) *simNode {
	node := n.addNode(name, cfg, l)
	node.content = seededStore(n.t, data, cs)
	var err error
	if node.id, err = node.eng.AddSwarm(NewSwarmConfig(node.content)); err != nil {
		n.t.Fatal(err)
	}
	return node
}

// leechNode adds a node that knows only the swarm ID (and the size, if size > 0).
func (n *simNet) leechNode(name string, root []byte, size int64, cs int, cfg Config, l link) *simNode {
	node := n.addNode(name, cfg, l)
	node.content = emptyStore(n.t, root, size, cs)
	var err error
	if node.id, err = node.eng.AddSwarm(NewSwarmConfig(node.content)); err != nil {
		n.t.Fatal(err)
	}
	return node
}

func (n *simNet) connect(from, to *simNode) {
	if err := from.eng.Connect(n.now, from.id, to.addr); err != nil {
		n.t.Fatal(err)
	}
	n.collect(from)
}

// collect moves a node's outgoing datagrams onto the links and records its events.
func (n *simNet) collect(node *simNode) {
	if node.adv != nil {
		n.collectAdversary(node)
		return
	}
	for _, ev := range node.eng.Events() {
		node.events = append(node.events, ev)
		if ev.Kind == EventChunkVerified {
			node.from[ev.Peer]++
		}
	}
	out := node.eng.Outgoing()
	for _, p := range out {
		node.handed = append(node.handed, Packet{To: p.To, Data: bytes.Clone(p.Data)})
	}
	node.eng.Recycle(out)
	handed := node.handed
	node.handed = nil
	for _, p := range handed {
		n.transmit(node, node.addr, p)
	}
}

// transmit puts one datagram from node (sent from address from) on node's uplink.
func (n *simNet) transmit(node *simNode, from netip.AddrPort, p Packet) {
	n.sent++
	to := n.nodes[p.To]
	l := node.link
	if to == nil || l.blockedFrom || n.rng.Float64() < l.loss {
		return
	}
	data := p.Data
	if l.corruptData {
		data = corruptDataPayload(data)
	}
	if l.mutate != nil {
		data = l.mutate(bytes.Clone(data))
	}
	copies := 1
	if n.rng.Float64() < l.dup {
		copies = 2
	}
	depart := n.now
	if l.rate > 0 {
		// Serialise on the uplink: the datagram leaves after those queued before it,
		// or is dropped when the buffer is full.
		queued := max(node.linkFree.Sub(n.now), 0)
		big := len(data) >= testCS && !n.now.Before(node.measureFrom)
		if l.buffer > 0 && queued > l.buffer {
			if big {
				node.bufferDrops++
			}
			return
		}
		depart = maxTime(n.now, node.linkFree).Add(time.Duration(float64(len(data)+l.overhead) / l.rate * float64(time.Second)))
		node.linkFree = depart
		if big {
			node.queueDelaySum += queued
			node.queueSamples++
			node.dataBytes += len(data)
		}
	}
	for range copies {
		d := depart.Sub(n.now) + l.delay
		if l.jitter > 0 {
			d += time.Duration(n.rng.Int64N(int64(l.jitter)))
		}
		n.seq++
		heap.Push(&n.queue, delivery{at: n.now.Add(d), seq: n.seq, to: to, from: from, data: data})
	}
}

// corruptDataPayload flips the last byte of a datagram whose last message is DATA (DATA is
// always last, RFC 7574 §8.6); other datagrams pass unchanged.
func corruptDataPayload(b []byte) []byte {
	if len(b) < 200 {
		return b
	}
	c := bytes.Clone(b)
	c[len(c)-1] ^= 0xff
	return c
}

// run advances the virtual clock until done() holds or limit passes; it reports whether
// done() held.
func (n *simNet) run(limit time.Duration, done func() bool) bool {
	end := n.now.Add(limit)
	for !done() {
		next := end
		if len(n.queue) > 0 && n.queue[0].at.Before(next) {
			next = n.queue[0].at
		}
		for _, node := range n.order {
			if d := node.nextDeadline(); !d.IsZero() && d.Before(next) {
				next = d
			}
		}
		for _, tk := range n.tickers {
			if tk.next.Before(next) {
				next = tk.next
			}
		}
		if !next.Before(end) {
			n.now = end
			return done()
		}
		if next.After(n.now) {
			n.now = next
		}
		for _, tk := range n.tickers {
			if !tk.next.After(n.now) {
				tk.next = n.now.Add(tk.fn(n.now))
			}
		}
		for len(n.queue) > 0 && !n.queue[0].at.After(n.now) {
			d := heap.Pop(&n.queue).(delivery)
			d.to.handle(n.now, d.from, d.data)
			n.collect(d.to)
		}
		for _, node := range n.order {
			if dl := node.nextDeadline(); !dl.IsZero() && !dl.After(n.now) {
				node.tick(n.now)
				n.collect(node)
			}
		}
	}
	return true
}

// pairTransfer runs one seeder of data and one leecher that knows only the swarm ID, both
// behind link l, until the leecher completes; it fails the test unless the copy is exact.
// It returns both nodes and the virtual time the download took.
func pairTransfer(t *testing.T, seed uint64, data []byte, cs int, l link) (seeder, leech *simNode, took time.Duration) {
	t.Helper()
	net := newSimNet(t, seed)
	seeder = net.seedNode("seeder", data, cs, Config{}, l)
	leech = net.leechNode("leech", []byte(seeder.id), 0, cs, Config{}, l)
	net.connect(leech, seeder)
	start := net.now
	if !net.run(10*time.Minute, allComplete(leech)) {
		t.Fatalf("not complete: %+v", leech.eng.Stats())
	}
	if !bytes.Equal(leech.content.data, data) {
		t.Fatal("content differs")
	}
	return seeder, leech, net.now.Sub(start)
}

func (node *simNode) complete() bool {
	have, total, _ := node.eng.Progress(node.id)
	return total > 0 && have == total
}

func allComplete(nodes ...*simNode) func() bool {
	return func() bool {
		for _, n := range nodes {
			if !n.complete() {
				return false
			}
		}
		return true
	}
}

// testContent is reproducible pseudo-random content.
func testContent(seed uint64, size int) []byte {
	r := rand.New(rand.NewPCG(seed, 1))
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}

// aimdFlow is a loss-based flow (TCP Reno, roughly) that shares a node's uplink: each round
// trip it offers cwnd packets; it doubles cwnd per round (slow start) until its first drop,
// then a drop at the full buffer halves cwnd and a round without drops adds one.
type aimdFlow struct {
	node        *simNode
	rate        float64
	buffer      time.Duration
	baseRTT     time.Duration
	cwnd        int
	bytes       int
	measureFrom time.Time
	avoidance   bool // past slow start
}

func (f *aimdFlow) round(now time.Time) time.Duration {
	const pkt = 1500
	lost := false
	for range f.cwnd {
		queued := max(f.node.linkFree.Sub(now), 0)
		if queued > f.buffer {
			lost = true
			continue
		}
		f.node.linkFree = maxTime(now, f.node.linkFree).Add(time.Duration(pkt / f.rate * float64(time.Second)))
		if !now.Before(f.measureFrom) {
			f.bytes += pkt
		}
	}
	switch {
	case lost:
		f.cwnd, f.avoidance = max(f.cwnd/2, 1), true
	case f.avoidance:
		f.cwnd++
	default:
		f.cwnd *= 2
	}
	return f.baseRTT + max(f.node.linkFree.Sub(now), 0)
}
