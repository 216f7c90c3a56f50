package httpgw

import (
	"context"
	"crypto/rand"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/node"
	"github.com/ppsppd/ppsppd/internal/swarms"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// BenchmarkLiveEndToEndLatency is issue 12's latency: from a chunk entering a live source
// to the same chunk leaving a second peer's HTTP gateway, on loopback, with 1 KiB chunks.
// Two managers with their own nodes and UDP sockets (the source, and the peer that joins
// it) and the peer's gateway, in one process; each chunk carries the time it was written to
// the source in its first bytes, and a client reading the open-ended response subtracts
// it. The stream's bit rate matters under the Unified Merkle Tree: a chunk is announced
// when its munro of 32 chunks is signed, so at 1 Mbit/s (122 chunks a second) the first
// chunk of a munro waits 260 ms for the last. One op is one chunk read.
func BenchmarkLiveEndToEndLatency(b *testing.B) {
	for _, method := range []wire.IntegrityMethod{wire.IntegrityUnifiedMHT, wire.IntegritySignAll} {
		for _, mbit := range []float64{1, 2, 4, 8} {
			b.Run(fmt.Sprintf("%v/%gMbit", method, mbit), func(b *testing.B) {
				benchLiveLatency(b, method, 0, mbit)
			})
		}
	}
	// A low bit rate with smaller munros (ppsppd live --chunks-per-sig).
	for _, n := range []uint64{8, 16} {
		b.Run(fmt.Sprintf("unified-merkle-%d/1Mbit", n), func(b *testing.B) {
			benchLiveLatency(b, wire.IntegrityUnifiedMHT, n, 1)
		})
	}
}

func startBenchManager(b *testing.B, ctx context.Context) *swarms.Manager {
	m, err := swarms.New(swarms.Config{Node: node.Config{Listen: "127.0.0.1:0"}, Tick: 20 * time.Millisecond})
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = m.Run(ctx) }()
	<-m.Ready()
	return m
}

func benchLiveLatency(b *testing.B, method wire.IntegrityMethod, chunksPerSig uint64, mbit float64) {
	const cs = 1024
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	src, peer := startBenchManager(b, ctx), startBenchManager(b, ctx)
	key, err := livesig.GenerateKey(livesig.ECDSAP256SHA256, rand.Reader)
	if err != nil {
		b.Fatal(err)
	}
	st, in, err := src.AddLiveSource(ctx, swarms.LiveSourceSpec{Key: key, Method: method, ChunkSize: cs, ChunksPerSig: chunksPerSig})
	if err != nil {
		b.Fatal(err)
	}
	if _, err := peer.JoinLive(ctx, swarms.LiveJoinSpec{ID: st.ID, Method: method, ChunkSize: cs,
		Peers: []string{src.LocalAddr().String()}}); err != nil {
		b.Fatal(err)
	}
	gw := New(peer, Options{LiveLag: 1})
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	go func() { _ = gw.Run(ctx, ln) }()

	// The source: a chunk every period, stamped with the time it is written.
	period := time.Duration(float64(time.Second) * cs * 8 / (mbit * 1e6))
	go func() {
		chunk := make([]byte, cs)
		tick := time.NewTicker(period)
		defer tick.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-tick.C:
			}
			binary.BigEndian.PutUint64(chunk, uint64(time.Now().UnixNano()))
			if _, err := in.Write(chunk); err != nil {
				return
			}
		}
	}()

	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+ln.Addr().String()+"/"+hex.EncodeToString([]byte(st.ID)), nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		b.Fatalf("GET: %s", resp.Status)
	}
	buf := make([]byte, cs)
	// The first chunks were waiting when the client came: not a measure of the path.
	for range 64 {
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			b.Fatal(err)
		}
	}
	lat := make([]time.Duration, 0, b.N)
	b.ResetTimer()
	for range b.N {
		if _, err := io.ReadFull(resp.Body, buf); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(time.Unix(0, int64(binary.BigEndian.Uint64(buf)))))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2])/1e6, "p50-ms")
	b.ReportMetric(float64(lat[len(lat)*9/10])/1e6, "p90-ms")
	b.ReportMetric(float64(lat[len(lat)-1])/1e6, "max-ms")
	b.ReportMetric(0, "ns/op")
}
