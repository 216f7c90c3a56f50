package hashtree

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"
)

// Build hashes content held in memory into a complete tree, on all cores.
func Build(data []byte, chunkSize int, hf HashFunc) (*Tree, error) {
	return build(context.Background(), sliceSource(data), int64(len(data)), chunkSize, hf)
}

// BuildFromReaderAt hashes size bytes read from r into a complete tree, on all cores.
func BuildFromReaderAt(r io.ReaderAt, size int64, chunkSize int, hf HashFunc) (*Tree, error) {
	return build(context.Background(), readerSource{r}, size, chunkSize, hf)
}

// BuildFromReaderAtContext is BuildFromReaderAt that stops early when ctx ends.
func BuildFromReaderAtContext(ctx context.Context, r io.ReaderAt, size int64, chunkSize int, hf HashFunc) (*Tree, error) {
	return build(ctx, readerSource{r}, size, chunkSize, hf)
}

// source hands a worker the bytes [off, off+n) of the content, using buf if it must copy.
type source interface {
	block(buf []byte, off int64, n int) ([]byte, error)
	needsBuffer() bool
}

type sliceSource []byte

func (s sliceSource) block(_ []byte, off int64, n int) ([]byte, error) {
	return s[off : off+int64(n)], nil
}
func (sliceSource) needsBuffer() bool { return false }

type readerSource struct{ r io.ReaderAt }

func (s readerSource) block(buf []byte, off int64, n int) ([]byte, error) {
	got, err := s.r.ReadAt(buf[:n], off)
	if got == n {
		return buf[:n], nil // io.ReaderAt may report io.EOF along with a full read
	}
	if err == nil || err == io.EOF {
		err = io.ErrUnexpectedEOF
	}
	return nil, fmt.Errorf("hashtree: reading content at %d: %w", off, err)
}
func (readerSource) needsBuffer() bool { return true }

// unitBytes is the amount of content one work unit covers: large enough that scheduling
// costs nothing next to hashing, small enough to balance load across cores.
const unitBytes = 1 << 20

// build hashes leaves in parallel. The work unit is an aligned subtree, so each worker also
// computes the inner nodes inside its unit and only the few nodes above the units are left
// for the final, sequential step.
func build(ctx context.Context, src source, size int64, chunkSize int, hf HashFunc) (*Tree, error) {
	p, err := Params{Hash: hf, ChunkSize: chunkSize, Size: size, MaxChunks: 1 << 40}.normalize()
	if err != nil {
		return nil, err
	}
	if size < 0 {
		return nil, fmt.Errorf("hashtree: build needs the content size, got %d", size)
	}
	n := chunkCount(size, p.ChunkSize)
	t := newTree(p, nil, n)
	cs := int64(p.ChunkSize)

	workers := runtime.GOMAXPROCS(0)
	u := unitLayer(n, p.ChunkSize, workers, t.top)
	width := uint64(1) << u
	units := (n + width - 1) >> u
	workers = int(min(uint64(workers), units))

	var (
		next     atomic.Uint64
		failed   atomic.Bool
		errOnce  sync.Once
		firstErr error
		wg       sync.WaitGroup
	)
	fail := func(err error) {
		errOnce.Do(func() { firstErr = err })
		failed.Store(true)
	}
	for range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			var buf []byte
			if src.needsBuffer() {
				buf = make([]byte, int64(width)*cs)
			}
			for !failed.Load() {
				j := next.Add(1) - 1
				if j >= units {
					return
				}
				if err := ctx.Err(); err != nil {
					fail(err)
					return
				}
				c0 := j << u
				c1 := min(c0+width, n)
				off := int64(c0) * cs
				data, err := src.block(buf, off, int(min(int64(c1)*cs, size)-off))
				if err != nil {
					fail(err)
					return
				}
				t.hashUnit(data, c0, c1, u)
			}
		}()
	}
	wg.Wait()
	if firstErr != nil {
		return nil, firstErr
	}
	for l := u + 1; l <= t.top; l++ {
		t.deriveFilled(l, 0, n>>l)
	}
	t.markAllKnown()
	t.deriveIncomplete()
	rootHash, _ := t.lookup(t.RootBin())
	t.root = append([]byte(nil), rootHash...)
	return t, nil
}

// hashUnit hashes chunks [c0, c1), whose bytes are data, and the filled inner nodes of the
// aligned subtree of 2^u chunks that starts at c0.
func (t *Tree) hashUnit(data []byte, c0, c1 uint64, u uint) {
	cs, hl := t.p.ChunkSize, t.hl
	for c := c0; c < c1; c++ {
		lo := int(c-c0) * cs
		hi := min(lo+cs, len(data))
		s := int(2*c) * hl
		t.p.Hash.sum(t.hashes[s:s+hl], data[lo:hi])
	}
	for l := uint(1); l <= u; l++ {
		k0, k1 := t.filledRange(l, c0, 1<<u)
		t.deriveFilled(l, k0, k1)
	}
}

// unitLayer picks the work unit, 2^u chunks: about unitBytes, but small enough to give each
// worker several units, and no larger than the tree.
func unitLayer(n uint64, chunkSize, workers int, top uint) uint {
	u := uint(0)
	for uint64(chunkSize)<<u < unitBytes && u < 40 {
		u++
	}
	for u > 0 && (n+(1<<u)-1)>>u < uint64(4*workers) {
		u--
	}
	return min(u, top)
}
