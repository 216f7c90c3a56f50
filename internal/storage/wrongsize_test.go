package storage

import (
	"errors"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// TestUnconfirmedSizeIsNotAdopted: a download started with a wrong content length (say
// --size 1000) writes a checkpoint that records it. Reopened by a command that gives no
// length, that checkpoint must not impose the wrong length again, or the download fails
// the same way forever (issue 16); it is discarded, with the reason, and the download
// then works. A checkpoint whose length verified chunks confirm is still adopted.
func TestUnconfirmedSizeIsNotAdopted(t *testing.T) {
	w := newSwarm(t, 7, 100_000, 1024, hashtree.SHA1)
	dir := t.TempDir()

	wrong := w.opts(dir, 1000)
	s := open(t, wrong)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, w.opts(dir, -1))
	rec := s.Recovery()
	if rec.From == "checkpoint" || !errors.Is(rec.CheckpointErr, ErrCheckpoint) {
		t.Fatalf("checkpoint with an unconfirmed wrong size adopted: %+v", rec)
	}
	w.put(t, s, 0, haveSet{}, hashtree.ToPeak)
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	s = open(t, w.opts(dir, -1))
	defer s.Close()
	if rec := s.Recovery(); rec.From != "checkpoint" || s.VerifiedCount() != 1 {
		t.Fatalf("checkpoint with a verified chunk not adopted: %+v, %d verified", rec, s.VerifiedCount())
	}
	if s.NumChunks() != w.n() {
		t.Fatalf("%d chunks, the swarm has %d", s.NumChunks(), w.n())
	}
}
