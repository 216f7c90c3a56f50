package hashtree

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// refHash is §5.1 written as plainly as possible, to check the optimised builder against.
func refHash(hf HashFunc, content []byte, cs int, n uint64, b bins.Bin) []byte {
	if b.BaseLeft() >= n {
		return make([]byte, hf.Size())
	}
	h := hf.New()
	if b.Layer() == 0 {
		h.Write(chunkOf(content, cs, b.BaseLeft()))
	} else {
		h.Write(refHash(hf, content, cs, n, b.Left()))
		h.Write(refHash(hf, content, cs, n, b.Right()))
	}
	return h.Sum(nil)
}

func randomContent(r *rand.Rand, size int) []byte {
	b := make([]byte, size)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return b
}

// TestBuildMatchesReference compares every node of built trees with the plain recursive
// definition, for all hash functions, many chunk counts (powers of two and not, sizes
// with a short last chunk) and both input paths.
func TestBuildMatchesReference(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const cs = 32
	for hf := SHA1; hf <= SHA512; hf++ {
		for _, size := range []int{1, 31, 32, 33, 64, 96, 97, 7 * 32, 255 * 32, 256 * 32, 300*32 + 5, 1025 * 32} {
			content := randomContent(r, size)
			n := chunkCount(int64(size), cs)
			for _, viaReader := range []bool{false, true} {
				var tree *Tree
				var err error
				if viaReader {
					tree, err = BuildFromReaderAt(bytes.NewReader(content), int64(size), cs, hf)
				} else {
					tree, err = Build(content, cs, hf)
				}
				if err != nil {
					t.Fatal(err)
				}
				if tree.NumChunks() != n || !tree.Complete() {
					t.Fatalf("%v size %d: N=%d complete=%v", hf, size, tree.NumChunks(), tree.Complete())
				}
				w := uint64(1) << tree.top
				for b := bins.Bin(0); uint64(b) < 2*w-1; b++ {
					want := refHash(hf, content, cs, n, b)
					got, ok := tree.Hash(b)
					if !ok || !bytes.Equal(got, want) {
						t.Fatalf("%v size %d bin %v: %x %v, want %x", hf, size, b, got, ok, want)
					}
				}
				if !bytes.Equal(tree.Root(), refHash(hf, content, cs, n, tree.RootBin())) {
					t.Fatal("root")
				}
				if _, ok := tree.Hash(bins.New(tree.top+1, 0)); ok {
					t.Fatal("node above the root reported known")
				}
			}
		}
	}
}

type failingReader struct{ limit int64 }

func (f failingReader) ReadAt(p []byte, off int64) (int, error) {
	if off+int64(len(p)) > f.limit {
		return 0, io.ErrUnexpectedEOF
	}
	return len(p), nil
}

func TestBuildErrors(t *testing.T) {
	if _, err := Build(nil, 1024, SHA1); !errors.Is(err, ErrEmptyContent) {
		t.Fatalf("empty: %v", err)
	}
	if _, err := BuildFromReaderAt(failingReader{limit: 5000}, 1<<20, 1024, SHA256); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("short reader: %v", err)
	}
	if _, err := BuildFromReaderAt(bytes.NewReader(make([]byte, 10)), 11, 1024, SHA256); !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Fatalf("reader shorter than size: %v", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := BuildFromReaderAtContext(ctx, failingReader{limit: 1 << 30}, 1<<22, 1024, SHA1); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: %v", err)
	}
	if _, err := Build([]byte{1}, 1024, HashFunc(9)); err == nil {
		t.Fatal("invalid hash function accepted")
	}
	if _, err := Build([]byte{1}, -1, SHA1); err == nil {
		t.Fatal("negative chunk size accepted")
	}
}

func TestHashFunc(t *testing.T) {
	sizes := []int{20, 28, 32, 48, 64}
	for hf := SHA1; hf <= SHA512; hf++ {
		if hf.Size() != sizes[hf] || hf.New().Size() != sizes[hf] {
			t.Fatalf("%v: size %d", hf, hf.Size())
		}
		for _, name := range []string{hf.String(), "SHA-" + hf.String()[3:]} {
			if got, err := ParseHashFunc(name); err != nil || got != hf {
				t.Fatalf("parse %q: %v %v", name, got, err)
			}
		}
		h := hf.New()
		h.Write([]byte("abc"))
		if got := hf.Sum([]byte{7}, []byte("abc")); got[0] != 7 || !bytes.Equal(got[1:], h.Sum(nil)) {
			t.Fatalf("%v: one-shot and streaming differ", hf)
		}
	}
	if _, err := ParseHashFunc("md5"); err == nil {
		t.Fatal("md5 accepted")
	}
	if HashFunc(5).Valid() || HashFunc(5).Size() != 0 {
		t.Fatal("code 5 valid")
	}
}
