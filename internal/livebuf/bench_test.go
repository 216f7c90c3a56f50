package livebuf

import (
	"context"
	"errors"
	"runtime"
	"testing"
)

// heapInUse is the heap in use after a full collection.
func heapInUse() float64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return float64(ms.HeapInuse)
}

// BenchmarkLongStream pushes b.N 1 KiB chunks through a buffer of 4096 (the engine's
// default live window) while a reader plays the stream, and reports the heap in use once
// the window is full and again at the end: it must stay flat however long the stream runs.
// Hours of a 2 Mbit/s stream are millions of chunks (one hour: about 880 000):
//
//	go test -run X -bench LongStream -benchtime 10000000x ./internal/livebuf/
func BenchmarkLongStream(b *testing.B) {
	const size, capacity = 1024, 4096
	buf := New(size, capacity)
	chunk := make([]byte, size)
	for i := range uint64(capacity) {
		buf.Put(i, chunk)
	}
	ctx, cancel := context.WithCancel(context.Background())
	played := make(chan uint64)
	go func() {
		r := buf.NewReader(ctx, capacity)
		p := make([]byte, 32<<10)
		var n uint64
		for {
			k, err := r.Read(p)
			n += uint64(k)
			if err != nil {
				if !errors.Is(err, ErrClosed) && !errors.Is(err, context.Canceled) {
					b.Errorf("reader: %v", err)
				}
				played <- n
				return
			}
		}
	}()
	before := heapInUse()
	b.SetBytes(size)
	b.ResetTimer()
	for i := range uint64(b.N) {
		buf.Put(capacity+i, chunk)
	}
	b.StopTimer()
	after := heapInUse()
	cancel()
	readBytes := <-played
	buf.Close()
	b.ReportMetric(before, "heap-before-B")
	b.ReportMetric(after, "heap-after-B")
	b.ReportMetric(float64(readBytes)/float64(b.N)/size, "chunks-read/put")
}
