package storage

import (
	"bytes"
	"context"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// swarm is test content with its seeder-side tree.
type swarm struct {
	content []byte
	cs      int
	hf      hashtree.HashFunc
	seeder  *hashtree.Tree
}

func newSwarm(t testing.TB, seed uint64, size, cs int, hf hashtree.HashFunc) *swarm {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed))
	content := make([]byte, size)
	for i := range content {
		content[i] = byte(r.Uint32())
	}
	tree, err := hashtree.Build(content, cs, hf)
	if err != nil {
		t.Fatal(err)
	}
	return &swarm{content: content, cs: cs, hf: hf, seeder: tree}
}

func (w *swarm) n() uint64 { return w.seeder.NumChunks() }

func (w *swarm) chunk(i uint64) []byte {
	lo := int(i) * w.cs
	return w.content[lo:min(lo+w.cs, len(w.content))]
}

// opts describes the swarm's files in dir; size -1 leaves the size to be discovered.
func (w *swarm) opts(dir string, size int64) Options {
	o := Options{
		ContentPath: filepath.Join(dir, "content"),
		Root:        w.seeder.Root(),
		Params:      hashtree.Params{Hash: w.hf, ChunkSize: w.cs, Size: size},
	}
	if err := o.fill(); err != nil {
		panic(err)
	}
	return o
}

// haveSet is the chunks a leecher holds, as the seeder learns them from HAVEs.
type haveSet map[uint64]bool

func (h haveSet) HasAny(r bins.ChunkRange) bool {
	for c := range h {
		if r.Contains(c) {
			return true
		}
	}
	return false
}

// put sends chunk i to s the way a seeder would: the uncles s lacks, then the chunk.
func (w *swarm) put(t testing.TB, s *Store, i uint64, have haveSet, mode hashtree.Mode) {
	t.Helper()
	if err := w.send(s, i, have, mode); err != nil {
		t.Fatalf("put chunk %d: %v", i, err)
	}
}

// send is put without the test: safe on any goroutine. have nil means "ask the store".
func (w *swarm) send(s *Store, i uint64, have haveSet, mode hashtree.Mode) error {
	if have == nil {
		have = haveSet{}
		for c := uint64(0); c < w.n(); c++ {
			if s.Verified(c) {
				have[c] = true
			}
		}
	}
	hashes, err := w.seeder.Uncles(nil, bins.Chunk(i), mode, hashtree.Peer{Have: have, SizeKnown: mode == hashtree.ToRoot})
	if err != nil {
		return err
	}
	if s.NumChunks() == 0 {
		np, err := s.AddPeaks(hashes)
		if err != nil {
			return err
		}
		hashes = hashes[np:]
	}
	if err := s.PutChunk(i, w.chunk(i), hashes); err != nil {
		return err
	}
	have[i] = true
	return nil
}

func hexs(b []byte) string { return hex.EncodeToString(b) }

func unhexs(s string) []byte {
	b, err := hex.DecodeString(s)
	if err != nil {
		panic(err)
	}
	return b
}

func open(t testing.TB, o Options) *Store {
	t.Helper()
	s, err := Open(context.Background(), o)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// checkReads reads every chunk, and a spread of unaligned ranges, and fails the test if
// any byte a read returns differs from the true content. It returns the chunks readable.
func (w *swarm) checkReads(t testing.TB, s *Store) int {
	t.Helper()
	readable := 0
	for i := uint64(0); i < w.n(); i++ {
		want := w.chunk(i)
		p := make([]byte, len(want))
		n, err := s.ReadAt(p, int64(i)*int64(w.cs))
		if !bytes.Equal(p[:n], want[:n]) {
			t.Fatalf("chunk %d: read returned wrong bytes", i)
		}
		if err == nil {
			if n != len(want) {
				t.Fatalf("chunk %d: short read %d without error", i, n)
			}
			readable++
		} else if !errors.Is(err, ErrNotVerified) && !errors.Is(err, ErrContentChanged) && err != io.EOF {
			t.Fatalf("chunk %d: unexpected error %v", i, err)
		}
	}
	r := rand.New(rand.NewPCG(uint64(len(w.content)), 7))
	for range 20 {
		off := r.IntN(len(w.content))
		p := make([]byte, 1+r.IntN(3*w.cs))
		n, err := s.ReadAt(p, int64(off))
		if n > len(w.content)-off || !bytes.Equal(p[:n], w.content[off:off+n]) {
			t.Fatalf("read at %d: wrong bytes", off)
		}
		if err == nil && n != len(p) {
			t.Fatalf("read at %d: short read without error", off)
		}
	}
	return readable
}

func writeFile(t testing.TB, path string, data []byte) {
	t.Helper()
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
}

func readFile(t testing.TB, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func closeStore(t testing.TB, s *Store) {
	t.Helper()
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
}
