package storage

import (
	"bytes"
	"context"
	"errors"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

const c1025Root = "706da5efff5fc145dac4361f970b9bd2afc21861"

// libswiftDir lays out a directory as libswift left it after seeding c1025.bin: the content
// and its .mhash (its .mbinmap is not needed).
func libswiftDir(t *testing.T, content, mhash []byte) Options {
	t.Helper()
	dir := t.TempDir()
	o := Options{
		ContentPath: filepath.Join(dir, "c1025.bin"),
		Root:        unhexs(c1025Root),
		Params:      hashtree.Params{Hash: hashtree.SHA1, ChunkSize: 1024, Size: -1},
	}
	writeFile(t, o.ContentPath, content)
	writeFile(t, o.ContentPath+".mhash", mhash)
	return o
}

// TestMhashImport seeds libswift's c1025.bin from its .mhash without hashing the content
// up front: the hashes are checked against the root at Open, the content chunk by chunk
// on first read.
func TestMhashImport(t *testing.T) {
	content := readFile(t, "../../testdata/interop/c1025.bin")
	mhash := readFile(t, "../../testdata/interop/c1025.bin.mhash")
	w := &swarm{content: content, cs: 1024, hf: hashtree.SHA1}
	if tree, err := hashtree.Build(content, 1024, hashtree.SHA1); err == nil {
		w.seeder = tree
	} else {
		t.Fatal(err)
	}

	o := libswiftDir(t, content, mhash)
	s := open(t, o)
	if rec := s.Recovery(); rec.From != "mhash" || s.PendingCount() != 2 || s.VerifiedCount() != 0 {
		t.Fatalf("import: %+v, pending %d", rec, s.PendingCount())
	}
	if size, ok := s.Size(); !ok || size != 1025 {
		t.Fatalf("size %d %v", size, ok)
	}
	p := make([]byte, 1025)
	if n, err := s.ReadAt(p, 0); n != 1025 || err != nil || !bytes.Equal(p, content) {
		t.Fatalf("read: %d %v", n, err)
	}
	if s.VerifiedCount() != 2 || s.PendingCount() != 0 {
		t.Fatal("reads did not promote pending chunks")
	}
	got, err := s.Uncles(nil, 0, hashtree.ToPeak, hashtree.Peer{})
	if err != nil || len(got) != 2 || !bytes.Equal(got[0].Hash, o.Root) {
		t.Fatalf("serving chunk 0 like libswift: %v %v", got, err)
	}
	closeStore(t, s)
	s = open(t, o)
	if s.Recovery().From != "checkpoint" || !s.Complete() {
		t.Fatalf("after import: %+v", s.Recovery())
	}
	closeStore(t, s)

	// Content damaged in chunk 1: chunk 0 still serves; chunk 1 is refused and dropped.
	bad := bytes.Clone(content)
	bad[1024] ^= 0x40
	s = open(t, libswiftDir(t, bad, mhash))
	if n, err := s.VerifyPending(context.Background()); n != 1 || err != nil {
		t.Fatalf("VerifyPending: %d %v", n, err)
	}
	if !s.Verified(0) || s.Verified(1) || w.checkReads(t, s) != 1 {
		t.Fatal("damaged chunk not refused")
	}
	closeStore(t, s)

	// A damaged .mhash is refused; the content then proves itself by rehashing.
	badHash := bytes.Clone(mhash)
	badHash[5] ^= 1
	s = open(t, libswiftDir(t, content, badHash))
	if rec := s.Recovery(); rec.From != "rehash" || !errors.Is(rec.MhashErr, hashtree.ErrCorrupt) || !s.Complete() {
		t.Fatalf("bad .mhash: %+v", rec)
	}
	closeStore(t, s)

	// Both damaged: nothing vouches for the file, so it is not ours to write into; taken
	// over with Force, nothing in it is trusted.
	o = libswiftDir(t, bad, badHash)
	if _, err := Open(context.Background(), o); !errors.Is(err, ErrNotOurs) {
		t.Fatalf("bad .mhash and content, no Force: %v", err)
	}
	o.Force = true
	s = open(t, o)
	if rec := s.Recovery(); rec.From != "empty" || w.checkReads(t, s) != 0 {
		t.Fatalf("bad .mhash and content: %+v", rec)
	}
	closeStore(t, s)
}
