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
	"syscall"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// TestDownloadAndReopen is the ordinary life of a leecher: verified chunks only, reads
// only of what is verified, checkpoint, reopen, finish.
func TestDownloadAndReopen(t *testing.T) {
	w := newSwarm(t, 1, 20*64+17, 64, hashtree.SHA256) // 21 chunks
	dir := t.TempDir()
	s := open(t, w.opts(dir, int64(len(w.content))))
	if fi, _ := os.Stat(w.opts(dir, 0).ContentPath); fi.Size() != int64(len(w.content)) {
		t.Fatalf("content file not preallocated: %d bytes", fi.Size())
	}
	if rec := s.Recovery(); rec.From != "empty" || rec.CheckpointErr != nil || rec.MhashErr != nil {
		t.Fatalf("fresh store: %+v", rec)
	}
	have := haveSet{}
	for _, i := range []uint64{3, 4, 5, 20, 0} {
		w.put(t, s, i, have, hashtree.ToRoot)
	}
	if got := w.checkReads(t, s); got != 5 {
		t.Fatalf("%d chunks readable, want 5", got)
	}
	if _, err := s.ReadAt(make([]byte, 10), 7*64); !errors.Is(err, ErrNotVerified) {
		t.Fatalf("unverified read: %v", err)
	}
	// A read across a verified/unverified edge returns the verified prefix.
	p := make([]byte, 100)
	n, err := s.ReadAt(p, 5*64+10)
	if n != 54 || !errors.Is(err, ErrNotVerified) || !bytes.Equal(p[:n], w.content[5*64+10:6*64]) {
		t.Fatalf("edge read: %d %v", n, err)
	}
	if got := s.VerifiedRanges(); len(got) != 3 || got[1] != (bins.ChunkRange{Start: 3, End: 5}) {
		t.Fatalf("ranges %v", got)
	}
	closeStore(t, s)

	s = open(t, w.opts(dir, int64(len(w.content))))
	if rec := s.Recovery(); rec.From != "checkpoint" || rec.Reverified != 0 {
		t.Fatalf("reopen: %+v", rec)
	}
	if s.VerifiedCount() != 5 || !s.Verified(20) || s.Verified(1) {
		t.Fatal("verified set changed across reopen")
	}
	for i := uint64(0); i < w.n(); i++ {
		if !s.Verified(i) {
			w.put(t, s, i, nil, hashtree.ToRoot)
		}
	}
	if !s.Complete() || w.checkReads(t, s) != int(w.n()) {
		t.Fatal("not complete")
	}
	n, err = s.ReadAt(make([]byte, 100), int64(len(w.content))-10)
	if n != 10 || err != io.EOF {
		t.Fatalf("read past the end: %d %v", n, err)
	}
	closeStore(t, s)
	s = open(t, w.opts(dir, int64(len(w.content))))
	defer closeStore(t, s)
	if !s.Complete() || s.Recovery().From != "checkpoint" {
		t.Fatal("complete store not restored")
	}
}

