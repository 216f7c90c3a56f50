package engine

import (
	"bytes"
	"testing"
	"time"
)

// BenchmarkPairTransfer1KiB is the engine's share of a 1 KiB-chunk download: one seeder,
// one leecher, in-memory stores, a lossless 1 ms link on the virtual clock. Sockets and
// files are not in it (ppsppd bench measures those); what is left is the per-chunk work of
// both engines. ns/chunk and allocs/chunk are for the two together.
func BenchmarkPairTransfer1KiB(b *testing.B) { benchPairTransfer(b, 1024, 16<<20) }

// BenchmarkPairTransfer8KiB is the same at 8 KiB chunks, for comparison.
func BenchmarkPairTransfer8KiB(b *testing.B) { benchPairTransfer(b, 8192, 16<<20) }

func benchPairTransfer(b *testing.B, cs, size int) {
	data := testContent(7, size)
	chunks := float64(size / cs)
	b.SetBytes(int64(size))
	b.ReportAllocs()
	for b.Loop() {
		b.StopTimer()
		net := newSimNet(b, 1)
		seeder := net.seedNode("seeder", data, cs, Config{}, link{delay: time.Millisecond})
		leech := net.leechNode("leech", []byte(seeder.id), 0, cs, Config{}, link{delay: time.Millisecond})
		leech.content.data = make([]byte, 0, size) // no regrowing in the harness's store
		b.StartTimer()
		net.connect(leech, seeder)
		if !net.run(10*time.Minute, allComplete(leech)) {
			b.Fatalf("not complete: %+v", leech.eng.Stats())
		}
		b.StopTimer()
		if !bytes.Equal(leech.content.data, data) {
			b.Fatal("content differs")
		}
		b.StartTimer()
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/chunks, "ns/chunk")
}
