package engine

import (
	"crypto/rand"
	"net/netip"
	"runtime"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/livebuf"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// livePair is a live source and one peer wired directly to each other (no loss, no
// delay), for benchmarks that push a long stream through.
type livePair struct {
	src, peer         *Engine
	srcID, peerID     SwarmID
	srcAddr, peerAddr netip.AddrPort
	now               time.Time
	peerStore         *livebuf.Buffer
}

func newLivePair(tb testing.TB, method wire.IntegrityMethod, window uint64) *livePair {
	return newLivePairAlg(tb, livesig.ECDSAP256SHA256, method, window)
}

func newLivePairAlg(tb testing.TB, alg livesig.Alg, method wire.IntegrityMethod, window uint64) *livePair {
	return newLivePairCfg(tb, alg, method, window, 0)
}

func newLivePairCfg(tb testing.TB, alg livesig.Alg, method wire.IntegrityMethod, window, chunksPerSig uint64) *livePair {
	key, err := livesig.GenerateKey(alg, rand.Reader)
	if err != nil {
		tb.Fatal(err)
	}
	p := &livePair{src: New(Config{}), peer: New(Config{}), now: t0,
		srcAddr: netipAddr("10.0.0.1:1"), peerAddr: netipAddr("10.0.0.2:2"), peerStore: livebuf.New(testCS, window)}
	// livebuf.Buffer is the daemon's LiveStore.
	scfg := NewLiveSwarmConfig(key.Public().SwarmID(), livebuf.New(testCS, window))
	scfg.Key, scfg.Method, scfg.Window, scfg.ChunksPerSig = key, method, DefaultLiveWindow, chunksPerSig
	if p.srcID, err = p.src.AddLiveSwarm(scfg); err != nil {
		tb.Fatal(err)
	}
	pcfg := NewLiveSwarmConfig(key.Public().SwarmID(), p.peerStore)
	pcfg.Method, pcfg.Window = method, DefaultLiveWindow
	if p.peerID, err = p.peer.AddLiveSwarm(pcfg); err != nil {
		tb.Fatal(err)
	}
	if err := p.peer.Connect(p.now, p.peerID, p.srcAddr); err != nil {
		tb.Fatal(err)
	}
	p.pump()
	return p
}

// pump delivers datagrams both ways until both engines are quiet.
func (p *livePair) pump() {
	for range 64 {
		a, b := p.peer.Outgoing(), p.src.Outgoing()
		if len(a) == 0 && len(b) == 0 {
			return
		}
		for _, d := range a {
			p.src.Receive(p.now, p.peerAddr, d.Data)
		}
		p.src.Flush(p.now)
		for _, d := range b {
			p.peer.Receive(p.now, p.srcAddr, d.Data)
		}
		p.peer.Flush(p.now)
		p.peer.Recycle(a)
		p.src.Recycle(b)
		p.src.Events() // a node drains them after every turn of its loop
		p.peer.Events()
	}
}

// step injects one chunk of a stream at rate chunks per second and runs the engines.
func (p *livePair) step(tb testing.TB, i uint64, period time.Duration) {
	p.now = p.now.Add(period)
	if _, err := p.src.Inject(p.now, p.srcID, liveChunk(i, testCS)); err != nil {
		tb.Fatal(err)
	}
	p.pump()
	if i%64 == 0 {
		p.src.Tick(p.now)
		p.peer.Tick(p.now)
		p.pump()
	}
}

func heapInUse() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapInuse
}

