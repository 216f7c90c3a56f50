package storage

import (
	"bytes"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/multifile"
)

// A multi-file source seeds to the root of its concatenated bytes, reopens from its
// checkpoint without hashing, serves the bytes, and never writes the files.
func TestSeedFromMultifileSource(t *testing.T) {
	parent := t.TempDir()
	w := newSwarm(t, 7, 50_000, 1024, hashtree.SHA1)
	files := map[string][]byte{"d/a.bin": w.content[:20_000], "d/sub/b.bin": w.content[20_000:], "d/z": nil}
	for p, b := range files {
		full := filepath.Join(parent, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o444); err != nil {
			t.Fatal(err)
		}
	}
	src, err := multifile.OpenDir(filepath.Join(parent, "d"), multifile.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	all := append(src.Spec().Encode(), w.content...)
	want, err := hashtree.Build(all, 1024, hashtree.SHA1)
	if err != nil {
		t.Fatal(err)
	}
	ckpt := filepath.Join(t.TempDir(), "d.ppsppd")
	opts := Options{ContentPath: filepath.Join(parent, "d"), CheckpointPath: ckpt, Content: src,
		Params: hashtree.Params{Hash: hashtree.SHA1, ChunkSize: 1024}}
	st, err := Seed(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(st.Root(), want.Root()) {
		t.Fatalf("root %x, want %x (the concatenation's)", st.Root(), want.Root())
	}
	if _, err := (sourceFile{src}).WriteAt([]byte("x"), 0); !errors.Is(err, ErrReadOnly) {
		t.Fatalf("write through a source: %v, want ErrReadOnly", err)
	}
	if err := st.Close(); err != nil {
		t.Fatal(err)
	}

	src2, err := multifile.OpenDir(filepath.Join(parent, "d"), multifile.ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	opts.Content, opts.Root = src2, want.Root()
	opts.Params.Size = src2.Size()
	st, err = Open(context.Background(), opts)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	if st.Recovery().From != "checkpoint" || !st.Complete() {
		t.Fatalf("reopened from %q, complete %v", st.Recovery().From, st.Complete())
	}
	got, err := io.ReadAll(io.NewSectionReader(st, 0, int64(len(all))))
	if err != nil || !bytes.Equal(got, all) {
		t.Fatalf("read back: %v, equal %v", err, bytes.Equal(got, all))
	}
	for p, b := range files {
		if got, err := os.ReadFile(filepath.Join(parent, filepath.FromSlash(p))); err != nil || !bytes.Equal(got, b) {
			t.Fatalf("%s changed: %v", p, err)
		}
	}
	if ents, _ := os.ReadDir(filepath.Join(parent, "d")); len(ents) != 3 {
		t.Fatalf("seeding wrote into the directory: %v", ents)
	}
}
