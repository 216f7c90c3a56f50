package engine

import (
	"bytes"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// firstMissing is the first chunk the node does not have: how far a player could read.
func firstMissing(n *simNode) uint64 {
	s := n.eng.swarms[n.id]
	for i := range s.n {
		if !s.have.has(i) {
			return i
		}
	}
	return s.n
}

// vodRun measures, for a leecher among four seeders, the virtual time until the first
// `prefix` chunks are there in order, and until the whole file is; streaming moves the
// playback position to the first missing chunk as a player would.
func vodRun(t *testing.T, streaming bool, chunks, prefix uint64) (toPrefix, toComplete time.Duration) {
	t.Helper()
	net := newSimNet(t, 99)
	data := testContent(41, int(chunks)*testCS)
	var seeders []*simNode
	for i := range 4 {
		// Four seeders with 1 MB/s uplinks and different distances.
		l := link{delay: time.Duration(10+10*i) * time.Millisecond, jitter: 5 * time.Millisecond, rate: 1e6}
		seeders = append(seeders, net.seedNode("seeder"+string(rune('A'+i)), data, testCS, Config{}, l))
	}
	lc := net.leechNode("vod", []byte(seeders[0].id), int64(len(data)), testCS, Config{}, link{delay: 10 * time.Millisecond})
	if streaming {
		if err := lc.eng.SetPlayback(lc.id, 1, 0, 1024); err != nil {
			t.Fatal(err)
		}
	}
	for _, s := range seeders {
		net.connect(lc, s)
	}
	start := net.now
	var pos uint64
	reached := func() bool {
		if p := firstMissing(lc); p != pos {
			pos = p
			if streaming {
				_ = lc.eng.SetPlayback(lc.id, 1, pos, 1024)
			}
		}
		return pos >= prefix
	}
	if !net.run(5*time.Minute, reached) {
		t.Fatalf("streaming=%v: first %d chunks not in order", streaming, prefix)
	}
	toPrefix = net.now.Sub(start)
	if !net.run(5*time.Minute, allComplete(lc)) {
		t.Fatalf("streaming=%v: incomplete", streaming)
	}
	if !bytes.Equal(lc.content.data, data) {
		t.Fatal("content differs")
	}
	return toPrefix, net.now.Sub(start)
}

// TestStreamingGetsPrefixFirst: with a playback position, the first 2 MiB arrive in order
// about as soon as the link allows, sooner than rarest-first, and the file still completes
// as fast as in bulk mode.
func TestStreamingGetsPrefixFirst(t *testing.T) {
	const chunks, prefix = 8192, 2048 // 8 MiB file, first 2 MiB
	vodPrefix, vodDone := vodRun(t, true, chunks, prefix)
	bulkPrefix, bulkDone := vodRun(t, false, chunks, prefix)
	t.Logf("first 2 MiB in order: streaming %v, bulk %v; complete: streaming %v, bulk %v", vodPrefix, bulkPrefix, vodDone, bulkDone)
	// The prefix is a quarter of the file: at full speed it takes a quarter of the whole
	// download. Streaming must come close to that bound and beat rarest-first.
	bound := vodDone * time.Duration(prefix) / time.Duration(chunks)
	if vodPrefix >= bulkPrefix || vodPrefix > bound*3/2 {
		t.Fatalf("streaming took %v for the first 2 MiB (bound %v), bulk %v", vodPrefix, bound, bulkPrefix)
	}
	if vodDone > 2*bulkDone {
		t.Fatalf("streaming completes in %v, bulk in %v", vodDone, bulkDone)
	}
}

// TestPickOrder checks the picker's keys on a hand-made swarm: the streaming window first
// and in order, then the rarest chunks.
func TestPickOrder(t *testing.T) {
	e, _ := seedingEngine(t, Config{RequestWindow: 8}, testContent(1, 64*testCS))
	lc := New(Config{RequestWindow: 8})
	store := emptyStore(t, e.swarms[SwarmID(firstSwarm(e))].store.Root(), 64*testCS, testCS)
	id, _ := lc.AddSwarm(NewSwarmConfig(store))
	s := lc.swarms[id]
	ch := newChannel(1, rawPeer, s, t0)
	ch.state = stateEstablished
	s.channels = append(s.channels, ch)
	lc.addPeerHave(ch, rangeOf(0, 63))
	// Chunks 40-47 are rarer than the rest: every other peer has all but those.
	other := newChannel(2, rawPeer2, s, t0)
	other.state = stateEstablished
	s.channels = append(s.channels, other)
	lc.addPeerHave(other, rangeOf(0, 39))
	lc.addPeerHave(other, rangeOf(48, 63))
	s.scanStart = 0

	picks := lc.pickRarest(t0, ch, nil, 8)
	for k, i := range picks {
		if i != uint64(40+k) {
			t.Fatalf("rarest-first picked %v, want 40..47", picks)
		}
	}
	_ = lc.SetPlayback(id, 1, 10, 4)
	picks = lc.pickStreaming(t0, ch, nil, 8)
	if len(picks) != 4 || picks[0] != 10 || picks[3] != 13 {
		t.Fatalf("streaming picked %v, want 10..13", picks)
	}
	// Chunks already requested are skipped.
	s.addPending(11, other, t0)
	picks = lc.pickStreaming(t0, ch, nil, 8)
	if len(picks) != 3 || picks[1] != 12 {
		t.Fatalf("streaming picked %v with 11 pending", picks)
	}
}

func firstSwarm(e *Engine) SwarmID {
	for id := range e.swarms {
		return id
	}
	return ""
}

func rangeOf(a, b uint64) bins.ChunkRange { return bins.ChunkRange{Start: a, End: b} }
