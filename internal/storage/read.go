package storage

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// chunkRef is what reading one chunk needs, copied under the lock so that the read and
// the hashing run without it.
type chunkRef struct {
	off     int64
	length  int
	leaf    [hashtree.MaxHashSize]byte
	pending bool
	epoch   uint64 // the checked bitmap's epoch before the read (identity.go)
	trusted bool   // checked, and the file provably unchanged since: no need to hash
}

func (s *Store) refLocked(c uint64) (chunkRef, error) {
	var ref chunkRef
	if s.closed {
		return ref, ErrClosed
	}
	ref.pending = s.pending.get(c)
	if !ref.pending && !s.verified.get(c) {
		return ref, ErrNotVerified
	}
	if s.wb.holds(c) {
		// Verified but still in the write-behind buffer: write it out, then read it back
		// and hash it like any other chunk.
		if err := s.flushLocked(); err != nil {
			return ref, err
		}
		if !s.verified.get(c) {
			return ref, ErrNotVerified
		}
	}
	l, okLen := s.tree.ChunkLen(c)
	leaf, okLeaf := s.tree.Hash(bins.Chunk(c))
	if !okLen || !okLeaf {
		return ref, ErrNotVerified // cannot happen: both are known for held chunks
	}
	ref.off = int64(c) * int64(s.opts.Params.ChunkSize)
	ref.length = l
	copy(ref.leaf[:], leaf)
	ref.epoch = s.epoch
	return ref, nil
}

// load reads chunk c into buf and, unless it is trusted (checked since the file was last
// seen unchanged), checks it against its leaf hash. A chunk that is missing or wrong on
// disk is marked missing, so it will be fetched again.
func (s *Store) load(c uint64, ref chunkRef, buf []byte) error {
	buf = buf[:ref.length]
	got, err := s.f.ReadAt(buf, ref.off)
	if got < ref.length {
		if err != nil && !errors.Is(err, io.EOF) {
			return s.fail(fmt.Errorf("reading chunk %d: %w", c, err))
		}
		s.forget(c, ref)
		return fmt.Errorf("storage: chunk %d: content file too short: %w", c, ErrNotVerified)
	}
	if ref.trusted {
		return nil
	}
	hf := s.opts.Params.Hash
	var d [hashtree.MaxHashSize]byte
	s.hashed.Add(1)
	if !bytes.Equal(hf.Sum(d[:0], buf), ref.leaf[:hf.Size()]) {
		s.forget(c, ref)
		return fmt.Errorf("storage: chunk %d: %w", c, ErrContentChanged)
	}
	s.mu.Lock()
	if ref.pending && s.pending.get(c) {
		s.pending.unset(c)
		s.verified.set(c)
		s.gen++
	}
	s.markCheckedLocked(c, ref.epoch)
	s.mu.Unlock()
	return nil
}

func (s *Store) forget(c uint64, ref chunkRef) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if ref.pending && s.verified.get(c) {
		return // PutChunk stored a verified copy while we read the old bytes
	}
	if s.verified.get(c) {
		s.gen++ // the checkpoint must stop claiming it
	}
	s.verified.unset(c)
	s.pending.unset(c)
	if s.checked != nil {
		s.checked.unset(c)
	}
}

var chunkPool sync.Pool

func getBuf(n int) *[]byte {
	if b, ok := chunkPool.Get().(*[]byte); ok && cap(*b) >= n {
		return b
	}
	b := make([]byte, n)
	return &b
}

