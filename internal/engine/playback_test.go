package engine

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

// pickerSwarm is a leecher engine with one established peer that has all of a 64-chunk
// swarm, for calling the picker's steps directly.
func pickerSwarm(t testing.TB) (*Engine, SwarmID, *channel) {
	t.Helper()
	e, _ := seedingEngine(t, Config{RequestWindow: 8}, testContent(1, 64*testCS))
	lc := New(Config{RequestWindow: 8})
	store := emptyStore(t, e.swarms[firstSwarm(e)].store.Root(), 64*testCS, testCS)
	id, err := lc.AddSwarm(NewSwarmConfig(store))
	if err != nil {
		t.Fatal(err)
	}
	s := lc.swarms[id]
	ch := newChannel(1, rawPeer, s, t0)
	ch.state = stateEstablished
	s.channels = append(s.channels, ch)
	lc.addPeerHave(ch, rangeOf(0, 63))
	return lc, id, ch
}

// TestPickStreamingInterleavesWindows: two windows are served in turn, each in order, and
// one pick at a time alternates between them; clearing one leaves the other.
func TestPickStreamingInterleavesWindows(t *testing.T) {
	lc, id, ch := pickerSwarm(t)
	if err := lc.SetPlayback(id, 7, 40, 4); err != nil {
		t.Fatal(err)
	}
	if err := lc.SetPlayback(id, 3, 10, 4); err != nil {
		t.Fatal(err)
	}
	// Owner 3 comes first whatever the order of the calls.
	picks := lc.pickStreaming(t0, ch, nil, 8)
	if want := []uint64{10, 40, 11, 41, 12, 42, 13, 43}; !slices.Equal(picks, want) {
		t.Fatalf("picked %v, want %v", picks, want)
	}
	// Room for one request at a time: the windows still take turns.
	var one []uint64
	for range 4 {
		one = append(one, lc.pickStreaming(t0, ch, nil, 1)...)
	}
	if one[0]/10 == one[1]/10 || one[1]/10 == one[2]/10 || one[2]/10 == one[3]/10 {
		t.Fatalf("single picks %v do not alternate between the windows", one)
	}
	// A window that runs out leaves the room to the other.
	if err := lc.SetPlayback(id, 3, 10, 1); err != nil {
		t.Fatal(err)
	}
	picks = lc.pickStreaming(t0, ch, nil, 4)
	if want := []uint64{10, 40, 41, 42}; !slices.Equal(picks, want) {
		t.Fatalf("picked %v with a one-chunk window, want %v", picks, want)
	}
	if err := lc.ClearPlayback(id, 7); err != nil {
		t.Fatal(err)
	}
	picks = lc.pickStreaming(t0, ch, nil, 4)
	if want := []uint64{10}; !slices.Equal(picks, want) {
		t.Fatalf("picked %v after clearing owner 7, want %v", picks, want)
	}
	if info, _ := lc.SwarmInfo(id); info.PlaybackWindows != 1 {
		t.Fatalf("%d windows after clearing one of two", info.PlaybackWindows)
	}
	// Clearing twice, or an owner that never set a window, is harmless.
	if err := lc.ClearPlayback(id, 7); err != nil {
		t.Fatal(err)
	}
	if err := lc.SetPlayback(id, 3, 5, 0); err != nil {
		t.Fatal(err)
	}
	if picks = lc.pickStreaming(t0, ch, nil, 4); len(picks) != 0 {
		t.Fatalf("picked %v with no window", picks)
	}
	if err := lc.ClearPlayback("no such swarm", 3); err != ErrUnknownSwarm {
		t.Fatalf("clearing in an unknown swarm: %v", err)
	}
}

// TestPickStreamingOverlappingWindows: a chunk in two windows is picked once.
func TestPickStreamingOverlappingWindows(t *testing.T) {
	lc, id, ch := pickerSwarm(t)
	_ = lc.SetPlayback(id, 1, 10, 4)
	_ = lc.SetPlayback(id, 2, 12, 4)
	picks := lc.pickStreaming(t0, ch, nil, 16)
	slices.Sort(picks)
	if want := []uint64{10, 11, 12, 13, 14, 15}; !slices.Equal(picks, want) {
		t.Fatalf("picked %v, want %v", picks, want)
	}
}

// TestPlaybackWindowCap: a swarm holds at most maxPlaybackWindows windows; an owner that
// has one can still move it.
func TestPlaybackWindowCap(t *testing.T) {
	lc, id, _ := pickerSwarm(t)
	for o := range PlaybackID(maxPlaybackWindows) {
		if err := lc.SetPlayback(id, o, uint64(o), 4); err != nil {
			t.Fatal(err)
		}
	}
	if err := lc.SetPlayback(id, maxPlaybackWindows, 0, 4); err != ErrTooManyWindows {
		t.Fatalf("window %d: %v, want ErrTooManyWindows", maxPlaybackWindows+1, err)
	}
	if err := lc.SetPlayback(id, 5, 30, 4); err != nil {
		t.Fatalf("moving an existing window at the cap: %v", err)
	}
}

