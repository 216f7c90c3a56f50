package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// c1025Swarm is libswift's c1025.bin with its .mhash, laid out for an on-demand seed.
func c1025Swarm(t *testing.T) (*swarm, Options) {
	t.Helper()
	content := readFile(t, "../../testdata/interop/c1025.bin")
	mhash := readFile(t, "../../testdata/interop/c1025.bin.mhash")
	tree, err := hashtree.Build(content, 1024, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	o := libswiftDir(t, content, mhash)
	o.ReadOnly, o.OnDemandHashes = true, true
	// libswift writes the .mhash after hashing the content: make it so whatever the clock.
	older := time.Now().Add(-time.Hour)
	if err := os.Chtimes(o.ContentPath, older, older); err != nil {
		t.Fatal(err)
	}
	return &swarm{content: content, cs: 1024, hf: hashtree.SHA1, seeder: tree}, o
}

// TestOnDemandAdoptsLibswiftMhash: a seed with hashes on demand and no layer file takes
// libswift's .mhash as its layer file without reading the content; each chunk is hashed
// when first read; the next Open uses the layer file.
func TestOnDemandAdoptsLibswiftMhash(t *testing.T) {
	w, o := c1025Swarm(t)
	s := open(t, o)
	if rec := s.Recovery(); rec.From != "mhash" || !s.OnDemand() {
		t.Fatalf("recovered from %+v, on demand %v", rec, s.OnDemand())
	}
	if got := w.checkReads(t, s); got != int(w.n()) {
		t.Fatalf("%d of %d chunks readable", got, w.n())
	}
	if s.hashed.Load() < w.n() {
		t.Fatalf("%d chunks hashed on read, want every one of %d (never hashed before)", s.hashed.Load(), w.n())
	}
	closeStore(t, s)
	if _, err := os.Stat(o.ContentPath + CheckpointExt + LayersExt); err != nil {
		t.Fatalf("no layer file: %v", err)
	}
	s = open(t, o)
	defer closeStore(t, s)
	if rec := s.Recovery(); rec.From != "layers" {
		t.Fatalf("reopened from %+v", rec)
	}
	w.checkReads(t, s)
}

// TestOnDemandRefusesUnfitMhash: a .mhash older than its content, or whose hashes do not
// lead to the root, is not adopted: the content is hashed instead.
func TestOnDemandRefusesUnfitMhash(t *testing.T) {
	t.Run("stale", func(t *testing.T) {
		w, o := c1025Swarm(t)
		later := time.Now().Add(time.Hour)
		if err := os.Chtimes(o.ContentPath, later, later); err != nil {
			t.Fatal(err)
		}
		s := open(t, o)
		defer closeStore(t, s)
		if rec := s.Recovery(); rec.From != "rehash" || rec.CheckpointErr == nil {
			t.Fatalf("stale .mhash: recovered from %+v", rec)
		}
		w.checkReads(t, s)
	})
	t.Run("corrupt", func(t *testing.T) {
		w, o := c1025Swarm(t)
		o.MhashPath = o.ContentPath + ".mhash"
		raw := readFile(t, o.MhashPath)
		raw[3] ^= 1 // chunk 0's leaf hash
		mi, err := os.Stat(o.MhashPath)
		if err != nil {
			t.Fatal(err)
		}
		writeFile(t, o.MhashPath, raw)
		if err := os.Chtimes(o.MhashPath, mi.ModTime(), mi.ModTime()); err != nil {
			t.Fatal(err)
		}
		s := open(t, o)
		defer closeStore(t, s)
		if rec := s.Recovery(); rec.From != "rehash" {
			t.Fatalf("corrupt .mhash: recovered from %+v", rec)
		}
		w.checkReads(t, s)
	})
}

// TestSaveLayersOfCompletedDownload: a download that completed writes its layer file from
// its tree; the content then opens as an on-demand seed from it without hashing, and a
// change to the content is found and refused.
func TestSaveLayersOfCompletedDownload(t *testing.T) {
	const size, cs = 70_000 + 3, 1024
	w := newSwarm(t, 11, size, cs, hashtree.SHA1)
	o := w.opts(t.TempDir(), size)
	dl := open(t, o)
	have := haveSet{}
	for i := range w.n() {
		w.put(t, dl, i, have, hashtree.ToRoot)
	}
	if err := dl.SaveLayers(); err != nil {
		t.Fatal(err)
	}
	closeStore(t, dl)

	seed := o
	seed.ReadOnly, seed.OnDemandHashes, seed.Params.Size = true, true, size
	s := open(t, seed)
	if rec := s.Recovery(); rec.From != "layers" || !s.OnDemand() {
		t.Fatalf("recovered from %+v", rec)
	}
	w.checkReads(t, s)
	closeStore(t, s)

	changed := bytes.Clone(w.content)
	changed[size/2] ^= 1
	writeFile(t, o.ContentPath, changed)
	if s, err := Open(context.Background(), seed); !errors.Is(err, ErrContentChanged) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("changed content opened: %v", err)
	}
}

