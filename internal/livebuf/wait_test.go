package livebuf

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
)

// startWait runs b.Wait(ctx, i) on a goroutine; its result arrives on the channel.
func startWait(ctx context.Context, b *Buffer, i uint64) <-chan error {
	res := make(chan error, 1)
	go func() { res <- b.Wait(ctx, i) }()
	return res
}

// stillWaiting fails if the wait returned; call it after synctest.Wait, when every
// goroutine of the bubble is blocked.
func stillWaiting(t *testing.T, res <-chan error, what string) {
	t.Helper()
	select {
	case err := <-res:
		t.Fatalf("%s: Wait returned %v while it should block", what, err)
	default:
	}
}

func TestWaitHeldReturnsAtOnce(t *testing.T) {
	b := New(8, 4)
	b.Put(2, chunkOf(2, 8))
	if err := b.Wait(context.Background(), 2); err != nil {
		t.Fatal(err)
	}
}

func TestWaitWakesOnPut(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(8, 4)
		w5 := startWait(t.Context(), b, 5)
		w6a := startWait(t.Context(), b, 6)
		w6b := startWait(t.Context(), b, 6)
		synctest.Wait()
		stillWaiting(t, w5, "no chunks")

		// Other chunks wake the waiters, which go back to sleep.
		b.Put(4, chunkOf(4, 8))
		b.Put(6, chunkOf(6, 8))
		synctest.Wait()
		stillWaiting(t, w5, "chunk 5 not put yet")
		for _, w := range []<-chan error{w6a, w6b} {
			if err := <-w; err != nil {
				t.Fatalf("Wait(6) = %v", err)
			}
		}
		b.Put(5, chunkOf(5, 8))
		if err := <-w5; err != nil {
			t.Fatalf("Wait(5) = %v", err)
		}
	})
}

func TestWaitGone(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(8, 4)
		b.Put(0, chunkOf(0, 8))
		w := startWait(t.Context(), b, 1)
		b.Put(3, chunkOf(3, 8)) // window 0..3: chunk 1 may still come
		synctest.Wait()
		stillWaiting(t, w, "chunk 1 still inside the window")
		b.Put(5, chunkOf(5, 8)) // window 2..5
		if err := <-w; !errors.Is(err, ErrGone) {
			t.Fatalf("Wait(1) = %v, want ErrGone", err)
		}
		if err := b.Wait(t.Context(), 0); !errors.Is(err, ErrGone) {
			t.Fatalf("Wait(0) = %v, want ErrGone", err)
		}
	})
}

func TestWaitCancelled(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(8, 4)
		ctx, cancel := context.WithCancel(t.Context())
		w := startWait(ctx, b, 0)
		other := startWait(t.Context(), b, 0)
		synctest.Wait()
		stillWaiting(t, w, "before cancel")
		cancel()
		if err := <-w; !errors.Is(err, context.Canceled) {
			t.Fatalf("Wait = %v, want context.Canceled", err)
		}
		// The other waiter is not disturbed.
		synctest.Wait()
		stillWaiting(t, other, "another waiter's cancel")
		b.Put(0, chunkOf(0, 8))
		if err := <-other; err != nil {
			t.Fatal(err)
		}
	})
}

func TestWaitClosed(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		b := New(8, 4)
		w := startWait(t.Context(), b, 3)
		synctest.Wait()
		b.Close()
		if err := <-w; !errors.Is(err, ErrClosed) {
			t.Fatalf("Wait = %v, want ErrClosed", err)
		}
		if err := b.Wait(t.Context(), 3); !errors.Is(err, ErrClosed) {
			t.Fatalf("Wait after Close = %v, want ErrClosed", err)
		}
	})
}

// Many waiters, many puts, no synctest: run under -race, and goleak checks that every
// waiter returned.
func TestWaitConcurrent(t *testing.T) {
	const n = 200
	b := New(16, 64)
	errs := make(chan error, n)
	for i := range uint64(n) {
		go func() { errs <- b.Wait(context.Background(), i) }()
	}
	for i := range uint64(n) {
		b.Put(i, chunkOf(i, 16))
	}
	for range n {
		if err := <-errs; err != nil && !errors.Is(err, ErrGone) {
			t.Fatal(err)
		}
	}
}
