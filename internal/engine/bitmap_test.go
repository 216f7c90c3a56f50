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
