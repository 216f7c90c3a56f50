package storage

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

type zeroReader struct{}

func (zeroReader) ReadAt(p []byte, _ int64) (int, error) {
	clear(p)
	return len(p), nil
}

// BenchmarkCheckpoint1GiB: a complete 1 GiB swarm, 2^20 chunks of 1 KiB, SHA-1. The
// content file is sparse: a checkpoint holds only the bitmap and the hashes. "write" is
// Checkpoint (encode, fsync content, write temp, fsync, rename, fsync dir); "open" is
// Open from that checkpoint (decode, CRC, recompute all inner hashes up to the root).
func BenchmarkCheckpoint1GiB(b *testing.B) {
	const size = 1 << 30
	tree, err := hashtree.BuildFromReaderAt(zeroReader{}, size, 1024, hashtree.SHA1)
	if err != nil {
		b.Fatal(err)
	}
	dir := b.TempDir()
	o := Options{
		ContentPath: filepath.Join(dir, "content"),
		Root:        tree.Root(),
		Params:      hashtree.Params{Hash: hashtree.SHA1, ChunkSize: 1024, Size: size},
	}
	if err := o.fill(); err != nil {
		b.Fatal(err)
	}
	f, err := os.Create(o.ContentPath)
	if err != nil {
		b.Fatal(err)
	}
	if err := f.Truncate(size); err != nil {
		b.Fatal(err)
	}
	st := newState(tree)
	for i := uint64(0); i < tree.NumChunks(); i++ {
		st.verified.set(i)
	}
	s := &Store{opts: o, f: f, tree: tree, verified: st.verified, pending: st.pending, gen: 1}
	defer s.Close()

	b.Run("write", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			if err := s.Checkpoint(); err != nil {
				b.Fatal(err)
			}
		}
		fi, _ := os.Stat(o.CheckpointPath)
		b.ReportMetric(float64(fi.Size())/(1<<20), "MiB/checkpoint")
	})
	b.Run("open", func(b *testing.B) {
		b.ReportAllocs()
		for range b.N {
			s2, err := Open(context.Background(), o)
			if err != nil {
				b.Fatal(err)
			}
			if s2.Recovery().From != "checkpoint" || !s2.Complete() {
				b.Fatalf("%+v", s2.Recovery())
			}
			abandon(s2)
		}
	})
}
