package swarms

import (
	"bytes"
	"context"
	"errors"
	"sync"
	"testing"
)

// chunkRecorder is an inject function that keeps the chunks it is given.
type chunkRecorder struct {
	mu     sync.Mutex
	chunks [][]byte
	failAt int // fail the call with this index (1-based); 0: never
	calls  int
}

var errInjectFailed = errors.New("inject failed")

func (r *chunkRecorder) inject(_ context.Context, chunk []byte) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.calls++
	if r.failAt > 0 && r.calls == r.failAt {
		return errInjectFailed
	}
	r.chunks = append(r.chunks, chunk)
	return nil
}

func (r *chunkRecorder) joined() []byte {
	r.mu.Lock()
	defer r.mu.Unlock()
	return bytes.Join(r.chunks, nil)
}

func streamBytes(n int) []byte {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(i*7 + i/251)
	}
	return b
}

// TestLiveInputCutsFullChunksInOrder: whatever the write sizes, the chunks injected are
// all exactly the chunk size, in order, and together the stream's bytes up to the last full
// chunk; the rest waits.
func TestLiveInputCutsFullChunksInOrder(t *testing.T) {
	const cs = 1024
	stream := streamBytes(10*cs + 300)
	for _, writeSize := range []int{1, 7, 1000, cs, cs + 1, 3 * cs, len(stream)} {
		rec := &chunkRecorder{}
		in := newLiveInput(context.Background(), cs, rec.inject)
		for off := 0; off < len(stream); off += writeSize {
			p := stream[off:min(off+writeSize, len(stream))]
			n, err := in.Write(p)
			if err != nil || n != len(p) {
				t.Fatalf("writes of %d: Write = %d, %v", writeSize, n, err)
			}
		}
		for i, c := range rec.chunks {
			if len(c) != cs {
				t.Fatalf("writes of %d: chunk %d has %d bytes", writeSize, i, len(c))
			}
		}
		if len(rec.chunks) != 10 || in.Injected() != 10 {
			t.Fatalf("writes of %d: %d chunks injected (counter %d), want 10", writeSize, len(rec.chunks), in.Injected())
		}
		if !bytes.Equal(rec.joined(), stream[:10*cs]) {
			t.Fatalf("writes of %d: chunks do not hold the stream in order", writeSize)
		}
		if in.Pending() != 300 {
			t.Fatalf("writes of %d: %d bytes pending, want 300", writeSize, in.Pending())
		}
	}
}

// TestLiveInputPartialChunkWaits: a partial chunk is not injected until a later write fills
// it, and Close drops it instead of sending a short chunk.
func TestLiveInputPartialChunkWaits(t *testing.T) {
	rec := &chunkRecorder{}
	in := newLiveInput(context.Background(), 100, rec.inject)
	if _, err := in.Write(streamBytes(99)); err != nil {
		t.Fatal(err)
	}
	if rec.calls != 0 {
		t.Fatalf("%d chunks injected from 99 bytes of 100-byte chunks", rec.calls)
	}
	if _, err := in.Write([]byte{0xAA}); err != nil {
		t.Fatal(err)
	}
	if rec.calls != 1 || len(rec.chunks[0]) != 100 || rec.chunks[0][99] != 0xAA {
		t.Fatalf("after the 100th byte: %d chunks", rec.calls)
	}
	if _, err := in.Write(streamBytes(50)); err != nil {
		t.Fatal(err)
	}
	if err := in.Close(); err != nil {
		t.Fatal(err)
	}
	if rec.calls != 1 || in.Pending() != 0 {
		t.Fatalf("Close injected a partial chunk (%d calls) or kept it (%d pending)", rec.calls, in.Pending())
	}
	if _, err := in.Write([]byte{1}); !errors.Is(err, ErrLiveInputClosed) {
		t.Fatalf("Write after Close: %v", err)
	}
	if err := in.Close(); err != nil {
		t.Fatalf("second Close: %v", err)
	}
}

// TestLiveInputChunksAreNotReused: a chunk handed to the engine is never written over by
// later writes (the engine keeps it).
func TestLiveInputChunksAreNotReused(t *testing.T) {
	rec := &chunkRecorder{}
	in := newLiveInput(context.Background(), 4, rec.inject)
	buf := []byte{1, 2, 3, 4}
	in.Write(buf)
	buf[0] = 9
	in.Write([]byte{5, 6, 7, 8})
	if !bytes.Equal(rec.chunks[0], []byte{1, 2, 3, 4}) || !bytes.Equal(rec.chunks[1], []byte{5, 6, 7, 8}) {
		t.Fatalf("chunks %v", rec.chunks)
	}
}

// TestLiveInputInjectFailure: Write reports the bytes of p before the chunk that failed and
// the error; every later Write fails with it.
func TestLiveInputInjectFailure(t *testing.T) {
	rec := &chunkRecorder{failAt: 2}
	in := newLiveInput(context.Background(), 10, rec.inject)
	if _, err := in.Write(streamBytes(4)); err != nil { // pending 4
		t.Fatal(err)
	}
	// 36 bytes: chunk 1 = 4 pending + 6 of p (ok), chunk 2 = p[6:16] (fails).
	n, err := in.Write(streamBytes(36))
	if !errors.Is(err, errInjectFailed) || n != 6 {
		t.Fatalf("Write = %d, %v; want 6 and the injection's error", n, err)
	}
	if _, err2 := in.Write([]byte{1}); !errors.Is(err2, errInjectFailed) {
		t.Fatalf("later Write: %v", err2)
	}
}

// TestLiveInputCloseInterruptsInject: Close from another goroutine ends a Write whose
// injection waits (for a stalled node loop).
func TestLiveInputCloseInterruptsInject(t *testing.T) {
	entered := make(chan struct{})
	in := newLiveInput(context.Background(), 1, func(ctx context.Context, _ []byte) error {
		close(entered)
		<-ctx.Done()
		return ctx.Err()
	})
	done := make(chan error, 1)
	go func() {
		_, err := in.Write([]byte{1})
		done <- err
	}()
	<-entered
	in.Close()
	if err := <-done; !errors.Is(err, ErrLiveInputClosed) {
		t.Fatalf("interrupted Write: %v", err)
	}
}

// BenchmarkLiveInputWrite measures cutting a stream into 1 KiB chunks (64 KiB writes, as
// io.Copy makes from a pipe), without the engine: the input's own cost per byte.
func BenchmarkLiveInputWrite(b *testing.B) {
	in := newLiveInput(context.Background(), 1024, func(context.Context, []byte) error { return nil })
	p := streamBytes(64 << 10)
	b.SetBytes(int64(len(p)))
	b.ReportAllocs()
	for b.Loop() {
		if _, err := in.Write(p); err != nil {
			b.Fatal(err)
		}
	}
}
