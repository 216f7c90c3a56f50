package engine

import (
	"math/rand/v2"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// TestBitmapAnySet compares anySet, allSet and largestComplete with a plain loop over random
// sets and ranges, including ranges long enough to use the summary level.
func TestBitmapAnySet(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := range 200 {
		n := uint64(1 + r.IntN(20000))
		b := newBitmap(n)
		plain := make([]bool, n)
		density := r.Float64() * 0.01
		if round%3 == 0 {
			b.setRange(bins.ChunkRange{Start: 0, End: n - 1})
			for i := range plain {
				plain[i] = true
			}
		}
		for i := range n {
			if r.Float64() < density {
				b.set(i)
				plain[i] = true
			}
			if round%3 == 0 && r.Float64() < 0.001 {
				b.unset(i)
				plain[i] = false
			}
		}
		for range 50 {
			s := uint64(r.IntN(int(n)))
			e := s + uint64(r.IntN(int(n-s)))
			any, all := false, true
			for i := s; i <= e; i++ {
				any = any || plain[i]
				all = all && plain[i]
			}
			rg := bins.ChunkRange{Start: s, End: e}
			if b.anySet(rg) != any || b.allSet(rg) != all {
				t.Fatalf("n=%d %v: anySet %v want %v, allSet %v want %v", n, rg, b.anySet(rg), any, b.allSet(rg), all)
			}
		}
	}
}

// TestBitmapTreeSparse: with a few chunks set and then unset again (words that empty), anySet
// over every aligned bin up to the whole file and over random ranges agrees with a plain
// loop, so the word tree is cleared as well as marked.
func TestBitmapTreeSparse(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for round := range 100 {
		n := uint64(1 + r.IntN(1<<16))
		b := newBitmap(n)
		plain := make([]bool, n)
		var set []uint64
		for range 1 + r.IntN(8) {
			i := uint64(r.IntN(int(n)))
			b.set(i)
			plain[i] = true
			set = append(set, i)
		}
		if round%2 == 1 {
			for _, i := range set[:len(set)/2+1] {
				b.unset(i)
				plain[i] = false
			}
		}
		check := func(rg bins.ChunkRange) {
			want := false
			for i := rg.Start; i <= min(rg.End, n-1); i++ {
				want = want || plain[i]
			}
			if got := b.anySet(rg); got != want {
				t.Fatalf("round %d n=%d set %v: anySet%v = %v, want %v", round, n, set, rg, got, want)
			}
		}
		for layer := uint(0); layer <= 18; layer++ {
			for off := uint64(0); off<<layer < n && off < 64; off++ {
				check(bins.New(layer, off).Range())
			}
		}
		for range 50 {
			s := uint64(r.IntN(int(n)))
			check(bins.ChunkRange{Start: s, End: s + uint64(r.IntN(int(n-s)+100))})
		}
	}
}

// TestAddPeerHaveCounts checks that availability counts follow HAVEs exactly, with repeats,
// overlaps and ranges past the end, in a swarm that downloads (a complete one keeps none).
func TestAddPeerHaveCounts(t *testing.T) {
	data := testContent(3, 300*testCS)
	e := New(Config{})
	id, err := e.AddSwarm(NewSwarmConfig(emptyStore(t, seededStore(t, data, testCS).Root(), int64(len(data)), testCS)))
	if err != nil {
		t.Fatal(err)
	}
	s := e.swarms[id]
	a := newChannel(1, rawPeer, s, t0)
	b := newChannel(2, rawPeer2, s, t0)
	for _, r := range []bins.ChunkRange{{Start: 3, End: 70}, {Start: 0, End: 10}, {Start: 65, End: 299}, {Start: 100, End: 1000}} {
		e.addPeerHave(a, r)
	}
	e.addPeerHave(b, bins.ChunkRange{Start: 50, End: 60})
	e.addPeerHave(b, bins.ChunkRange{Start: 50, End: 60})
	for i := range uint64(300) {
		want := uint16(1)
		if i >= 50 && i <= 60 {
			want = 2
		}
		if s.avail[i] != want {
			t.Fatalf("avail[%d] = %d, want %d", i, s.avail[i], want)
		}
	}
	if !a.seeder || b.seeder || a.peerHave.count != 300 || b.peerHave.count != 11 {
		t.Fatalf("counts %d %d", a.peerHave.count, b.peerHave.count)
	}
}

func firstSwarmOf(e *Engine) *swarm {
	for _, s := range e.swarms {
		return s
	}
	return nil
}

// TestCompleteSwarmKeepsNoAvailability: a swarm complete from the start never picks, so it
// keeps no rarity counts, and a peer's HAVEs are still recorded.
func TestCompleteSwarmKeepsNoAvailability(t *testing.T) {
	e, _ := seedingEngine(t, Config{}, testContent(4, 100*testCS))
	s := firstSwarmOf(e)
	if s.avail != nil {
		t.Fatalf("complete swarm keeps %d availability counts", len(s.avail))
	}
	a := newChannel(1, rawPeer, s, t0)
	e.addPeerHave(a, bins.ChunkRange{Start: 0, End: 99})
	if !a.seeder || a.peerHave.count != 100 {
		t.Fatalf("peer HAVEs not recorded: seeder %v, %d chunks", a.seeder, a.peerHave.count)
	}
}