// TestPutChunkRejects: a chunk that does not verify is neither written nor marked.
func TestPutChunkRejects(t *testing.T) {
	w := newSwarm(t, 2, 8*64, 64, hashtree.SHA1)
	dir := t.TempDir()
	s := open(t, w.opts(dir, int64(len(w.content))))
	defer closeStore(t, s)
	unc, _ := w.seeder.Uncles(nil, bins.Chunk(2), hashtree.ToRoot, hashtree.Peer{SizeKnown: true})
	bad := bytes.Clone(w.chunk(2))
	bad[0] ^= 1
	if err := s.PutChunk(2, bad, unc); !errors.Is(err, hashtree.ErrHashMismatch) {
		t.Fatalf("bad chunk: %v", err)
	}
	if err := s.PutChunk(2, w.chunk(2), unc[1:]); !errors.Is(err, hashtree.ErrMissingHash) {
		t.Fatalf("missing uncle: %v", err)
	}
	if err := s.PutChunk(2, w.chunk(2)[:10], unc); !errors.Is(err, hashtree.ErrBadLength) {
		t.Fatalf("short chunk: %v", err)
	}
	if err := s.PutChunk(9, w.chunk(2), unc); !errors.Is(err, hashtree.ErrOutOfRange) {
		t.Fatalf("chunk past the end: %v", err)
	}
	if s.Verified(2) || s.Dirty() {
		t.Fatal("rejected chunk changed the store")
	}
	raw := readFile(t, w.opts(dir, 0).ContentPath)
	if !bytes.Equal(raw[2*64:3*64], make([]byte, 64)) {
		t.Fatal("rejected chunk was written")
	}
	if err := s.PutChunk(2, w.chunk(2), unc); err != nil {
		t.Fatal(err)
	}
	if err := s.PutChunk(2, bad, nil); err != nil {
		t.Fatalf("duplicate of a held chunk: %v", err)
	}
	if w.checkReads(t, s) != 1 {
		t.Fatal("want exactly chunk 2 readable")
	}
}

// TestPutBin stores a DATA message that carries a whole bin: chunks 4–7, then the
// incomplete bin that holds the short last chunk.
func TestPutBin(t *testing.T) {
	w := newSwarm(t, 9, 10*64+5, 64, hashtree.SHA1) // 11 chunks
	s := open(t, w.opts(t.TempDir(), int64(len(w.content))))
	defer closeStore(t, s)
	for _, b := range []bins.Bin{bins.New(2, 1), bins.New(2, 2)} {
		unc, err := w.seeder.Uncles(nil, b, hashtree.ToRoot, hashtree.Peer{SizeKnown: true})
		if err != nil {
			t.Fatal(err)
		}
		lo, hi := int(b.BaseLeft())*64, min(int(b.BaseRight()+1)*64, len(w.content))
		if err := s.PutBin(b, w.content[lo:hi], unc); err != nil {
			t.Fatalf("%v: %v", b, err)
		}
	}
	if got := s.VerifiedRanges(); len(got) != 1 || got[0] != (bins.ChunkRange{Start: 4, End: 10}) {
		t.Fatalf("verified %v", got)
	}
	if w.checkReads(t, s) != 7 {
		t.Fatal("want chunks 4–10 readable")
	}
}

// TestSizeUnknown: a libswift-style leecher learns the chunk count from the peaks and the
// size from the last chunk (RFC 7574 §5.6), and keeps both across a reopen.
func TestSizeUnknown(t *testing.T) {
	w := newSwarm(t, 3, 12*32+5, 32, hashtree.SHA1) // 13 chunks
	dir := t.TempDir()
	s := open(t, w.opts(dir, -1))
	if err := s.PutChunk(0, w.chunk(0), nil); !errors.Is(err, hashtree.ErrSizeUnknown) {
		t.Fatalf("before peaks: %v", err)
	}
	have := haveSet{}
	for _, i := range []uint64{6, 12, 0} {
		w.put(t, s, i, have, hashtree.ToPeak)
	}
	if size, ok := s.Size(); !ok || size != int64(len(w.content)) {
		t.Fatalf("size %d %v", size, ok)
	}
	closeStore(t, s)
	s = open(t, w.opts(dir, -1))
	defer closeStore(t, s)
	if size, ok := s.Size(); !ok || size != int64(len(w.content)) || s.NumChunks() != 13 {
		t.Fatalf("after reopen: size %d %v", size, ok)
	}
	if w.checkReads(t, s) != 3 {
		t.Fatal("want 3 readable chunks")
	}
	for i := uint64(0); i < 13; i++ {
		if !s.Verified(i) {
			w.put(t, s, i, have, hashtree.ToPeak)
		}
	}
	if w.checkReads(t, s) != 13 {
		t.Fatal("not all readable")
	}
}

