package engine

import (
	"testing"
	"time"
)

// TestLossDetectedByLaterArrivals: over a link that loses 2% of datagrams, chunks missing
// while those requested after them arrive are asked for again at once, so most losses are
// repaired without waiting for RequestTimeout. Virtual time, so the figure is exact for the
// seed: before this detection the same run took 2m0s for 8000 chunks, with 414 timeouts.
func TestLossDetectedByLaterArrivals(t *testing.T) {
	l := link{loss: 0.02, delay: 20 * time.Millisecond, jitter: 2 * time.Millisecond, rate: 4e6, buffer: 200 * time.Millisecond}
	_, leech, took := pairTransfer(t, 7, testContent(5, 8000*testCS), testCS, l)
	st := leech.eng.Stats()
	t.Logf("%v; re-requested after later arrivals %d, after timeouts %d, duplicates %d", took, st.RequestsLost, st.RequestTimeouts, st.DuplicateChunks)
	if st.RequestsLost <= st.RequestTimeouts {
		t.Fatalf("losses found by later arrivals %d, by timeouts %d", st.RequestsLost, st.RequestTimeouts)
	}
	if took > 75*time.Second {
		t.Fatalf("took %v", took)
	}
}
