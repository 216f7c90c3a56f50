package service

import (
	"context"
	"syscall"
	"testing"
	"time"
)

func waitHUP(t *testing.T, hup <-chan struct{}) {
	t.Helper()
	select {
	case <-hup:
	case <-time.After(10 * time.Second):
		t.Fatal("SIGHUP not delivered on hup")
	}
}

// TestSignals sends real signals to this process: SIGHUP arrives on hup and leaves ctx
// alone; SIGTERM ends ctx. Without Signals' handlers either would kill the test binary.
func TestSignals(t *testing.T) {
	ctx, hup, stop := Signals(context.Background())
	defer stop()
	for range 2 { // hup keeps working after a read
		if err := syscall.Kill(syscall.Getpid(), syscall.SIGHUP); err != nil {
			t.Fatal(err)
		}
		waitHUP(t, hup)
		if ctx.Err() != nil {
			t.Fatal("SIGHUP ended ctx")
		}
	}
	if err := syscall.Kill(syscall.Getpid(), syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	select {
	case <-ctx.Done():
	case <-time.After(10 * time.Second):
		t.Fatal("SIGTERM did not end ctx")
	}
}

// TestSignalsStop: stop ends ctx and the forwarding goroutine (goleak checks) and may be
// called twice; a cancelled parent ends ctx too.
func TestSignalsStop(t *testing.T) {
	parent, cancel := context.WithCancel(context.Background())
	ctx, _, stop := Signals(parent)
	cancel()
	<-ctx.Done()
	stop()
	stop()
}
