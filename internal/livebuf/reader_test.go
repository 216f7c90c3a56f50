package livebuf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"testing"
	"testing/synctest"
)

// streamOf is the bytes of chunks from..to-1 of the test stream.
func streamOf(from, to uint64, size int) []byte {
	var out []byte
	for i := from; i < to; i++ {
		out = append(out, chunkOf(i, size)...)
	}
	return out
}

// readN reads exactly n bytes from r in reads of at most step bytes.
func readN(t *testing.T, r io.Reader, n, step int) []byte {
	t.Helper()
	out := make([]byte, 0, n)
	p := make([]byte, step)
	for len(out) < n {
		k, err := r.Read(p[:min(step, n-len(out))])
		if err != nil {
			t.Fatalf("Read after %d bytes: %v", len(out), err)
		}
		out = append(out, p[:k]...)
	}
	return out
}

func TestReaderInOrder(t *testing.T) {
	const size = 40
	for _, step := range []int{1, 7, size, 3*size + 5} {
		b := New(size, 16)
		for i := range uint64(10) {
			b.Put(i, chunkOf(i, size))
		}
		r := b.NewReader(context.Background(), 2)
		got := readN(t, r, 8*size, step)
		if want := streamOf(2, 10, size); !bytes.Equal(got, want) {
			t.Fatalf("reads of %d: got other bytes than chunks 2..9", step)
		}
		if r.Skipped() != 0 || r.Next() != 10 {
			t.Fatalf("reads of %d: skipped %d next %d", step, r.Skipped(), r.Next())
		}
	}
}

func TestReaderStartOffset(t *testing.T) {
	const size = 40
	b := New(size, 16)
	for i := range uint64(3) {
		b.Put(i, chunkOf(i, size))
	}
	r := b.NewReader(context.Background(), 1)
	r.StartOffset = 13
	got := readN(t, r, 2*size-13, 5)
	if want := streamOf(1, 3, size)[13:]; !bytes.Equal(got, want) {
		t.Fatalf("got %x, want %x", got, want)
	}
}

// The reader waits for chunks not there yet, then returns them in order even when they
// arrive out of order.
func TestReaderWaitsOutOfOrder(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size = 32
		b := New(size, 16)
		r := b.NewReader(t.Context(), 0)
		got := make(chan []byte, 1)
		go func() {
			out := make([]byte, 0, 4*size)
			p := make([]byte, 3*size)
			for len(out) < 4*size {
				n, err := r.Read(p)
				if err != nil {
					t.Errorf("Read: %v", err)
					break
				}
				out = append(out, p[:n]...)
			}
			got <- out
		}()
		synctest.Wait()
		for _, i := range []uint64{2, 1, 3} {
			b.Put(i, chunkOf(i, size))
		}
		synctest.Wait()
		select {
		case <-got:
			t.Fatal("reader returned without chunk 0")
		default:
		}
		b.Put(0, chunkOf(0, size))
		if out := <-got; !bytes.Equal(out, streamOf(0, 4, size)) {
			t.Fatal("bytes out of order")
		}
		if r.Skipped() != 0 {
			t.Fatalf("skipped %d", r.Skipped())
		}
	})
}

// A chunk lost upstream is waited for while the edge is near, and skipped once more than
// SkipAfter later chunks are there.
func TestReaderSkipsLostChunk(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const size = 16
		b := New(size, 64)
		r := b.NewReader(t.Context(), 0)
		r.SkipAfter = 4
		b.Put(0, chunkOf(0, size))
		if got := readN(t, r, size, size); !bytes.Equal(got, chunkOf(0, size)) {
			t.Fatal("chunk 0")
		}
		// Chunk 1 is lost; 2..5 arrive: the edge is 4 past it, not more.
		for i := uint64(2); i <= 5; i++ {
			b.Put(i, chunkOf(i, size))
		}
		res := make(chan []byte, 1)
		go func() {
			p := make([]byte, 10*size)
			n, err := r.Read(p)
			if err != nil {
				t.Errorf("Read: %v", err)
			}
			res <- p[:n]
		}()
		synctest.Wait()
		select {
		case <-res:
			t.Fatal("reader gave chunk 1 up with the edge only SkipAfter past it")
		default:
		}
		b.Put(6, chunkOf(6, size))
		got := <-res
		if want := streamOf(2, 7, size); !bytes.Equal(got, want) {
			t.Fatalf("after the skip got %d bytes, want chunks 2..6 (%d bytes)", len(got), len(want))
		}
		if r.Skipped() != 1 {
			t.Fatalf("Skipped %d, want 1", r.Skipped())
		}
	})
}

// A reader slower than the stream finds its next chunk evicted and skips to the oldest.
func TestReaderSkipsEvicted(t *testing.T) {
	const size = 16
	b := New(size, 4)
	r := b.NewReader(context.Background(), 0)
	r.StartOffset = 3 // dropped with the start chunk
	for i := range uint64(10) {
		b.Put(i, chunkOf(i, size))
	}
	got := readN(t, r, 4*size, 100)
	if !bytes.Equal(got, streamOf(6, 10, size)) {
		t.Fatal("want chunks 6..9 after the skip")
	}
	if r.Skipped() != 6 {
		t.Fatalf("Skipped %d, want 6", r.Skipped())
	}
}

// A chunk evicted while partly read is finished from the reader's copy.
func TestReaderPartialChunkSurvivesEviction(t *testing.T) {
	const size = 16
	b := New(size, 2)
	b.Put(0, chunkOf(0, size))
	r := b.NewReader(context.Background(), 0)
	first := readN(t, r, 5, 5)
	b.Put(1, chunkOf(1, size))
	b.Put(2, chunkOf(2, size)) // evicts 0
	rest := readN(t, r, size-5+2*size, 64)
	if got := append(first, rest...); !bytes.Equal(got, streamOf(0, 3, size)) {
		t.Fatal("bytes differ")
	}
}

func TestReaderEnds(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(16, 4)
		ctx, cancel := context.WithCancel(t.Context())
		rc := b.NewReader(ctx, 0)
		rb := b.NewReader(t.Context(), 0)
		errs := make(chan error, 2)
		for _, r := range []*Reader{rc, rb} {
			go func() {
				_, err := r.Read(make([]byte, 16))
				errs <- err
			}()
		}
		synctest.Wait()
		cancel()
		if err := <-errs; !errors.Is(err, context.Canceled) {
			t.Fatalf("cancelled reader: %v", err)
		}
		b.Close()
		if err := <-errs; !errors.Is(err, ErrClosed) {
			t.Fatalf("reader of a closed buffer: %v", err)
		}
		if n, err := rb.Read(make([]byte, 1)); n != 0 || !errors.Is(err, ErrClosed) {
			t.Fatalf("Read after Close = %d %v", n, err)
		}
		if n, err := rb.Read(nil); n != 0 || err != nil {
			t.Fatalf("empty Read = %d %v", n, err)
		}
	})
}
