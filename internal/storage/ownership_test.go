package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// finishedDownload leaves w's complete download with its checkpoint in a new directory.
func finishedDownload(t *testing.T, w *swarm) Options {
	t.Helper()
	o := w.opts(t.TempDir(), int64(len(w.content)))
	s := open(t, o)
	for i := range w.n() {
		w.put(t, s, i, nil, hashtree.ToRoot)
	}
	closeStore(t, s)
	return o
}

// TestNotOursRefused: a content file that exists, is not empty and is not provably this
// swarm's is refused without Force, with a reason, and neither it nor its checkpoint is
// touched. Force takes it over.
func TestNotOursRefused(t *testing.T) {
	w := newSwarm(t, 30, 7*64+5, 64, hashtree.SHA1)
	other := newSwarm(t, 31, 11*64, 64, hashtree.SHA1)
	for name, c := range map[string]struct {
		setup func(t *testing.T) Options // files on disk, options for w
		why   string
	}{
		"unrelated file": {func(t *testing.T) Options {
			o := w.opts(t.TempDir(), int64(len(w.content)))
			writeFile(t, o.ContentPath, []byte("my thesis, no backup"))
			return o
		}, "has no checkpoint and its content is not swarm"},
		"unrelated file, size unknown": {func(t *testing.T) Options {
			o := w.opts(t.TempDir(), -1)
			writeFile(t, o.ContentPath, []byte("my thesis, no backup"))
			return o
		}, "has no checkpoint and its content is not swarm"},
		"another swarm's finished download": {func(t *testing.T) Options {
			oo := finishedDownload(t, other)
			o := oo
			o.Root, o.Params = w.seeder.Root(), w.opts("", int64(len(w.content))).Params
			return o
		}, "is for swarm " + hexs(other.seeder.Root())},
		"another swarm's download, size unknown": {func(t *testing.T) Options {
			oo := finishedDownload(t, other)
			o := oo
			o.Root, o.Params = w.seeder.Root(), w.opts("", -1).Params
			return o
		}, "is for swarm " + hexs(other.seeder.Root())},
		"our content with a tail": {func(t *testing.T) Options {
			o := w.opts(t.TempDir(), int64(len(w.content)))
			writeFile(t, o.ContentPath, append(bytes.Clone(w.content), "appendix"...))
			return o
		}, "longer than the content"},
		"damaged checkpoint": {func(t *testing.T) Options {
			o := finishedDownload(t, w)
			writeFile(t, o.ContentPath, other.content) // not our content either
			ck := readFile(t, o.CheckpointPath)
			ck[len(ck)-1] ^= 1
			writeFile(t, o.CheckpointPath, ck)
			return o
		}, "is unusable"},
	} {
		t.Run(name, func(t *testing.T) {
			o := c.setup(t)
			content := readFile(t, o.ContentPath)
			ckpt, ckptErr := os.ReadFile(o.CheckpointPath)
			_, err := Open(context.Background(), o)
			if !errors.Is(err, ErrNotOurs) || !strings.Contains(err.Error(), c.why) {
				t.Fatalf("Open: %v, want ErrNotOurs saying %q", err, c.why)
			}
			if !bytes.Equal(readFile(t, o.ContentPath), content) {
				t.Fatal("refused Open changed the content file")
			}
			if got, err := os.ReadFile(o.CheckpointPath); !bytes.Equal(got, ckpt) || (err == nil) != (ckptErr == nil) {
				t.Fatal("refused Open changed the checkpoint")
			}

			// Forced, the file is overwritten and ends exactly the content.
			o.Force = true
			s := open(t, o)
			mode := hashtree.ToRoot
			if o.Params.Size < 0 {
				mode = hashtree.ToPeak
			}
			for i := range w.n() {
				if !s.Verified(i) {
					w.put(t, s, i, nil, mode)
				}
			}
			if err := s.Flush(); err != nil || !s.Complete() {
				t.Fatalf("forced download: flush %v, complete %v", err, s.Complete())
			}
			closeStore(t, s)
			if got := readFile(t, o.ContentPath); !bytes.Equal(got, w.content) {
				t.Fatalf("forced download: %d bytes, not exactly the content (%d bytes)", len(got), len(w.content))
			}
			o.Force = false
			s = open(t, o) // now ours
			if s.Recovery().From != "checkpoint" || !s.Complete() {
				t.Fatalf("reopen: %+v", s.Recovery())
			}
			closeStore(t, s)
		})
	}
}