// TestUncheckpointedWrites: chunks written after the last checkpoint are re-verified at
// Open when their hashes are known, and never assumed good otherwise.
func TestUncheckpointedWrites(t *testing.T) {
	w := newSwarm(t, 4, 16*64, 64, hashtree.SHA1)
	for _, tamper := range []bool{false, true} {
		dir := t.TempDir()
		o := w.opts(dir, int64(len(w.content)))
		s := open(t, o)
		have := haveSet{}
		for i := uint64(0); i < 5; i++ {
			w.put(t, s, i, have, hashtree.ToRoot) // chunk 4's uncles include chunk 5's hash
		}
		if err := s.Checkpoint(); err != nil {
			t.Fatal(err)
		}
		for i := uint64(5); i < 8; i++ {
			w.put(t, s, i, have, hashtree.ToRoot)
		}
		// The writes reach the OS, then the process dies before a checkpoint for chunks 5–7.
		s.mu.Lock()
		if err := s.flushLocked(); err != nil {
			t.Fatal(err)
		}
		s.mu.Unlock()
		s.f.Close()
		if tamper {
			f, _ := os.OpenFile(o.ContentPath, os.O_RDWR, 0)
			f.WriteAt([]byte{^w.content[5*64+9]}, 5*64+9)
			f.Close()
		}
		s = open(t, o)
		rec := s.Recovery()
		if rec.From != "checkpoint" {
			t.Fatalf("recovery %+v", rec)
		}
		wantRe := 1 // chunk 5: its hash came as an uncle of chunk 4
		if tamper {
			wantRe = 0
		}
		if rec.Reverified != wantRe || s.Verified(5) == tamper || s.Verified(6) || s.Verified(7) {
			t.Fatalf("tamper=%v: reverified %d, verified 5/6/7 = %v %v %v", tamper, rec.Reverified, s.Verified(5), s.Verified(6), s.Verified(7))
		}
		w.checkReads(t, s)
		// Once chunk 6 arrives again, its uncle is chunk 7's hash: 7 is then found on disk.
		w.put(t, s, 6, nil, hashtree.ToRoot)
		if ok, err := s.VerifyLocal(7); !ok || err != nil {
			t.Fatalf("VerifyLocal(7): %v %v", ok, err)
		}
		if ok, _ := s.VerifyLocal(9); ok {
			t.Fatal("VerifyLocal(9) without hashes or data")
		}
		w.checkReads(t, s)
		closeStore(t, s)
	}
}

// TestSeedAndLibswiftRoot: Seed hashes a file into the swarm ID libswift computed for it.
func TestSeedAndLibswiftRoot(t *testing.T) {
	for _, c := range []struct {
		file, root string
	}{
		{"c1025.bin", "706da5efff5fc145dac4361f970b9bd2afc21861"},
		{"c8192.bin", "009cf44d803c1fefcf1269392e11d4ee919a32a7"},
	} {
		dir := t.TempDir()
		content := readFile(t, "../../testdata/interop/"+c.file)
		o := Options{ContentPath: dir + "/" + c.file, Params: hashtree.Params{Hash: hashtree.SHA1}}
		writeFile(t, o.ContentPath, content)
		s, err := Seed(context.Background(), o)
		if err != nil {
			t.Fatal(err)
		}
		if got := hexs(s.Root()); got != c.root || !s.Complete() || s.Dirty() {
			t.Fatalf("%s: root %s complete %v", c.file, got, s.Complete())
		}
		closeStore(t, s)
		o.Root = unhexs(c.root)
		o.Params.Size = -1
		s = open(t, o)
		if s.Recovery().From != "checkpoint" || !s.Complete() {
			t.Fatalf("%s: reopen %+v", c.file, s.Recovery())
		}
		w := &swarm{content: content, cs: 1024, hf: hashtree.SHA1, seeder: s.tree}
		if w.checkReads(t, s) != int(s.NumChunks()) {
			t.Fatal("not all readable")
		}
		closeStore(t, s)
	}
	dir := t.TempDir()
	writeFile(t, dir+"/empty", nil)
	if _, err := Seed(context.Background(), Options{ContentPath: dir + "/empty"}); !errors.Is(err, hashtree.ErrEmptyContent) {
		t.Fatalf("empty file: %v", err)
	}
	writeFile(t, dir+"/x", []byte("hello"))
	if _, err := Seed(context.Background(), Options{ContentPath: dir + "/x", Root: make([]byte, 20)}); !errors.Is(err, hashtree.ErrHashMismatch) {
		t.Fatalf("seed with wrong root: %v", err)
	}
}

