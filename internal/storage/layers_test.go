package storage

import (
	"bytes"
	"context"
	"errors"
	"math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// onDemandSeed writes random content and seeds it with hashes on demand.
func onDemandSeed(t *testing.T, size, cs int) (Options, []byte, *Store) {
	t.Helper()
	r := rand.New(rand.NewPCG(uint64(size), uint64(cs)))
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(r.Uint32())
	}
	dir := t.TempDir()
	path := filepath.Join(dir, "content")
	writeFile(t, path, content)
	opts := Options{ContentPath: path, Params: hashtree.Params{Hash: hashtree.SHA1, ChunkSize: cs}, OnDemandHashes: true}
	st, err := Seed(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !st.OnDemand() {
		t.Fatal("seed with OnDemandHashes does not read hashes on demand")
	}
	opts.Root, opts.ReadOnly, opts.Params.Size = st.Root(), true, int64(size)
	return opts, content, st
}

// readAll reads the store's whole content through ReadAt.
func readAll(s *Store, size int) ([]byte, error) {
	buf := make([]byte, size)
	_, err := s.ReadAt(buf, 0)
	return buf, err
}

// TestOnDemandUnclesMatchMemory: a seed whose hashes are read from its layer file gives,
// for random chunks and peers, the uncles of the same content seeded in memory, the same
// root, and its content.
func TestOnDemandUnclesMatchMemory(t *testing.T) {
	const size, cs = 300_001, 1024
	opts, content, disk := onDemandSeed(t, size, cs)
	defer closeStore(t, disk)
	memOpts := opts
	memOpts.OnDemandHashes, memOpts.Root = false, nil
	memOpts.CheckpointPath = filepath.Join(t.TempDir(), "mem.ckpt")
	mem, err := Seed(context.Background(), memOpts)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore(t, mem)
	if !bytes.Equal(mem.Root(), disk.Root()) || !disk.Complete() || disk.NumChunks() != mem.NumChunks() {
		t.Fatalf("on-demand seed: root %x complete %v, memory root %x", disk.Root(), disk.Complete(), mem.Root())
	}
	r := rand.New(rand.NewPCG(1, 2))
	n := disk.NumChunks()
	for range 500 {
		have := haveSet{}
		for range r.IntN(4) {
			have[uint64(r.IntN(int(n)))] = true
		}
		peer := hashtree.Peer{Have: have}
		if len(have) == 0 {
			peer.Have = nil
		}
		mode := hashtree.Mode(r.IntN(2))
		b := bins.Chunk(uint64(r.IntN(int(n))))
		want, err1 := mem.Uncles(nil, b, mode, peer)
		got, err2 := disk.Uncles(nil, b, mode, peer)
		same := slices.EqualFunc(want, got, func(a, b hashtree.NodeHash) bool { return a.Bin == b.Bin && bytes.Equal(a.Hash, b.Hash) })
		if err1 != nil || err2 != nil || !same {
			t.Fatalf("chunk %v %v: on demand %v (%v), memory %v (%v)", b, mode, got, err2, want, err1)
		}
	}
	got, err := readAll(disk, size)
	if err != nil || !bytes.Equal(got, content) {
		t.Fatalf("reading the on-demand seed: %v", err)
	}
}

// TestOnDemandReopen: a restart opens the seed from its layer file without hashing.
func TestOnDemandReopen(t *testing.T) {
	opts, content, st := onDemandSeed(t, 50_000, 1024)
	closeStore(t, st)
	st, err := Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer closeStore(t, st)
	if got := st.Recovery().From; got != "layers" || !st.OnDemand() || !st.Complete() {
		t.Fatalf("reopened from %q, on demand %v, complete %v", got, st.OnDemand(), st.Complete())
	}
	if got, err := readAll(st, len(content)); err != nil || !bytes.Equal(got, content) {
		t.Fatalf("reading after reopen: %v", err)
	}
}

// TestOnDemandDetectsChangedContent: content changed while the swarm was not open is
// noticed at Open and hashed again: unchanged bytes with a new time are accepted (and the
// layer file renewed); changed or cut bytes make Open fail, so nothing is served.
func TestOnDemandDetectsChangedContent(t *testing.T) {
	t.Run("touch", func(t *testing.T) {
		opts, _, st := onDemandSeed(t, 50_000, 1024)
		closeStore(t, st)
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(opts.ContentPath, later, later); err != nil {
			t.Fatal(err)
		}
		st, err := Open(context.Background(), opts)
		if err != nil {
			t.Fatalf("touched but unchanged content: %v", err)
		}
		if rec := st.Recovery(); rec.From != "rehash" || !errors.Is(rec.CheckpointErr, ErrContentChanged) {
			t.Fatalf("touched content opened from %q (%v), want a rehash for the change", rec.From, rec.CheckpointErr)
		}
		closeStore(t, st)
		st = open(t, opts)
		defer closeStore(t, st)
		if got := st.Recovery().From; got != "layers" {
			t.Fatalf("after the rehash the layer file was not renewed: opened from %q", got)
		}
	})
	t.Run("modify", func(t *testing.T) {
		opts, content, st := onDemandSeed(t, 50_000, 1024)
		closeStore(t, st)
		content[20_000] ^= 0xff
		writeFile(t, opts.ContentPath, content)
		if st, err := Open(context.Background(), opts); !errors.Is(err, ErrContentChanged) {
			if err == nil {
				st.Close()
			}
			t.Fatalf("modified content opened: %v", err)
		}
	})
	t.Run("truncate", func(t *testing.T) {
		opts, _, st := onDemandSeed(t, 50_000, 1024)
		closeStore(t, st)
		if err := os.Truncate(opts.ContentPath, 10_000); err != nil {
			t.Fatal(err)
		}
		if st, err := Open(context.Background(), opts); !errors.Is(err, ErrContentChanged) {
			if err == nil {
				st.Close()
			}
			t.Fatalf("truncated content opened: %v", err)
		}
	})
}

// TestOnDemandChangedWhileOpen: a chunk changed while the seed is open is not served (its
// read fails against the leaf hash), and the layer file is dropped at the checkpoint so the
// next Open hashes the content again.
func TestOnDemandChangedWhileOpen(t *testing.T) {
	opts, _, st := onDemandSeed(t, 50_000, 1024)
	f, err := os.OpenFile(opts.ContentPath, os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte("changed"), 5*1024+3); err != nil {
		t.Fatal(err)
	}
	f.Close()
	buf := make([]byte, 1024)
	if _, err := st.ReadAt(buf, 5*1024); !errors.Is(err, ErrContentChanged) {
		t.Fatalf("changed chunk read: %v", err)
	}
	if st.Servable(5) || st.Complete() {
		t.Fatal("a changed chunk is still servable")
	}
	closeStore(t, st) // checkpoints
	if _, err := os.Stat(opts.ContentPath + CheckpointExt + LayersExt); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("layer file kept after a chunk failed: %v", err)
	}
	if st, err := Open(context.Background(), opts); !errors.Is(err, ErrContentChanged) {
		if err == nil {
			st.Close()
		}
		t.Fatalf("changed content opened: %v", err)
	}
}