// ReadAt implements io.ReaderAt over the content, for verified chunks only: each chunk
// read is hashed against its leaf hash first, so no byte that fails the check is ever
// returned, unless this process hashed or wrote the chunk since the content file was last
// seen unchanged (checked, identity.go): a read of lookMinBytes or more then looks at the
// file's identity once and, if it still holds, skips the hash (a range of checked chunks is
// one plain pread). A read that reaches an unverified chunk returns
// the bytes before it and an error wrapping ErrNotVerified (or ErrContentChanged).
func (s *Store) ReadAt(p []byte, off int64) (int, error) {
	if off < 0 {
		return 0, fmt.Errorf("storage: negative offset %d", off)
	}
	cs := int64(s.opts.Params.ChunkSize)
	n := 0
	var scratch *[]byte
	defer func() {
		if scratch != nil {
			chunkPool.Put(scratch)
		}
	}()
	// looked: this read looked at the file's identity (one fstat), which it does only
	// once it meets a checked chunk with at least lookMinBytes to go; unchanged is whether
	// the bitmap held up.
	looked, unchanged := false, false
	for n < len(p) {
		pos := off + int64(n)
		if unchanged {
			// Checked chunks from here on are plain file reads.
			if got := s.plainRead(p[n:], pos); got > 0 {
				n += got
				continue
			}
		}
		c := uint64(pos / cs)
		s.mu.Lock()
		size, sizeKnown := s.tree.Size()
		if sizeKnown && pos >= size {
			s.mu.Unlock()
			return n, io.EOF
		}
		ref, err := s.refLocked(c)
		if err == nil && !looked && len(p)-n >= lookMinBytes && s.trustedLocked(c, true) {
			s.mu.Unlock()
			looked, unchanged = true, s.lookAtFile()
			continue // take the chunk again, after the look
		}
		ref.trusted = err == nil && s.trustedLocked(c, unchanged)
		s.mu.Unlock()
		if err != nil {
			return n, fmt.Errorf("storage: reading chunk %d: %w", c, err)
		}
		in := int(pos - ref.off)
		if in == 0 && len(p)-n >= 2*int(cs) && !ref.pending {
			// Whole chunks from here on: read the run with one system call.
			got, err := s.readRun(c, ref, p[n:], unchanged)
			n += got
			if err != nil {
				return n, err
			}
			if got > 0 {
				continue
			}
		}
		direct := in == 0 && len(p)-n >= ref.length
		buf := p[n:]
		if !direct {
			if scratch == nil {
				scratch = getBuf(int(cs))
			}
			buf = *scratch
		}
		if err := s.load(c, ref, buf); err != nil {
			return n, err
		}
		if direct {
			n += ref.length
		} else {
			n += copy(p[n:], buf[in:ref.length])
		}
	}
	return n, nil
}

// lookMinBytes: a read shorter than this hashes its chunks rather than look at the file's
// identity. One fstat costs about as much as hashing this much (measured on a loaded
// 2-core VM: fstat 5–13 µs, SHA-1 about 1 GB/s), so shorter reads gain nothing from it.
const lookMinBytes = 16 << 10

// plainRead reads p at pos with one pread when every chunk it covers (up to the end of the
// content) is checked, and returns the bytes read; 0 when it does not apply or the file is
// short (the chunk by chunk path then finds out which chunk is missing). The caller has
// looked at the file's identity in this read and found it unchanged.
func (s *Store) plainRead(p []byte, pos int64) int {
	cs := int64(s.opts.Params.ChunkSize)
	s.mu.Lock()
	size, known := s.tree.Size()
	end := min(pos+int64(len(p)), size)
	ok := known && end > pos && s.identOK && !s.hashEveryRead && !s.closed &&
		s.checked.allSet(uint64(pos/cs), uint64((end-1)/cs))
	s.mu.Unlock()
	if !ok {
		return 0
	}
	want := int(end - pos)
	got, _ := s.f.ReadAt(p[:want], pos)
	if got < want {
		return 0
	}
	return got
}

// verifyPending checks all pending chunks on all cores and returns how many verified.
func (s *Store) verifyPending(ctx context.Context) (int, error) {
	s.mu.Lock()
	var todo []uint64
	for c := uint64(0); c < s.tree.NumChunks(); c++ {
		if s.pending.get(c) {
			todo = append(todo, c)
		}
	}
	s.mu.Unlock()
	if len(todo) == 0 {
		return 0, nil
	}
	var (
		next, ok atomic.Int64
		wg       sync.WaitGroup
	)
	workers := min(runtime.GOMAXPROCS(0), len(todo))
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			buf := make([]byte, s.opts.Params.ChunkSize)
			for ctx.Err() == nil && s.Err() == nil {
				j := next.Add(1) - 1
				if j >= int64(len(todo)) {
					return
				}
				c := todo[j]
				s.mu.Lock()
				ref, err := s.refLocked(c)
				s.mu.Unlock()
				if err != nil || !ref.pending {
					continue // verified or dropped meanwhile
				}
				if s.load(c, ref, buf) == nil {
					ok.Add(1)
				}
			}
		}()
	}
	wg.Wait()
	if err := s.Err(); err != nil {
		return int(ok.Load()), err
	}
	return int(ok.Load()), ctx.Err()
}

