package service

import (
	"context"
	"os"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"
)

const watchdog = "WATCHDOG=1"

// loopProbe stands in for the round trip into the node's loop: answering, it returns at
// once; stalled, it blocks until its deadline, as a request to a stuck goroutine would.
type loopProbe struct {
	stalled atomic.Bool
	calls   atomic.Int64
	blocked chan struct{} // one send per probe that found the loop stalled, at its start
}

func newLoopProbe() *loopProbe { return &loopProbe{blocked: make(chan struct{}, 1000)} }

func (p *loopProbe) probe(ctx context.Context) error {
	p.calls.Add(1)
	if !p.stalled.Load() {
		return nil
	}
	p.blocked <- struct{}{}
	<-ctx.Done()
	return ctx.Err()
}

// waitBlocked waits until the watchdog has started n more probes against the stalled loop.
func (p *loopProbe) waitBlocked(t *testing.T, n int) {
	t.Helper()
	for range n {
		select {
		case <-p.blocked:
		case <-time.After(10 * time.Second):
			t.Fatal("the watchdog stopped probing")
		}
	}
}

func setWatchdogEnv(t *testing.T, usec, pid int) {
	t.Setenv("WATCHDOG_USEC", strconv.Itoa(usec))
	t.Setenv("WATCHDOG_PID", strconv.Itoa(pid))
}

func countWatchdog(msgs []string) int {
	n := 0
	for _, m := range msgs {
		if m == watchdog {
			n++
		}
	}
	return n
}

// TestWatchdogPetsOnlyWhileProbeAnswers runs RunWatchdog against a real unixgram
// NOTIFY_SOCKET: WATCHDOG=1 arrives while the loop answers, stops while it is stalled (so
// systemd's watchdog would fire), and resumes when it answers again.
func TestWatchdogPetsOnlyWhileProbeAnswers(t *testing.T) {
	conn := notifySocket(t)
	setWatchdogEnv(t, 100_000, os.Getpid()) // 100 ms: a probe every 50 ms
	core, logs := observer.New(zap.WarnLevel)
	p := newLoopProbe()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- RunWatchdog(ctx, p.probe, zap.New(core)) }()

	if got := receive(t, conn); got != watchdog {
		t.Fatalf("first datagram %q, want %q", got, watchdog)
	}

	p.stalled.Store(true)
	// The loop sends only after a probe answers and probes one at a time, so once the
	// first stalled probe has started every earlier WATCHDOG=1 is queued: drain them.
	p.waitBlocked(t, 1)
	drain(t, conn)
	// Once the third stalled probe has started, the first two have ended unanswered.
	p.waitBlocked(t, 2)
	if msgs := drain(t, conn); countWatchdog(msgs) != 0 {
		t.Fatalf("sent %q while the loop was stalled", msgs)
	}
	if n := logs.FilterMessageSnippet("did not answer the watchdog probe").Len(); n < 2 {
		t.Errorf("%d warnings for 2 unanswered probes", n)
	}

	p.stalled.Store(false)
	if got := receive(t, conn); got != watchdog {
		t.Fatalf("after the loop recovered: %q, want %q", got, watchdog)
	}
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}

// TestWatchdogDisabled: without WATCHDOG_USEC, with a WATCHDOG_PID naming another process,
// or without NOTIFY_SOCKET, RunWatchdog never probes and returns nil when ctx ends.
func TestWatchdogDisabled(t *testing.T) {
	cases := map[string]func(t *testing.T){
		"no WATCHDOG_USEC":     func(t *testing.T) { t.Setenv("WATCHDOG_USEC", "") },
		"another WATCHDOG_PID": func(t *testing.T) { setWatchdogEnv(t, 100_000, os.Getpid()+1) },
		"no NOTIFY_SOCKET": func(t *testing.T) {
			setWatchdogEnv(t, 100_000, os.Getpid())
			t.Setenv("NOTIFY_SOCKET", "")
		},
	}
	for name, setup := range cases {
		t.Run(name, func(t *testing.T) {
			conn := notifySocket(t)
			setup(t)
			p := newLoopProbe()
			ctx, cancel := context.WithCancel(context.Background())
			errc := make(chan error, 1)
			go func() { errc <- RunWatchdog(ctx, p.probe, zap.NewNop()) }()
			select {
			case err := <-errc:
				t.Fatalf("returned %v before ctx ended", err)
			case <-time.After(200 * time.Millisecond): // two would-be periods
			}
			cancel()
			if err := <-errc; err != nil {
				t.Fatal(err)
			}
			if p.calls.Load() != 0 {
				t.Errorf("probed %d times with the watchdog off", p.calls.Load())
			}
			if msgs := drain(t, conn); len(msgs) != 0 {
				t.Errorf("sent %q with the watchdog off", msgs)
			}
		})
	}
}

func TestWatchdogRejectsMalformedEnv(t *testing.T) {
	notifySocket(t)
	t.Setenv("WATCHDOG_USEC", "soon")
	err := RunWatchdog(context.Background(), func(context.Context) error { return nil }, zap.NewNop())
	if err == nil {
		t.Fatal("WATCHDOG_USEC=soon accepted")
	}
}

// TestWatchdogStopsWithStalledProbe: cancelling ctx ends RunWatchdog even while a probe is
// blocked, since the probe's context derives from it.
func TestWatchdogStopsWithStalledProbe(t *testing.T) {
	notifySocket(t)
	setWatchdogEnv(t, 60_000_000, os.Getpid()) // 30 s probe deadline: only ctx can end it
	p := newLoopProbe()
	p.stalled.Store(true)
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- RunWatchdog(ctx, p.probe, zap.NewNop()) }()
	p.waitBlocked(t, 1)
	cancel()
	if err := <-errc; err != nil {
		t.Fatal(err)
	}
}
