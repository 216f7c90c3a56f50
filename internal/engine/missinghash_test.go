package engine

import (
	"fmt"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// missingAt is the error the store gives for a DATA that lacks the uncle b.
func missingAt(b bins.Bin) error {
	return fmt.Errorf("storage: chunk: %w", &hashtree.BinError{Bin: b, Err: hashtree.ErrMissingHash})
}

// TestMissingHashCountsOncePerIncident: the DATA of a window stranded by one lost uncle
// count as one offence, plus one per missingRepeatsPerOffence repeats; a new missing uncle
// counts again; an error that names no bin always counts.
func TestMissingHashCountsOncePerIncident(t *testing.T) {
	ch := &channel{lastMissing: bins.None}
	high := bins.New(8, 3)
	offences := 0
	for range 1 + 2*missingRepeatsPerOffence {
		if ch.missingHashOffence(missingAt(high)) {
			offences++
		}
	}
	if offences != 3 {
		t.Fatalf("%d offences for one missing uncle over %d DATA, want 3", offences, 1+2*missingRepeatsPerOffence)
	}
	if !ch.missingHashOffence(missingAt(bins.New(8, 4))) {
		t.Fatal("another missing uncle did not count")
	}
	if !ch.missingHashOffence(missingAt(high)) {
		t.Fatal("the first uncle missing again after another did not count")
	}
	if !ch.missingHashOffence(hashtree.ErrMissingHash) {
		t.Fatal("a missing hash without a bin did not count")
	}
	// Bin 0 (chunk 0) is a real bin: a fresh channel counts it.
	fresh := &channel{lastMissing: bins.None}
	if !fresh.missingHashOffence(missingAt(bins.Chunk(0))) {
		t.Fatal("chunk 0's missing hash did not count on a fresh channel")
	}
}
