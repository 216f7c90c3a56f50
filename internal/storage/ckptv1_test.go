package storage

import (
	"errors"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Checkpoints of format version 1 were written before the right-edge hashes were saved.
// The files under testdata/ were written by that encoder (commit 08a5487) from the swarms
// below (newSwarm is deterministic), with the chunks listed delivered by put.

type v1Fixture struct {
	file      string
	seed      uint64
	size, cs  int
	sizeKnown bool
	held      []uint64
}

var v1Fixtures = []v1Fixture{
	{"v1-10chunks-1-2-6-9.ckpt", 10, 9*64 + 20, 64, true, []uint64{1, 2, 6, 9}},
	{"v1-8chunks-sizeunknown-0-5.ckpt", 8, 7*64 + 30, 64, false, []uint64{0, 5}},
}

// place writes the fixture's checkpoint beside a content file holding its chunks, as the
// old store left them, and returns the options to open them with.
func (fx v1Fixture) place(t *testing.T) (*swarm, Options) {
	t.Helper()
	w := newSwarm(t, fx.seed, fx.size, fx.cs, hashtree.SHA1)
	size := int64(-1)
	if fx.sizeKnown {
		size = int64(fx.size)
	}
	o := w.opts(t.TempDir(), size)
	var content []byte
	if fx.sizeKnown {
		content = make([]byte, fx.size) // preallocated
	}
	for _, i := range fx.held {
		end := int(i)*fx.cs + len(w.chunk(i))
		if len(content) < end {
			content = append(content, make([]byte, end-len(content))...)
		}
		copy(content[int(i)*fx.cs:], w.chunk(i))
	}
	writeFile(t, o.ContentPath, content)
	writeFile(t, o.CheckpointPath, readFile(t, filepath.Join("testdata", fx.file)))
	return w, o
}

// TestCheckpointV1Opens: version 1 checkpoints written by the old encoder still restore,
// with exactly their verified chunks; the store then goes on and writes version 2.
func TestCheckpointV1Opens(t *testing.T) {
	for _, fx := range v1Fixtures {
		t.Run(fx.file, func(t *testing.T) {
			raw := readFile(t, filepath.Join("testdata", fx.file))
			if v := int(raw[8])<<8 | int(raw[9]); v != 1 {
				t.Fatalf("fixture has version %d, want 1", v)
			}
			w, o := fx.place(t)
			s := open(t, o)
			rec := s.Recovery()
			if rec.From != "checkpoint" || rec.CheckpointErr != nil || rec.Reverified != 0 {
				t.Fatalf("recovery %+v", rec)
			}
			held := haveSet{}
			for _, i := range fx.held {
				held[i] = true
			}
			for i := uint64(0); i < w.n(); i++ {
				if s.Verified(i) != held[i] {
					t.Fatalf("chunk %d verified = %v", i, s.Verified(i))
				}
			}
			if got := w.checkReads(t, s); got != len(fx.held) {
				t.Fatalf("%d chunks readable, want %d", got, len(fx.held))
			}
			// One more chunk, then a checkpoint in the current format that restores too.
			var next uint64
			for held[next] {
				next++
			}
			w.put(t, s, next, held, hashtree.ToRoot)
			closeStore(t, s)
			if v := readFile(t, o.CheckpointPath); int(v[8])<<8|int(v[9]) != ckptVersion {
				t.Fatalf("rewritten checkpoint has version %d", int(v[8])<<8|int(v[9]))
			}
			s = open(t, o)
			defer closeStore(t, s)
			if rec := s.Recovery(); rec.From != "checkpoint" || s.VerifiedCount() != len(held) {
				t.Fatalf("after rewrite: %+v, %d verified", rec, s.VerifiedCount())
			}
		})
	}
}

// TestCheckpointV1WithoutEdgeRefused: a version 1 checkpoint of a 9-chunk download that
// had only chunk 0 lacks the right-edge uncle (the bug format 2 fixes). It cannot be made
// to hash up to the root, so it is refused as before, and Open starts empty (the content
// file is still ours: the checkpoint names this swarm).
func TestCheckpointV1WithoutEdgeRefused(t *testing.T) {
	fx := v1Fixture{"v1-9chunks-0.ckpt", 9, 8*64 + 11, 64, true, []uint64{0}}
	_, o := fx.place(t)
	s := open(t, o)
	defer closeStore(t, s)
	rec := s.Recovery()
	if rec.From != "empty" || !errors.Is(rec.CheckpointErr, ErrCheckpoint) || s.VerifiedCount() != 0 {
		t.Fatalf("recovery %+v, %d verified", rec, s.VerifiedCount())
	}
}

// TestCheckpointV1Constructed builds version 1 checkpoints from version 2 ones (asVersion1:
// the same file without the edge bitmap) for downloads whose frontier has no edge node,
// and checks that they restore the same chunks; a frontier with an edge node has no
// version 1 form.
func TestCheckpointV1Constructed(t *testing.T) {
	const cs = 64
	for _, n := range []int{1, 5, 8, 12, 21} {
		w := newSwarm(t, uint64(n)+50, (n-1)*cs+9, cs, hashtree.SHA1)
		for _, m := range seederModes {
			chunks := []uint64{0, uint64(n - 1)} // with the last chunk, no edge node is left alone
			if n == 1 {
				chunks = chunks[:1]
			}
			size := int64(-1)
			if m.sizeKnown {
				size = int64(len(w.content))
			}
			o := w.opts(t.TempDir(), size)
			s := open(t, o)
			have := haveSet{}
			for _, i := range chunks {
				w.deliver(t, s, i, have, m)
			}
			closeStore(t, s)
			v1, ok := asVersion1(readFile(t, o.CheckpointPath))
			if !ok {
				t.Fatalf("%d chunks, %s: no version 1 form", n, m.name)
			}
			writeFile(t, o.CheckpointPath, v1)
			s = open(t, o)
			rec := s.Recovery()
			if rec.From != "checkpoint" || rec.CheckpointErr != nil || s.VerifiedCount() != len(chunks) ||
				!s.Verified(0) || !s.Verified(uint64(n-1)) {
				t.Fatalf("%d chunks, %s: %+v, %d verified", n, m.name, rec, s.VerifiedCount())
			}
			if got := w.checkReads(t, s); got != len(chunks) {
				t.Fatalf("%d chunks, %s: %d readable", n, m.name, got)
			}
			closeStore(t, s)
		}
	}
	// Chunk 0 of 12 with uncles to the root: the frontier needs the edge node 8…15.
	w := newSwarm(t, 12, 11*cs+9, cs, hashtree.SHA1)
	o := w.opts(t.TempDir(), int64(len(w.content)))
	s := open(t, o)
	w.deliver(t, s, 0, haveSet{}, seederModes[0])
	closeStore(t, s)
	if _, ok := asVersion1(readFile(t, o.CheckpointPath)); ok {
		t.Fatal("a frontier with an edge node was given a version 1 form")
	}
}
