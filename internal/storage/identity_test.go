package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// The tests here use 1 KiB chunks (the default) and reads of at least lookMinBytes, the
// reads that look at the file's identity; shorter reads always hash.
const tcs = 1024

// readAll reads the whole content once in reads of lookMinBytes and once in one long read,
// and fails the test on any error or wrong byte.
func (w *swarm) readAll(t testing.TB, s *Store) {
	t.Helper()
	for off := 0; off < len(w.content); off += lookMinBytes {
		want := w.content[off:min(off+lookMinBytes, len(w.content))]
		p := make([]byte, lookMinBytes)
		if n, err := s.ReadAt(p, int64(off)); (err != nil && err != io.EOF) || n != len(want) || !bytes.Equal(p[:n], want) {
			t.Fatalf("read at %d: %d bytes, %v", off, n, err)
		}
	}
	p := make([]byte, len(w.content))
	if n, err := s.ReadAt(p, 0); (err != nil && err != io.EOF) || n != len(p) || !bytes.Equal(p, w.content) {
		t.Fatalf("long read: %d bytes, %v", n, err)
	}
}

// readsPerAll is how many times readAll reads each chunk.
const readsPerAll = 2

// seedStore writes w's content to a file and seeds it: every chunk hashed, so all checked.
func seedStore(t testing.TB, w *swarm) (*Store, Options) {
	t.Helper()
	o := w.opts(t.TempDir(), int64(len(w.content)))
	writeFile(t, o.ContentPath, w.content)
	s, err := Seed(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	s.pathLookEvery = 0 // look at the path on every read, so that tests see a rename at once
	return s, o
}

// changeInPlace flips one byte of chunk c through another file descriptor, as another
// process would, and sets the modification time to mtime.
func changeInPlace(t testing.TB, w *swarm, path string, c uint64, mtime time.Time) {
	t.Helper()
	if err := tryChangeInPlace(w, path, c, mtime); err != nil {
		t.Fatal(err)
	}
}

// tryChangeInPlace is changeInPlace for any goroutine.
func tryChangeInPlace(w *swarm, path string, c uint64, mtime time.Time) error {
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	off := int64(c)*int64(w.cs) + 5
	if _, err := f.WriteAt([]byte{^w.content[off]}, off); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Chtimes(path, mtime, mtime)
}

// TestReadAfterVerifiedWriteDoesNotHash: chunks PutChunk verified and wrote, and chunks
// Seed hashed, are read without hashing again; with the bitmap switched off every chunk
// read is hashed, so the counter does count.
func TestReadAfterVerifiedWriteDoesNotHash(t *testing.T) {
	w := newSwarm(t, 41, 100*tcs+7, tcs, hashtree.SHA256) // 101 chunks
	s := open(t, w.opts(t.TempDir(), int64(len(w.content))))
	defer closeStore(t, s)
	have := haveSet{}
	for i := uint64(0); i < 50; i++ {
		w.put(t, s, i, have, hashtree.ToRoot)
	}
	p := make([]byte, 50*tcs)
	if n, err := s.ReadAt(p, 0); err != nil || !bytes.Equal(p[:n], w.content[:50*tcs]) {
		t.Fatalf("read of the first half: %d %v", n, err)
	}
	// Our own writes (and the truncates at Open) must not count as changes behind our back.
	for i := uint64(50); i < w.n(); i++ {
		w.put(t, s, i, have, hashtree.ToRoot)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	w.readAll(t, s)
	if got := s.hashed.Load(); got != 0 {
		t.Fatalf("%d chunks hashed on reads of chunks we verified and wrote, want 0", got)
	}

	s.hashEveryRead = true
	w.readAll(t, s)
	if got := s.hashed.Load(); got != readsPerAll*w.n() {
		t.Fatalf("hashing every read: %d chunks hashed, want %d", got, readsPerAll*w.n())
	}

	seeded, _ := seedStore(t, w)
	defer closeStore(t, seeded)
	w.readAll(t, seeded)
	if got := seeded.hashed.Load(); got != 0 {
		t.Fatalf("seeded store: %d chunks hashed on reads, want 0", got)
	}
}

// TestCompletedDownloadHashesOncePerChunk: after a restart nothing is checked (the file may
// have changed while we were not running); reading the content twice hashes each chunk
// once.
func TestCompletedDownloadHashesOncePerChunk(t *testing.T) {
	w := newSwarm(t, 42, 300*tcs, tcs, hashtree.SHA1)
	o := w.opts(t.TempDir(), int64(len(w.content)))
	s := open(t, o)
	for i := uint64(0); i < w.n(); i++ {
		w.put(t, s, i, nil, hashtree.ToRoot)
	}
	closeStore(t, s)

	s = open(t, o)
	defer closeStore(t, s)
	if s.Recovery().From != "checkpoint" || !s.Complete() {
		t.Fatalf("reopen: %+v", s.Recovery())
	}
	w.readAll(t, s)
	if got := s.hashed.Load(); got != w.n() {
		t.Fatalf("first reading: %d chunks hashed, want %d (each once)", got, w.n())
	}
	w.readAll(t, s)
	if got := s.hashed.Load(); got != w.n() {
		t.Fatalf("after reading again: %d chunks hashed, want still %d", got, w.n())
	}
}

// TestChangeBehindOurBack: each way of changing the content file makes the next read look,
// hash again and find the change; no read returns a wrong byte.
func TestChangeBehindOurBack(t *testing.T) {
	w := newSwarm(t, 43, 64*tcs, tcs, hashtree.SHA1)
	const bad = 20 // the chunk that is changed
	cases := map[string]struct {
		change  func(t *testing.T, path string)
		wantErr error // of the read of the bad chunk
	}{
		"rewrite with a new mtime": {
			change:  func(t *testing.T, path string) { changeInPlace(t, w, path, bad, time.Now().Add(time.Hour)) },
			wantErr: ErrContentChanged,
		},
		"truncate": {
			change: func(t *testing.T, path string) {
				if err := os.Truncate(path, bad*tcs+10); err != nil {
					t.Fatal(err)
				}
			},
			wantErr: ErrNotVerified,
		},
		"rewrite keeping size and mtime (touch -r)": {
			change: func(t *testing.T, path string) {
				if runtime.GOOS != "linux" {
					t.Skip("only Linux's status change time (ctime) reveals this; see doc.go")
				}
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				changeInPlace(t, w, path, bad, fi.ModTime())
				if after, _ := os.Stat(path); !after.ModTime().Equal(fi.ModTime()) || after.Size() != fi.Size() {
					t.Fatal("the rewrite did not keep size and mtime")
				}
			},
			wantErr: ErrContentChanged,
		},
	}
	for name, c := range cases {
		t.Run(name, func(t *testing.T) {
			s, o := seedStore(t, w)
			defer closeStore(t, s)
			w.readAll(t, s)
			if got := s.hashed.Load(); got != 0 {
				t.Fatalf("%d chunks hashed before the change", got)
			}
			c.change(t, o.ContentPath)
			p := make([]byte, lookMinBytes)
			n, err := s.ReadAt(p, 0)
			if err != nil || !bytes.Equal(p[:n], w.content[:len(p)]) {
				t.Fatalf("first read after the change: %d %v", n, err)
			}
			if got, want := s.hashed.Load(), uint64(len(p)/tcs); got != want {
				t.Fatalf("the read after the change hashed %d chunks, want %d", got, want)
			}
			n, err = s.ReadAt(p, bad*tcs)
			if !errors.Is(err, c.wantErr) || n != 0 {
				t.Fatalf("changed chunk: %d bytes, %v; want %v", n, err, c.wantErr)
			}
			if s.Verified(bad) {
				t.Fatal("the changed chunk is still verified")
			}
			w.checkReads(t, s) // every byte any read returns is right
		})
	}
}

// TestShortReadsHash: a read shorter than lookMinBytes does not look at the file and hashes
// its chunks, checked or not; it returns the right bytes.
func TestShortReadsHash(t *testing.T) {
	w := newSwarm(t, 47, 40*tcs, tcs, hashtree.SHA1)
	s, _ := seedStore(t, w)
	defer closeStore(t, s)
	p := make([]byte, lookMinBytes-1)
	n, err := s.ReadAt(p, 0)
	if err != nil || n != len(p) || !bytes.Equal(p, w.content[:len(p)]) {
		t.Fatalf("short read: %d %v", n, err)
	}
	if got, want := s.hashed.Load(), uint64(lookMinBytes/tcs); got != want {
		t.Fatalf("%d chunks hashed, want %d", got, want)
	}
}

// TestReplacedByRename: once the path names another file, the open file's bytes are still
// served (they are what we verified) but hashed on every read, as before the bitmap.
func TestReplacedByRename(t *testing.T) {
	w := newSwarm(t, 44, 32*tcs, tcs, hashtree.SHA1)
	s, o := seedStore(t, w)
	defer closeStore(t, s)
	w.readAll(t, s)
	if got := s.hashed.Load(); got != 0 {
		t.Fatalf("%d chunks hashed before the rename", got)
	}
	other := bytes.Repeat([]byte{0xAA}, len(w.content))
	writeFile(t, o.ContentPath+".new", other)
	if err := os.Rename(o.ContentPath+".new", o.ContentPath); err != nil {
		t.Fatal(err)
	}
	w.readAll(t, s)
	if got := s.hashed.Load(); got != readsPerAll*w.n() {
		t.Fatalf("after the rename: %d chunks hashed, want %d (every chunk, every read)", got, readsPerAll*w.n())
	}
	w.readAll(t, s)
	if got := s.hashed.Load(); got != 2*readsPerAll*w.n() {
		t.Fatalf("reading again: %d chunks hashed, want %d", got, 2*readsPerAll*w.n())
	}
}

// TestOwnWriteDoesNotHideChange: a change behind our back followed by a write of ours is
// still found: the write looks at the file before it takes the new identity as its own.
func TestOwnWriteDoesNotHideChange(t *testing.T) {
	w := newSwarm(t, 45, 64*tcs, tcs, hashtree.SHA1)
	o := w.opts(t.TempDir(), int64(len(w.content)))
	s := open(t, o)
	defer closeStore(t, s)
	for i := uint64(0); i < 10; i++ {
		w.put(t, s, i, nil, hashtree.ToRoot)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	changeInPlace(t, w, o.ContentPath, 3, time.Now().Add(time.Hour))
	for i := uint64(10); i < 20; i++ {
		w.put(t, s, i, nil, hashtree.ToRoot)
	}
	if err := s.Flush(); err != nil {
		t.Fatal(err)
	}
	p := make([]byte, lookMinBytes)
	if n, err := s.ReadAt(p, 3*tcs); !errors.Is(err, ErrContentChanged) || n != 0 {
		t.Fatalf("chunk changed before our write: %d bytes, %v", n, err)
	}
	w.checkReads(t, s)
}

// TestReadersWhileFileChanges: readers run while another "process" changes chunks in place
// (a new mtime each time). A read that starts after a change was made never returns that
// change's bytes. A read that overlaps a change may (the race between the identity check
// and pread, doc.go); those are counted and logged, not failed. Run with -race.
func TestReadersWhileFileChanges(t *testing.T) {
	w := newSwarm(t, 46, 256*tcs, tcs, hashtree.SHA1)
	s, o := seedStore(t, w)
	defer closeStore(t, s)
	const changes = 40
	changedBy := make([]int, w.n()) // chunk → 1 + index of the change that broke it, or 0
	for j := range changes {
		changedBy[7+j*6] = j + 1
	}
	var (
		done       atomic.Int64 // changes completed
		stop       atomic.Bool
		overlapped atomic.Int64
		wg         sync.WaitGroup
	)
	base := time.Now().Add(time.Hour)
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer stop.Store(true)
		for j := range changes {
			runtime.Gosched()
			if err := tryChangeInPlace(w, o.ContentPath, uint64(7+j*6), base.Add(time.Duration(j)*time.Second)); err != nil {
				t.Error(err)
				return
			}
			done.Store(int64(j + 1))
			for range 3 {
				runtime.Gosched()
			}
		}
	}()
	for r := range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(r), 9))
			p := make([]byte, 40*tcs)
			for reads := 0; reads < 200 || !stop.Load(); reads++ {
				before := done.Load()
				off := rnd.IntN(len(w.content))
				p := p[:1+rnd.IntN(len(p))]
				n, err := s.ReadAt(p, int64(off))
				if err != nil && err != io.EOF && !errors.Is(err, ErrContentChanged) && !errors.Is(err, ErrNotVerified) {
					t.Errorf("read at %d: %v", off, err)
					return
				}
				for i := 0; i < n; i++ {
					if p[i] == w.content[off+i] {
						continue
					}
					j := changedBy[(off+i)/tcs]
					if j == 0 || int64(j) <= before {
						t.Errorf("read at %d started after change %d: wrong byte at %d (chunk %d, changed by %d)", off, before, off+i, (off+i)/tcs, j)
						return
					}
					overlapped.Add(1)
					break
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	// Once the changes are over, every changed chunk is found, and no other is lost.
	w.checkReads(t, s)
	for c := range w.n() {
		if s.Verified(c) == (changedBy[c] != 0) {
			t.Fatalf("chunk %d: verified %v, changed by %d", c, s.Verified(c), changedBy[c])
		}
	}
	t.Logf("%d reads overlapped a change and returned its bytes (the documented race)", overlapped.Load())
}
