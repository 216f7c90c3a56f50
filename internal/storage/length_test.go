package storage

import (
	"bytes"
	"context"
	"errors"
	"os"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// fileLen is the content file's length on disk.
func fileLen(t *testing.T, path string) int64 {
	t.Helper()
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}

// TestOursLongerIsCut: our own download whose file is longer than the content (bytes
// appended behind our back, or a file taken over before the size was known) is cut to the
// content at Open, so a complete download is exactly the content.
func TestOursLongerIsCut(t *testing.T) {
	w := newSwarm(t, 41, 6*64+9, 64, hashtree.SHA1)
	o := finishedDownload(t, w)
	writeFile(t, o.ContentPath, append(bytes.Clone(w.content), bytes.Repeat([]byte("tail"), 100)...))
	s := open(t, o)
	defer closeStore(t, s)
	if s.Recovery().From != "checkpoint" || !s.Complete() {
		t.Fatalf("reopen: %+v, complete %v", s.Recovery(), s.Complete())
	}
	if got := readFile(t, o.ContentPath); !bytes.Equal(got, w.content) {
		t.Fatalf("%d bytes on disk, want exactly the %d-byte content", len(got), len(w.content))
	}
}

// TestSizeLearnedCutsFile: a download that does not know the size takes over a longer file:
// the file is cut to the chunk count once the peaks tell it, and to the exact size once the
// last chunk does; then it is exactly the content.
func TestSizeLearnedCutsFile(t *testing.T) {
	w := newSwarm(t, 42, 12*32+5, 32, hashtree.SHA1) // 13 chunks
	o := w.opts(t.TempDir(), -1)
	o.Force = true
	writeFile(t, o.ContentPath, bytes.Repeat([]byte{0xee}, 40*32))
	s := open(t, o)
	defer closeStore(t, s)
	if got := fileLen(t, o.ContentPath); got != 40*32 {
		t.Fatalf("cut before any bound was known: %d bytes", got)
	}
	have := haveSet{}
	w.put(t, s, 3, have, hashtree.ToPeak) // the peaks come first
	if got := fileLen(t, o.ContentPath); got != 13*32 {
		t.Fatalf("after the peaks: %d bytes, want %d", got, 13*32)
	}
	w.put(t, s, 12, have, hashtree.ToPeak)
	if got := fileLen(t, o.ContentPath); got != int64(len(w.content)) {
		t.Fatalf("after the last chunk: %d bytes, want %d", got, len(w.content))
	}
	for i := range w.n() {
		if !s.Verified(i) {
			w.put(t, s, i, have, hashtree.ToPeak)
		}
	}
	if err := s.Flush(); err != nil || !s.Complete() {
		t.Fatalf("flush %v, complete %v", err, s.Complete())
	}
	if got := readFile(t, o.ContentPath); !bytes.Equal(got, w.content) {
		t.Fatal("not exactly the content")
	}
}

// TestCompleteNeedsExactLength: a complete download whose file is changed behind our back is
// not reported complete while its length differs: bytes written past the end are cut again
// (Complete and Flush), a file cut short is not complete and Flush says why.
func TestCompleteNeedsExactLength(t *testing.T) {
	w := newSwarm(t, 43, 4*64+3, 64, hashtree.SHA1)
	o := w.opts(t.TempDir(), int64(len(w.content)))
	s := open(t, o)
	defer closeStore(t, s)
	for i := range w.n() {
		w.put(t, s, i, nil, hashtree.ToRoot)
	}
	if err := s.Flush(); err != nil || !s.Complete() {
		t.Fatalf("flush %v, complete %v", err, s.Complete())
	}
	appendJunk := func() {
		f, err := os.OpenFile(o.ContentPath, os.O_WRONLY|os.O_APPEND, 0)
		if err != nil {
			t.Fatal(err)
		}
		f.Write([]byte("junk"))
		f.Close()
	}
	appendJunk()
	if !s.Complete() || fileLen(t, o.ContentPath) != int64(len(w.content)) {
		t.Fatalf("Complete with junk appended: %d bytes on disk", fileLen(t, o.ContentPath))
	}
	appendJunk()
	if err := s.Flush(); err != nil || fileLen(t, o.ContentPath) != int64(len(w.content)) {
		t.Fatalf("Flush with junk appended: %v, %d bytes on disk", err, fileLen(t, o.ContentPath))
	}
	if err := os.Truncate(o.ContentPath, int64(len(w.content))-1); err != nil {
		t.Fatal(err)
	}
	if s.Complete() {
		t.Fatal("complete with the last byte missing")
	}
	if err := s.Flush(); !errors.Is(err, ErrContentChanged) {
		t.Fatalf("Flush with the last byte missing: %v", err)
	}
	if s.Err() != nil {
		t.Fatalf("a short file put the store in its error state: %v", s.Err())
	}
}

// TestReadOnlyNeverTouchesFile: a seeded file is never cut, extended, created or written,
// even when it grew since its size was taken (a file still being written, for example).
func TestReadOnlyNeverTouchesFile(t *testing.T) {
	w := newSwarm(t, 44, 5*64+7, 64, hashtree.SHA1)
	grown := append(bytes.Clone(w.content), "still growing"...)

	// Seed, then the file grows.
	dir := t.TempDir()
	o := w.opts(dir, -1)
	writeFile(t, o.ContentPath, w.content)
	s, err := Seed(context.Background(), Options{ContentPath: o.ContentPath, Params: o.Params})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, o.ContentPath, grown)
	if !s.Complete() || s.Flush() != nil {
		t.Fatal("seeded store not complete after its file grew")
	}
	if err := s.PutChunk(0, w.chunk(0), nil); err != nil {
		t.Fatalf("held chunk offered again: %v", err) // a duplicate, ignored
	}
	closeStore(t, s)
	if !bytes.Equal(readFile(t, o.ContentPath), grown) {
		t.Fatal("Seed changed the file")
	}

	// Open read-only with the size taken before the file grew (as a seeder with libswift's
	// .mhash does): not cut, and nothing can be written.
	o2 := w.opts(t.TempDir(), int64(len(w.content)))
	o2.ReadOnly = true
	writeFile(t, o2.ContentPath, grown)
	s = open(t, o2)
	if got := readFile(t, o2.ContentPath); !bytes.Equal(got, grown) {
		t.Fatalf("read-only Open changed the file to %d bytes", len(got))
	}
	if s.Recovery().From != "rehash" || !s.Complete() {
		t.Fatalf("read-only Open of the grown file: %+v", s.Recovery())
	}
	closeStore(t, s)
	if !bytes.Equal(readFile(t, o2.ContentPath), grown) {
		t.Fatal("read-only store changed the file")
	}

	// A read-only Open of content that is not complete is refused (there is nothing to
	// seed), and the file is left as it was.
	o2.ContentPath += ".other"
	o2.CheckpointPath, o2.MhashPath = "", ""
	_ = o2.fill()
	other := bytes.Repeat([]byte{1}, len(w.content))
	writeFile(t, o2.ContentPath, other)
	if _, err := Open(context.Background(), o2); !errors.Is(err, ErrIncompleteSeed) {
		t.Fatalf("read-only Open of foreign content: %v, want ErrIncompleteSeed", err)
	}
	if !bytes.Equal(readFile(t, o2.ContentPath), other) {
		t.Fatal("refused read-only Open changed the file")
	}

	// A read-only Open does not create the file.
	o3 := w.opts(t.TempDir(), int64(len(w.content)))
	o3.ReadOnly = true
	if _, err := Open(context.Background(), o3); err == nil {
		t.Fatal("read-only Open of a missing file succeeded")
	}
	if _, err := os.Stat(o3.ContentPath); !errors.Is(err, os.ErrNotExist) {
		t.Fatal("read-only Open created the file")
	}
}
