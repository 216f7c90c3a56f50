package engine

import (
	"fmt"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// missingAt is the error the store gives for a DATA that lacks the uncle b.
func missingAt(b bins.Bin) error {
	return fmt.Errorf("storage: chunk: %w", &hashtree.BinError{Bin: b, Err: hashtree.ErrMissingHash})
}

// TestMissingHashCountsOncePerIncident: the DATA of a window stranded by one lost uncle
// count as one offence, plus one per missingRepeatsPerOffence repeats; a new missing uncle
// counts again; an error that names no bin always counts.
func TestMissingHashCountsOncePerIncident(t *testing.T) {
	ch := &channel{peerStanding: peerStanding{lastMissing: bins.None}}
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
	fresh := &channel{peerStanding: peerStanding{lastMissing: bins.None}}
	if !fresh.missingHashOffence(missingAt(bins.Chunk(0))) {
		t.Fatal("chunk 0's missing hash did not count on a fresh channel")
	}
}

// TestRequestForUnackedDataResendsHashes: a REQUEST for a chunk we sent and that is not
// acknowledged (lost, or stranded without a hash) makes the seeder forget which hashes it
// stopped sending, so the next DATA carries them again; a REQUEST for new chunks does not.
func TestRequestForUnackedDataResendsHashes(t *testing.T) {
	now := time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)
	e := New(Config{})
	ch := &channel{swarm: &swarm{n: 100}, serveState: serveState{unacked: map[uint64]time.Time{40: now}}}
	ch.ctx = wire.DefaultContext()
	ch.ctx.Addressing = wire.ChunkRange32
	held := bins.New(3, 1)
	for range hashCopies {
		ch.sent.note(held)
	}
	e.onRequest(now, ch, wire.RangeSpec(41, 50))
	if !ch.sent.Knows(held) {
		t.Fatal("a request for new chunks made the seeder forget its sent hashes")
	}
	e.onRequest(now, ch, wire.RangeSpec(40, 40))
	if ch.sent.Knows(held) {
		t.Fatal("a request for unacknowledged DATA left the sent hashes thinned")
	}
}