// TestOursAccepted: the files Open may write into without Force.
func TestOursAccepted(t *testing.T) {
	w := newSwarm(t, 32, 5*64+1, 64, hashtree.SHA1)
	size := int64(len(w.content))
	for name, c := range map[string]struct {
		setup func(t *testing.T) Options
		from  string
	}{
		"absent": {func(t *testing.T) Options { return w.opts(t.TempDir(), size) }, "empty"},
		"empty file": {func(t *testing.T) Options {
			o := w.opts(t.TempDir(), size)
			writeFile(t, o.ContentPath, nil)
			return o
		}, "empty"},
		"empty file with another swarm's checkpoint": {func(t *testing.T) Options {
			o := finishedDownload(t, newSwarm(t, 33, 100, 64, hashtree.SHA1))
			writeFile(t, o.ContentPath, nil)
			o.Root, o.Params = w.seeder.Root(), w.opts("", size).Params
			return o
		}, "empty"},
		"our checkpoint": {func(t *testing.T) Options { return finishedDownload(t, w) }, "checkpoint"},
		"exact copy, no checkpoint": {func(t *testing.T) Options {
			o := w.opts(t.TempDir(), size)
			writeFile(t, o.ContentPath, w.content)
			return o
		}, "rehash"},
		"exact copy, size unknown": {func(t *testing.T) Options {
			o := w.opts(t.TempDir(), -1)
			writeFile(t, o.ContentPath, w.content)
			return o
		}, "rehash"},
	} {
		t.Run(name, func(t *testing.T) {
			s := open(t, c.setup(t))
			defer closeStore(t, s)
			if got := s.Recovery().From; got != c.from {
				t.Fatalf("recovered from %q, want %q", got, c.from)
			}
		})
	}
}

// TestNewDownloadClaimedAtOnce: a download that crashes before its first periodic
// checkpoint is still recognised as ours (the file is preallocated, so it is not empty).
func TestNewDownloadClaimedAtOnce(t *testing.T) {
	w := newSwarm(t, 34, 9*64, 64, hashtree.SHA1)
	for _, size := range []int64{int64(len(w.content)), -1} {
		o := w.opts(t.TempDir(), size)
		s := open(t, o)
		mode := hashtree.ToRoot
		if size < 0 {
			mode = hashtree.ToPeak
		}
		w.put(t, s, 2, nil, mode) // written, never checkpointed
		s.mu.Lock()
		if err := s.flushLocked(); err != nil {
			t.Fatal(err)
		}
		s.mu.Unlock()
		abandon(s)
		s = open(t, o)
		if rec := s.Recovery(); rec.From != "checkpoint" {
			t.Fatalf("size %d: after a crash: %+v", size, rec)
		}
		abandon(s)
	}
}

// TestOwnCheckpointUnusable: a sound checkpoint file for this swarm whose hashes are then
// not adopted (here one hash changed, CRC fixed up) still shows the file is this swarm's
// download: Open falls back without it, and does not refuse the file.
func TestOwnCheckpointUnusable(t *testing.T) {
	w := newSwarm(t, 35, 9*64, 64, hashtree.SHA1)
	o := w.opts(t.TempDir(), int64(len(w.content)))
	s := open(t, o)
	for _, i := range []uint64{0, 1, 8} {
		w.put(t, s, i, nil, hashtree.ToRoot)
	}
	closeStore(t, s)
	ck := readFile(t, o.CheckpointPath)
	ck[len(ck)-ckptCRCLen-1] ^= 1 // the last frontier hash
	writeFile(t, o.CheckpointPath, resign(ck))
	s = open(t, o)
	defer closeStore(t, s)
	if rec := s.Recovery(); rec.From != "empty" || !errors.Is(rec.CheckpointErr, ErrCheckpoint) {
		t.Fatalf("recovery %+v", rec)
	}
}
