package live

import (
	"runtime"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
)

// BenchmarkLongStreamMemory pushes a stream through a windowed Source and a Verifier (UMT,
// Ed25519, 1024-byte chunks, 32 per munro, a window of 4096 chunks) and reports the live
// heap after a short stream (1 minute at 2 Mbit/s, the window full) and after a long one
// (1 hour at 2 Mbit/s, 879k chunks): the hashes kept must not grow with the stream. Run
// with -benchtime 1x.
func BenchmarkLongStreamMemory(b *testing.B) {
	const rate = 2e6 / 8 / benchChunk // chunks per second at 2 Mbit/s
	for _, c := range []struct {
		name string
		dur  time.Duration
	}{{"1min", time.Minute}, {"1h", time.Hour}} {
		b.Run(c.name, func(b *testing.B) {
			chunks := uint64(c.dur.Seconds() * rate)
			for b.Loop() {
				heap := streamHeap(b, chunks)
				b.ReportMetric(float64(heap)/(1<<20), "heap-MiB")
				b.ReportMetric(float64(chunks), "chunks")
			}
		})
	}
}

// streamHeap streams count chunks from a source to a verifier and returns the heap in use
// at the end, with both still alive.
func streamHeap(b *testing.B, count uint64) uint64 {
	k := keyFor(b, livesig.Ed25519)
	const w = 4096
	src, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA1, Addressing: DefaultAddressing, Window: w})
	if err != nil {
		b.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Key: k.Public(), Hash: hashtree.SHA1, Addressing: DefaultAddressing, Window: w})
	if err != nil {
		b.Fatal(err)
	}
	data := make([]byte, benchChunk)
	for i := uint64(0); i < count; i++ {
		data[0], data[1], data[2] = byte(i), byte(i>>8), byte(i>>16)
		_, sm, err := src.AddChunk(data, t0)
		if err != nil {
			b.Fatal(err)
		}
		if sm == nil {
			continue
		}
		if _, err := v.AddSignedMunro(*sm, t0); err != nil {
			b.Fatal(err)
		}
		// Verify the munro's first chunk; the rest cost the same and add nothing kept.
		u, err := src.Uncles(sm.Start)
		if err != nil {
			b.Fatal(err)
		}
		data[0], data[1], data[2] = byte(sm.Start), byte(sm.Start>>8), byte(sm.Start>>16)
		if err := v.VerifyChunk(sm.Start, data, u); err != nil {
			b.Fatal(err)
		}
	}
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	runtime.KeepAlive(src)
	runtime.KeepAlive(v)
	return ms.HeapAlloc
}
