package httpgw

import (
	"context"
	"io"
	"net"
	"net/http"
	"slices"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/livebuf"
)

// BenchmarkLiveChunkLatency measures the gateway's part of live latency: from a verified
// chunk's Put into the buffer to its last byte read by an HTTP client on loopback, one
// chunk at a time (1024 bytes). It reports the median and 99th percentile besides the mean
// (ns/op).
func BenchmarkLiveChunkLatency(b *testing.B) {
	m := newFakeManager()
	id := liveID(90)
	buf := livebuf.New(liveChunk, 4096)
	chunk := randomContent(liveChunk, 90)
	buf.Put(0, chunk)
	m.putLive(id, buf)

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	s := New(m, Options{LiveLag: 1})
	ctx, cancel := context.WithCancel(context.Background())
	ran := make(chan error, 1)
	go func() { ran <- s.Run(ctx, ln) }()
	defer func() { cancel(); <-ran }()
	client := &http.Client{Transport: &http.Transport{}}
	defer client.CloseIdleConnections()

	resp, err := client.Get("http://" + ln.Addr().String() + "/" + id.String())
	if err != nil {
		b.Fatal(err)
	}
	defer resp.Body.Close()
	p := make([]byte, liveChunk)
	if _, err := io.ReadFull(resp.Body, p); err != nil {
		b.Fatal(err)
	}
	lat := make([]time.Duration, 0, b.N)
	b.SetBytes(liveChunk)
	b.ResetTimer()
	for i := uint64(1); i <= uint64(b.N); i++ {
		start := time.Now()
		buf.Put(i, chunk)
		if _, err := io.ReadFull(resp.Body, p); err != nil {
			b.Fatal(err)
		}
		lat = append(lat, time.Since(start))
	}
	b.StopTimer()
	slices.Sort(lat)
	b.ReportMetric(float64(lat[len(lat)/2].Microseconds()), "p50-us")
	b.ReportMetric(float64(lat[len(lat)*99/100].Microseconds()), "p99-us")
}