// TestSparsePreallocation: a known size is reserved with ftruncate, without using blocks.
func TestSparsePreallocation(t *testing.T) {
	w := newSwarm(t, 5, 64, 64, hashtree.SHA1)
	o := w.opts(t.TempDir(), -1)
	o.Params.Size = 64 << 20
	s := open(t, o) // the root does not match this size; only the file matters here
	defer closeStore(t, s)
	fi, err := os.Stat(o.ContentPath)
	if err != nil {
		t.Fatal(err)
	}
	st := fi.Sys().(*syscall.Stat_t)
	if fi.Size() != 64<<20 || st.Blocks*512 > 1<<20 {
		t.Fatalf("size %d, %d bytes allocated", fi.Size(), st.Blocks*512)
	}
}

// TestOpenRejects: bad options fail Open with a clear error and create nothing.
func TestOpenRejects(t *testing.T) {
	w := newSwarm(t, 8, 100, 64, hashtree.SHA1)
	for name, mod := range map[string]func(*Options){
		"zero size":     func(o *Options) { o.Params.Size = 0 },
		"short root":    func(o *Options) { o.Root = o.Root[:19] },
		"bad hash func": func(o *Options) { o.Params.Hash = 7 },
		"no path":       func(o *Options) { o.ContentPath = "" },
	} {
		o := w.opts(t.TempDir(), 100)
		mod(&o)
		if _, err := Open(context.Background(), o); err == nil {
			t.Fatalf("%s: accepted", name)
		}
		if _, err := os.Stat(o.ContentPath); err == nil {
			t.Fatalf("%s: content file created", name)
		}
	}
}

// TestClosed: a closed store refuses everything and closes once.
func TestClosed(t *testing.T) {
	w := newSwarm(t, 6, 4*64, 64, hashtree.SHA1)
	s := open(t, w.opts(t.TempDir(), int64(len(w.content))))
	w.put(t, s, 1, nil, hashtree.ToRoot)
	closeStore(t, s)
	if err := s.Close(); err != nil {
		t.Fatalf("second close: %v", err)
	}
	if _, err := s.ReadAt(make([]byte, 1), 64); !errors.Is(err, ErrClosed) {
		t.Fatalf("read: %v", err)
	}
	if err := s.PutChunk(0, w.chunk(0), nil); !errors.Is(err, ErrClosed) {
		t.Fatalf("put: %v", err)
	}
	if err := s.Checkpoint(); !errors.Is(err, ErrClosed) {
		t.Fatalf("checkpoint: %v", err)
	}
}

