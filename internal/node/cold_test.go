package node

import (
	"context"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/engine"
)

// TestColdSwarmLoadedOnHandshake: a HANDSHAKE for a swarm the seeder does not hold goes to
// its loader; the kept HANDSHAKE is handed to the engine within AddSwarm, so the channel
// exists as soon as AddSwarm returns (no retry from the peer needed), and the content moves.
func TestColdSwarmLoadedOnHandshake(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	data := randomContent(3, 200_000)
	seed, leech := seedAndLeechStores(t, ctx, data)
	asked := make(chan engine.SwarmID, 4)
	seeder := startNode(t, Config{}, func(n *Node) {
		n.SetSwarmLoader(func(id engine.SwarmID) bool {
			if id != engine.SwarmID(seed.Root()) {
				return false
			}
			asked <- id
			return true
		})
	})
	leecher := startNode(t, Config{}, nil)
	events, unsubscribe := leecher.Subscribe(1024)
	defer unsubscribe()
	id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(leech))
	if err != nil {
		t.Fatal(err)
	}
	if err := leecher.Connect(ctx, id, seeder.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	select {
	case got := <-asked:
		if got != id {
			t.Fatalf("loader asked for %v, want %v", got, id)
		}
	case <-ctx.Done():
		t.Fatal("the loader was not asked")
	}
	if _, err := seeder.AddSwarm(ctx, engine.NewSwarmConfig(seed)); err != nil {
		t.Fatal(err)
	}
	peers, err := seeder.PeerInfos(ctx, id)
	if err != nil || len(peers) != 1 {
		t.Fatalf("right after AddSwarm the seeder has %d channels (%v): the kept HANDSHAKE was not replayed", len(peers), err)
	}
	waitComplete(t, ctx, leecher, id, events)
	sst, err := seeder.Stats(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if sst.ColdHandshakes == 0 {
		t.Fatal("no cold HANDSHAKE counted")
	}
}

// TestColdSwarmUnknownIgnored: a HANDSHAKE for a swarm the loader does not know keeps
// nothing, and the node answers nothing.
func TestColdSwarmUnknownIgnored(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	_, leech := seedAndLeechStores(t, ctx, randomContent(4, 10_000))
	refused := make(chan struct{}, 8)
	seeder := startNode(t, Config{}, func(n *Node) {
		n.SetSwarmLoader(func(engine.SwarmID) bool { refused <- struct{}{}; return false })
	})
	leecher := startNode(t, Config{Engine: engine.Config{HandshakeRetry: time.Minute}}, nil)
	id, err := leecher.AddSwarm(ctx, engine.NewSwarmConfig(leech))
	if err != nil {
		t.Fatal(err)
	}
	if err := leecher.Connect(ctx, id, seeder.LocalAddr()); err != nil {
		t.Fatal(err)
	}
	select {
	case <-refused:
	case <-ctx.Done():
		t.Fatal("the loader was not asked")
	}
	var kept int
	if err := seeder.do(ctx, func(time.Time, *engine.Engine) { kept = len(seeder.cold.pending) }); err != nil {
		t.Fatal(err)
	}
	if kept != 0 {
		t.Fatalf("%d swarms' datagrams kept for a swarm nobody loads", kept)
	}
}