// maxRun bounds how many chunks readRun takes at once.
const maxRun = 256

// readRun reads the verified chunks c, c+1, … that fit whole in p with one pread, then
// checks each that is not trusted against its leaf hash (on two goroutines for long runs),
// so a long read costs one system call, not one per chunk. unchanged says the read found
// the file's identity unchanged (identity.go). It returns the bytes of the chunks that
// verified, in order, up to the first that did not (and that chunk's error).
func (s *Store) readRun(c uint64, first chunkRef, p []byte, unchanged bool) (int, error) {
	refs := []chunkRef{first}
	total := first.length
	s.mu.Lock()
	for len(refs) < maxRun && first.length == s.opts.Params.ChunkSize {
		next := c + uint64(len(refs))
		if next >= s.tree.NumChunks() || s.pending.get(next) || !s.verified.get(next) || s.wb.holds(next) {
			break
		}
		ref, err := s.refLocked(next)
		if err != nil || total+ref.length > len(p) {
			break
		}
		ref.trusted = s.trustedLocked(next, unchanged)
		refs = append(refs, ref)
		total += ref.length
	}
	s.mu.Unlock()
	if len(refs) < 2 {
		return 0, nil // the caller reads the single chunk
	}
	got, err := s.f.ReadAt(p[:total], first.off)
	if got < total {
		if err != nil && !errors.Is(err, io.EOF) {
			return 0, s.fail(fmt.Errorf("reading chunks %d-%d: %w", c, c+uint64(len(refs))-1, err))
		}
		return 0, nil // short file: fall back to chunk by chunk, which marks what is missing
	}
	bad := s.checkRun(p, refs)
	good := len(refs)
	if bad >= 0 {
		good = bad
	}
	s.mu.Lock()
	for i, ref := range refs[:good] {
		if !ref.trusted {
			s.markCheckedLocked(c+uint64(i), ref.epoch)
		}
	}
	s.mu.Unlock()
	n := 0
	for _, ref := range refs[:good] {
		n += ref.length
	}
	if bad >= 0 {
		s.forget(c+uint64(bad), refs[bad])
		return n, fmt.Errorf("storage: chunk %d: %w", c+uint64(bad), ErrContentChanged)
	}
	return n, nil
}

// checkRun hashes the chunks of a run read into p that are not trusted and returns the
// index of the first that does not match its leaf hash, or -1.
func (s *Store) checkRun(p []byte, refs []chunkRef) int {
	hf := s.opts.Params.Hash
	toHash := 0
	for _, r := range refs {
		if !r.trusted {
			toHash++
		}
	}
	if toHash == 0 {
		return -1
	}
	s.hashed.Add(uint64(toHash))
	check := func(from, to int, off int) int {
		var d [hashtree.MaxHashSize]byte
		for i := from; i < to; i++ {
			if !refs[i].trusted && !bytes.Equal(hf.Sum(d[:0], p[off:off+refs[i].length]), refs[i].leaf[:hf.Size()]) {
				return i
			}
			off += refs[i].length
		}
		return -1
	}
	if toHash < 32 {
		return check(0, len(refs), 0)
	}
	half := len(refs) / 2
	off := 0
	for _, r := range refs[:half] {
		off += r.length
	}
	second := make(chan int, 1)
	go func() { second <- check(half, len(refs), off) }()
	firstBad := check(0, half, 0)
	secondBad := <-second
	if firstBad >= 0 {
		return firstBad
	}
	return secondBad
}