// TestConcurrentUse runs a writer, checkpoints and readers at once (meant for -race):
// every byte read must be right. A read may stop early only at a chunk not yet verified
// (ErrNotVerified) or at the end of the content (io.EOF); any other error fails. So that the
// readers do compare bytes while chunks are still being written, the writer waits at each
// checkpoint until the readers have compared more bytes than at the one before.
func TestConcurrentUse(t *testing.T) {
	const chunkSize = 64
	w := newSwarm(t, 7, 200*chunkSize+3, chunkSize, hashtree.SHA1)
	s := open(t, w.opts(t.TempDir(), int64(len(w.content))))
	defer closeStore(t, s)
	var (
		wg              sync.WaitGroup
		compared        atomic.Int64 // bytes read and found equal, by all readers
		comparedWriting atomic.Int64 // of those, bytes compared before the writer finished
	)
	done := make(chan struct{})
	wg.Add(1)
	go func() {
		defer wg.Done()
		defer close(done)
		have := haveSet{}
		for k, i := range rand.New(rand.NewPCG(1, 1)).Perm(int(w.n())) {
			if err := w.send(s, uint64(i), have, hashtree.ToRoot); err != nil {
				t.Error(err)
				return
			}
			if k%50 == 0 {
				if err := s.Checkpoint(); err != nil {
					t.Error(err)
				}
				before := compared.Load()
				for compared.Load() == before && !t.Failed() {
					runtime.Gosched()
				}
			}
		}
	}()
	for r := range 3 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			rnd := rand.New(rand.NewPCG(uint64(r), 2))
			p := make([]byte, 300)
			for {
				writing := true
				select {
				case <-done:
					writing = false
				default:
				}
				off := rnd.IntN(len(w.content))
				n, err := s.ReadAt(p, int64(off))
				switch {
				case err == nil:
					if n != len(p) {
						t.Errorf("read at %d: %d bytes and no error, want %d", off, n, len(p))
						return
					}
				case errors.Is(err, io.EOF):
					if off+n != len(w.content) {
						t.Errorf("read at %d: io.EOF after %d bytes, before the end (%d)", off, n, len(w.content))
						return
					}
				case errors.Is(err, ErrNotVerified):
					if n > 0 && (off+n)%chunkSize != 0 {
						t.Errorf("read at %d: stopped at %d, not at a chunk boundary: %v", off, off+n, err)
						return
					}
				default:
					t.Errorf("read at %d: %v", off, err)
					return
				}
				if !bytes.Equal(p[:n], w.content[off:off+n]) {
					t.Errorf("read at %d: wrong bytes under concurrency", off)
					return
				}
				compared.Add(int64(n))
				if writing {
					comparedWriting.Add(int64(n))
				} else {
					return
				}
			}
		}()
	}
	wg.Wait()
	if t.Failed() {
		return
	}
	if !s.Complete() {
		t.Fatal("not complete")
	}
	if comparedWriting.Load() == 0 {
		t.Fatal("the readers compared no bytes while the writer ran")
	}
	t.Logf("%d bytes compared, %d of them while chunks were being written", compared.Load(), comparedWriting.Load())
}

// TestLongReadFindsChangedChunk: a read of many chunks (one system call, hashes checked per
// chunk) returns the good chunks before one that changed on disk, then the error, and drops
// only that chunk.
func TestLongReadFindsChangedChunk(t *testing.T) {
	w := newSwarm(t, 31, 300*64, 64, hashtree.SHA1)
	dir := t.TempDir()
	o := w.opts(dir, int64(len(w.content)))
	writeFile(t, o.ContentPath, w.content)
	s, err := Seed(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	buf := make([]byte, 200*64)
	if n, err := s.ReadAt(buf, 10*64); err != nil || n != len(buf) || !bytes.Equal(buf, w.content[10*64:210*64]) {
		t.Fatalf("clean long read: %d %v", n, err)
	}
	f, _ := os.OpenFile(o.ContentPath, os.O_RDWR, 0)
	f.WriteAt([]byte{^w.content[150*64+3]}, 150*64+3)
	f.Close()
	n, err := s.ReadAt(buf, 10*64)
	if !errors.Is(err, ErrContentChanged) || n != 140*64 || !bytes.Equal(buf[:n], w.content[10*64:150*64]) {
		t.Fatalf("read over a changed chunk: %d bytes, %v", n, err)
	}
	if s.Verified(150) || !s.Verified(149) || !s.Verified(151) {
		t.Fatal("only the changed chunk should be dropped")
	}
}