// BenchmarkLiveLongStream pushes 3 hours of a 2 Mbit/s stream (250 chunks of 1 KiB a
// second, 2.7 million chunks) through a source and a peer, and reports the heap in use
// after 10 minutes and after 3 hours of it: the discard window keeps it flat (RFC 7574
// §6.2). The engines' state, the signer's and verifier's hashes and both chunk stores
// (4096 chunks each) are in it.
func BenchmarkLiveLongStream(b *testing.B) {
	const period = 4 * time.Millisecond
	const short, long = 10 * 60 * 250, 3 * 3600 * 250
	for range b.N {
		p := newLivePair(b, wire.IntegrityUnifiedMHT, uint64(DefaultLiveWindow))
		base := heapInUse()
		var atShort uint64
		for i := uint64(0); i < long; i++ {
			p.step(b, i, period)
			if i == short {
				atShort = heapInUse()
			}
		}
		atLong := heapInUse()
		edge, _, _ := p.peer.LiveEdge(p.peerID)
		if edge+64 < long {
			b.Fatalf("the peer's edge is %d of %d", edge, long)
		}
		b.ReportMetric(float64(atShort-base)/(1<<20), "MiB-after-10min")
		b.ReportMetric(float64(atLong-base)/(1<<20), "MiB-after-3h")
		b.ReportMetric(float64(p.peer.Stats().ChunksVerified), "chunks-verified")
	}
}

// BenchmarkLiveSourceCPU measures what a live source spends per Mbit/s of stream, for each
// integrity method and signature algorithm: the time inside the source engine's calls
// (injecting — hashing, signing — and serving one peer: its requests, the DATA with the
// uncles and signatures, its ACKs), which run on one goroutine, so it is CPU time. The
// peer's work is not counted. One op is one 1 KiB chunk; 1 Mbit/s is 122 such chunks a
// second.
func BenchmarkLiveSourceCPU(b *testing.B) {
	methods := []wire.IntegrityMethod{wire.IntegrityUnifiedMHT, wire.IntegritySignAll}
	algs := []livesig.Alg{livesig.ECDSAP256SHA256, livesig.ECDSAP384SHA384, livesig.Ed25519, livesig.RSASHA256, livesig.RSASHA1}
	for _, m := range methods {
		for _, alg := range algs {
			b.Run(m.String()+"/"+alg.String(), func(b *testing.B) {
				p := newLivePairAlg(b, alg, m, uint64(DefaultLiveWindow))
				// Warm up: the first signatures build the curves' tables, once per process.
				const warm = 64
				for i := range uint64(warm) {
					p.step(b, i, time.Millisecond)
				}
				var inSource time.Duration
				b.ResetTimer()
				for i := uint64(warm); i < warm+uint64(b.N); i++ {
					p.now = p.now.Add(time.Millisecond)
					start := time.Now()
					if _, err := p.src.Inject(p.now, p.srcID, liveChunk(i, testCS)); err != nil {
						b.Fatal(err)
					}
					inSource += time.Since(start)
					inSource += p.pumpTimed()
				}
				perChunk := inSource.Seconds() / float64(b.N)
				chunksPerMbit := 1e6 / 8 / float64(testCS)
				b.ReportMetric(perChunk*chunksPerMbit*1000, "source-ms-per-s-per-Mbit/s")
				b.ReportMetric(float64(p.peer.Stats().ChunksVerified-warm)/float64(b.N), "verified/injected")
			})
		}
	}
}

// pumpTimed is pump that returns the time spent in the source engine's calls.
func (p *livePair) pumpTimed() time.Duration {
	var d time.Duration
	for range 64 {
		a := p.peer.Outgoing()
		start := time.Now()
		b := p.src.Outgoing()
		d += time.Since(start)
		if len(a) == 0 && len(b) == 0 {
			break
		}
		start = time.Now()
		for _, x := range a {
			p.src.Receive(p.now, p.peerAddr, x.Data)
		}
		p.src.Flush(p.now)
		p.src.Events()
		d += time.Since(start)
		for _, x := range b {
			p.peer.Receive(p.now, p.srcAddr, x.Data)
		}
		p.peer.Flush(p.now)
		p.peer.Events()
		p.peer.Recycle(a)
		start = time.Now()
		p.src.Recycle(b)
		d += time.Since(start)
	}
	return d
}
