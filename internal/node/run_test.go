package node

import (
	"bytes"
	"context"
	"errors"
	"net"
	"os"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"go.uber.org/goleak"
	"golang.org/x/net/ipv4"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// TestRunStops: cancelling Run's context ends it with nil, closes the socket, leaves no
// goroutine behind, and API calls fail with ErrStopped afterwards.
func TestRunStops(t *testing.T) {
	n, err := New(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- n.Run(ctx) }()
	if _, err := n.Stats(context.Background()); err != nil {
		t.Fatalf("running node: %v", err)
	}
	cancel()
	if err := <-done; err != nil {
		t.Fatalf("Run: %v", err)
	}
	if _, err := n.Stats(context.Background()); !errors.Is(err, ErrStopped) {
		t.Fatalf("after stop: %v", err)
	}
	if err := n.SetRateLimit(context.Background(), "", 1, 1); !errors.Is(err, ErrStopped) {
		t.Fatalf("after stop: %v", err)
	}
	if _, err := n.conn.WriteToUDPAddrPort([]byte{0}, n.LocalAddr()); err == nil {
		t.Fatal("socket still open")
	}
	goleak.VerifyNone(t)
}

// TestRunEndsOnClosedSocket: a socket closed under the node is a persistent read error that
// ends Run with it, instead of a reader that spins or a node that silently stops reading.
func TestRunEndsOnClosedSocket(t *testing.T) {
	n, err := New(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- n.Run(context.Background()) }()
	if _, err := n.Stats(context.Background()); err != nil {
		t.Fatal(err)
	}
	n.conn.Close()
	if err := <-done; !errors.Is(err, net.ErrClosed) {
		t.Fatalf("Run: %v, want the closed socket's error", err)
	}
	goleak.VerifyNone(t)
}

// TestRunEndsOnRepeatedReadError: a read error that is not transient ends Run once it
// repeats maxReadFailures times.
func TestRunEndsOnRepeatedReadError(t *testing.T) {
	n, err := New(Config{Listen: "127.0.0.1:0"})
	if err != nil {
		t.Fatal(err)
	}
	var calls atomic.Int32
	n.readBatch = func([]ipv4.Message, int) (int, error) {
		calls.Add(1)
		return 0, os.NewSyscallError("recvmmsg", syscall.EBADF)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	err = n.Run(ctx)
	if !errors.Is(err, syscall.EBADF) {
		t.Fatalf("Run: %v, want EBADF", err)
	}
	if c := calls.Load(); c != maxReadFailures {
		t.Fatalf("%d reads before giving up, want %d", c, maxReadFailures)
	}
}

// TestTransientReadErrorsAreNotFatal: ICMP errors reported by reads (connection refused,
// unreachable) do not stop the node; a transfer still completes over it.
func TestTransientReadErrorsAreNotFatal(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var injected atomic.Int32
	leecher := startNode(t, Config{}, func(n *Node) {
		real := n.readBatch
		n.readBatch = func(msgs []ipv4.Message, flags int) (int, error) {
			// The first 20 reads fail as ICMP errors would: far more than maxReadFailures
			// in a row, and all done before the transfer, as they return at once.
			if k := injected.Add(1); k <= 20 {
				errs := []error{syscall.ECONNREFUSED, syscall.EHOSTUNREACH, syscall.ENETUNREACH, syscall.EMSGSIZE}
				return 0, os.NewSyscallError("recvmmsg", errs[k%4])
			}
			return real(msgs, flags)
		}
	})
	seeder := startNode(t, Config{}, nil)
	data := randomContent(1, 1<<20+5)
	seed, leech := seedAndLeechStores(t, ctx, data)
	events, stop := leecher.Subscribe(1 << 14)
	defer stop()
	id := addPair(t, ctx, seeder, leecher, seed, leech)
	waitComplete(t, ctx, leecher, id, events)
	if injected.Load() <= 20 {
		t.Fatalf("only %d reads: errors not all injected", injected.Load())
	}
	checkContent(t, ctx, leecher, id, data)
}

// checkContent reads the swarm back through the node's store.
func checkContent(t *testing.T, ctx context.Context, n *Node, id engine.SwarmID, data []byte) {
	t.Helper()
	st, err := n.Store(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	got := make([]byte, len(data))
	if k, err := st.ReadAt(got, 0); k != len(data) || !bytes.Equal(got, data) {
		t.Fatalf("content: %d bytes, %v", k, err)
	}
}

// TestSlowSubscriberDropsEvents: a subscriber that never reads misses events (counted as
// dropped) and the node goes on: the transfer completes.
func TestSlowSubscriberDropsEvents(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder, leecher := startNode(t, Config{}, nil), startNode(t, Config{}, nil)
	data := randomContent(2, 512<<10)
	seed, leech := seedAndLeechStores(t, ctx, data)
	_, stopStuck := leecher.Subscribe(1) // never read
	defer stopStuck()
	events, stop := leecher.Subscribe(1 << 14)
	defer stop()
	id := addPair(t, ctx, seeder, leecher, seed, leech)
	published := 0 // what the reading subscriber got, up to and including completion
	for done := false; !done; {
		select {
		case ev := <-events:
			published++
			done = ev.Kind == engine.EventComplete && ev.Swarm == id
		case <-ctx.Done():
			t.Fatal("not complete")
		}
	}
	snap, err := leecher.Snapshot(ctx)
	if err != nil {
		t.Fatal(err)
	}
	// The stuck subscriber's buffer held the first event; it missed every other one the
	// reading subscriber got (chunk events come coalesced per loop iteration, see
	// Subscribe, so there are fewer than the 512 chunks, but more than one).
	if published < 3 || snap.EventsDropped < uint64(published-1) {
		t.Fatalf("%d events dropped, %d published: want all but one missed", snap.EventsDropped, published)
	}
	checkContent(t, ctx, leecher, id, data)
}

// TestGSOFallback: when the kernel refuses a GSO send, the node sends that run datagram by
// datagram, stops using GSO, and the transfer completes.
func TestGSOFallback(t *testing.T) {
	if !offloadSupported {
		t.Skip("no UDP GSO on this platform")
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	var refused atomic.Int32
	seeder := startNode(t, Config{}, func(n *Node) {
		real := n.writeBatch
		n.writeBatch = func(msgs []ipv4.Message, flags int) (int, error) {
			if len(msgs[0].OOB) > 0 { // a GSO send: the device "does not do it"
				refused.Add(1)
				return 0, os.NewSyscallError("sendmmsg", syscall.EIO)
			}
			return real(msgs, flags)
		}
	})
	if !seeder.Offload().GSO {
		t.Skip("GSO off from the start")
	}
	leecher := startNode(t, Config{}, nil)
	data := randomContent(3, 2<<20)
	seed, leech := seedAndLeechStores(t, ctx, data)
	events, stop := leecher.Subscribe(1 << 14)
	defer stop()
	id := addPair(t, ctx, seeder, leecher, seed, leech)
	waitComplete(t, ctx, leecher, id, events)
	checkContent(t, ctx, leecher, id, data)
	if refused.Load() != 1 || seeder.Offload().GSO {
		t.Fatalf("GSO sends refused %d (want 1: then GSO is off), GSO still on: %v", refused.Load(), seeder.Offload().GSO)
	}
}

// TestNoOffload: with offload turned off, nothing goes out as GSO and a transfer works.
func TestNoOffload(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder, leecher := startNode(t, Config{NoOffload: true}, nil), startNode(t, Config{NoOffload: true}, nil)
	data := randomContent(4, 1<<20)
	seed, leech := seedAndLeechStores(t, ctx, data)
	events, stop := leecher.Subscribe(1 << 14)
	defer stop()
	id := addPair(t, ctx, seeder, leecher, seed, leech)
	waitComplete(t, ctx, leecher, id, events)
	checkContent(t, ctx, leecher, id, data)
	if o := seeder.Offload(); o.GSO || o.GRO || o.GSOSends != 0 {
		t.Fatalf("offload used: %+v", o)
	}
}

// TestAPI: the typed calls the swarm manager uses, on a transfer between two nodes.
func TestAPI(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	seeder, leecher := startNode(t, Config{}, nil), startNode(t, Config{}, nil)
	data := randomContent(5, 1<<20+77)
	seed, leech := seedAndLeechStores(t, ctx, data)
	events, stop := leecher.Subscribe(1 << 14)
	defer stop()
	id := addPair(t, ctx, seeder, leecher, seed, leech)
	if err := leecher.SetPlayback(ctx, id, 1, 0, 64); err != nil {
		t.Fatal(err)
	}
	if err := leecher.SetPlayback(ctx, id, 2, 4000, 64); err != nil {
		t.Fatal(err)
	}
	if info, err := leecher.SwarmInfo(ctx, id); err != nil || info.PlaybackWindows != 2 {
		t.Fatalf("SwarmInfo after two SetPlayback: %+v %v", info, err)
	}
	if err := leecher.ClearPlayback(ctx, id, 2); err != nil {
		t.Fatal(err)
	}
	if err := leecher.SetRateLimit(ctx, id, 0, 100e6); err != nil {
		t.Fatal(err)
	}
	waitComplete(t, ctx, leecher, id, events)
	info, err := leecher.SwarmInfo(ctx, id)
	if err != nil {
		t.Fatal(err)
	}
	if info.PlaybackWindows != 1 {
		t.Fatalf("%d playback windows, want owner 1's", info.PlaybackWindows)
	}
	if info.BytesDown != uint64(len(data)) || info.Have != info.Total || info.Seeders != 1 || info.RawDown < info.BytesDown {
		t.Fatalf("SwarmInfo %+v", info)
	}
	peers, err := leecher.PeerInfos(ctx, id)
	if err != nil || len(peers) != 1 || peers[0].Addr != seeder.LocalAddr() || peers[0].BytesDown != info.BytesDown {
		t.Fatalf("PeerInfos %+v %v", peers, err)
	}
	have, total, err := leecher.Progress(ctx, id)
	if err != nil || have != total {
		t.Fatalf("Progress %d/%d %v", have, total, err)
	}
	const unknown = engine.SwarmID("nope")
	for name, err := range map[string]error{
		"SetPlayback":   leecher.SetPlayback(ctx, unknown, 1, 0, 1),
		"ClearPlayback": leecher.ClearPlayback(ctx, unknown, 1),
		"SetRateLimit":  leecher.SetRateLimit(ctx, unknown, 1, 1),
		"RemoveSwarm":   leecher.RemoveSwarm(ctx, unknown),
	} {
		if !errors.Is(err, engine.ErrUnknownSwarm) {
			t.Errorf("%s on an unknown swarm: %v", name, err)
		}
	}
	if _, err := leecher.SwarmInfo(ctx, unknown); !errors.Is(err, engine.ErrUnknownSwarm) {
		t.Errorf("SwarmInfo on an unknown swarm: %v", err)
	}
	if _, err := leecher.PeerInfos(ctx, unknown); !errors.Is(err, engine.ErrUnknownSwarm) {
		t.Errorf("PeerInfos on an unknown swarm: %v", err)
	}
	if err := leecher.SetRateLimit(ctx, "", -1, 0); err == nil {
		t.Error("negative rate accepted")
	}
	if err := leecher.RemoveSwarm(ctx, id); err != nil {
		t.Fatal(err)
	}
}