// TestSaveLayersRefusesIncomplete: no layer file for a download that lacks chunks.
func TestSaveLayersRefusesIncomplete(t *testing.T) {
	w := newSwarm(t, 12, 10_000, 1024, hashtree.SHA1)
	o := w.opts(t.TempDir(), 10_000)
	dl := open(t, o)
	defer closeStore(t, dl)
	w.put(t, dl, 0, haveSet{}, hashtree.ToRoot)
	if err := dl.SaveLayers(); !errors.Is(err, ErrIncompleteSeed) {
		t.Fatalf("SaveLayers of an incomplete download: %v", err)
	}
	if _, err := os.Stat(o.LayersPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("layer file written: %v", err)
	}
}

// filesSource reads several files one after the other, as a multi-file swarm's reader.
type filesSource struct{ paths []string }

func (f filesSource) Paths() []string { return f.paths }
func (f filesSource) Close() error    { return nil }

func (f filesSource) Size() int64 {
	var n int64
	for _, p := range f.paths {
		if fi, err := os.Stat(p); err == nil {
			n += fi.Size()
		}
	}
	return n
}

func (f filesSource) ReadAt(b []byte, off int64) (int, error) {
	var all []byte
	for _, p := range f.paths {
		raw, err := os.ReadFile(p)
		if err != nil {
			return 0, err
		}
		all = append(all, raw...)
	}
	if off >= int64(len(all)) {
		return 0, io.EOF
	}
	n := copy(b, all[off:])
	if n < len(b) {
		return n, io.EOF
	}
	return n, nil
}

// TestOnDemandFileSource: content of several files keeps its hashes on demand; its layer
// file is used while no file changed, a file touched makes the next Open hash again, and a
// file whose bytes changed makes it fail with ErrContentChanged.
func TestOnDemandFileSource(t *testing.T) {
	dir := t.TempDir()
	w := newSwarm(t, 13, 50_000, 1024, hashtree.SHA1)
	paths := []string{filepath.Join(dir, "a"), filepath.Join(dir, "b")}
	writeFile(t, paths[0], w.content[:20_000])
	writeFile(t, paths[1], w.content[20_000:])
	o := Options{ContentPath: dir, CheckpointPath: filepath.Join(t.TempDir(), "ckpt"), Content: filesSource{paths},
		Params: hashtree.Params{Hash: hashtree.SHA1, ChunkSize: 1024}, OnDemandHashes: true}
	s, err := Seed(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	if !s.OnDemand() || !bytes.Equal(s.Root(), w.seeder.Root()) {
		t.Fatalf("on demand %v, root %x", s.OnDemand(), s.Root())
	}
	closeStore(t, s)
	o.Root, o.Params.Size = w.seeder.Root(), 50_000
	reopen := func() (*Store, error) {
		o.Content = filesSource{paths}
		return Open(context.Background(), o)
	}
	s, err = reopen()
	if err != nil || s.Recovery().From != "layers" {
		t.Fatalf("reopen: %v %+v", err, s.Recovery())
	}
	w.checkReads(t, s)
	closeStore(t, s)

	later := time.Now().Add(time.Hour)
	if err := os.Chtimes(paths[1], later, later); err != nil {
		t.Fatal(err)
	}
	s, err = reopen()
	if err != nil || s.Recovery().From != "rehash" {
		t.Fatalf("touched file: %v %+v", err, s.Recovery())
	}
	w.checkReads(t, s)
	closeStore(t, s)

	changed := bytes.Clone(w.content[20_000:])
	changed[100] ^= 1
	writeFile(t, paths[1], changed)
	if s, err := reopen(); !errors.Is(err, ErrContentChanged) {
		if s != nil {
			s.Close()
		}
		t.Fatalf("changed file opened: %v", err)
	}
}
