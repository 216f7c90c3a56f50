package storage

import (
	"math/rand/v2"
	"testing"
)

// TestBitmapAllSet compares allSet with a bit by bit check over random bitmaps and ranges,
// including ranges that cross and end on word boundaries and ranges past the end.
func TestBitmapAllSet(t *testing.T) {
	r := rand.New(rand.NewPCG(3, 4))
	for range 2000 {
		n := uint64(1 + r.IntN(300))
		b := newBitmap(n)
		holes := r.IntN(3)
		for i := range n {
			b.set(i)
		}
		for range holes {
			b.unset(r.Uint64N(n))
		}
		from := r.Uint64N(n + 2)
		to := from + r.Uint64N(n+2)
		want := to < n
		for i := from; i <= to && want; i++ {
			want = b.get(i)
		}
		if got := b.allSet(from, to); got != want {
			t.Fatalf("n %d, %d…%d: allSet %v, want %v", n, from, to, got, want)
		}
	}
}