// TestTwoWindowsInOneSwarm: a leecher with two players far apart in one file (a video's
// start and its index at the end) gets the first chunks of both windows before any chunk
// outside them; after one window is cleared, its chunks are no longer fetched ahead of
// bulk while the other window is still served.
func TestTwoWindowsInOneSwarm(t *testing.T) {
	const chunks, window = 4096, 256
	const posA, posB = 100, 3500
	net := newSimNet(t, 7)
	data := testContent(43, chunks*testCS)
	var seeders []*simNode
	for i := range 2 {
		l := link{delay: time.Duration(10+15*i) * time.Millisecond, jitter: 3 * time.Millisecond, rate: 1e6}
		seeders = append(seeders, net.seedNode("seeder"+string(rune('A'+i)), data, testCS, Config{}, l))
	}
	lc := net.leechNode("player", []byte(seeders[0].id), int64(len(data)), testCS, Config{}, link{delay: 10 * time.Millisecond})
	// Bulk would otherwise start at a random chunk, maybe inside a window; start it away
	// from both so that what is fetched early shows what the windows got.
	lc.eng.swarms[lc.id].scanStart = 1500
	if err := lc.eng.SetPlayback(lc.id, 1, posA, window); err != nil {
		t.Fatal(err)
	}
	if err := lc.eng.SetPlayback(lc.id, 2, posB, window); err != nil {
		t.Fatal(err)
	}
	for _, s := range seeders {
		net.connect(lc, s)
	}
	inA := func(i uint64) bool { return i >= posA && i < posA+window }
	inB := func(i uint64) bool { return i >= posB && i < posB+window }
	var order []uint64 // chunks in the order they were verified
	seen := 0
	verified := func() {
		for _, ev := range lc.events[seen:] {
			if ev.Kind == EventChunkVerified {
				order = append(order, ev.Chunk)
			}
		}
		seen = len(lc.events)
	}
	s := lc.eng.swarms[lc.id]
	headsIn := func(pos uint64) bool {
		for i := pos; i < pos+urgentChunks; i++ {
			if !s.have.has(i) {
				return false
			}
		}
		return true
	}
	if !net.run(time.Minute, func() bool { verified(); return headsIn(posA) && headsIn(posB) }) {
		t.Fatal("the first chunks of both windows did not arrive")
	}
	verified()
	outside := 0
	for _, i := range order {
		if !inA(i) && !inB(i) {
			outside++
		}
	}
	t.Logf("first %d chunks of both windows in after %d chunks verified (%d outside the windows)", urgentChunks, len(order), outside)
	if outside > 0 {
		t.Fatalf("%d chunks outside the windows came before the first %d of each window: %v", outside, urgentChunks, order)
	}
	// Served in turn, neither window waits for the other's 256 chunks.
	if len(order) > 3*urgentChunks {
		t.Fatalf("%d chunks verified before both windows had their first %d", len(order), urgentChunks)
	}

	// Player B goes away. Chunks of its window already requested still arrive; the others
	// now wait behind bulk, which starts once A's window is covered.
	if err := lc.eng.ClearPlayback(lc.id, 2); err != nil {
		t.Fatal(err)
	}
	net.collect(lc)
	coveredB := map[uint64]bool{}
	for i := uint64(posB); i < posB+window; i++ {
		if s.have.has(i) || s.pendingBits.has(i) {
			coveredB[i] = true
		}
	}
	mark := len(order)
	if !net.run(time.Minute, func() bool { verified(); return len(order) >= mark+2*window }) {
		t.Fatal("download stalled after clearing a window")
	}
	var gotA, lateB int
	for _, i := range order[mark:] {
		switch {
		case inA(i):
			gotA++
		case inB(i) && !coveredB[i]:
			lateB++
		}
	}
	t.Logf("after clearing B: %d chunks verified, %d of A's window, %d of B's not requested before", 2*window, gotA, lateB)
	if !rangeHave(s, posA, posA+window) {
		t.Fatalf("A's window incomplete after %d more chunks", 2*window)
	}
	if lateB > 0 {
		t.Fatalf("%d chunks of the cleared window were still fetched ahead of bulk", lateB)
	}
}

func rangeHave(s *swarm, start, end uint64) bool {
	for i := start; i < end; i++ {
		if !s.have.has(i) {
			return false
		}
	}
	return true
}

// BenchmarkPickStreaming measures one streaming pick of 32 chunks with 1, 8 and 64 windows
// (the cap) over a 64-chunk swarm whose chunks the peer all has.
func BenchmarkPickStreaming(b *testing.B) {
	for _, nw := range []int{1, 8, maxPlaybackWindows} {
		b.Run(fmt.Sprintf("windows=%d", nw), func(b *testing.B) {
			lc, id, ch := pickerSwarm(b)
			for o := range nw {
				_ = lc.SetPlayback(id, PlaybackID(o), uint64(o*64/nw), 8)
			}
			buf := make([]uint64, 0, 32)
			b.ReportAllocs()
			for b.Loop() {
				buf = lc.pickStreaming(t0, ch, buf[:0], 32)
			}
		})
	}
}
