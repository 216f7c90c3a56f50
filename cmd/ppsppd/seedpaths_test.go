package main

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"testing"

	"go.uber.org/zap"
	"go.uber.org/zap/zaptest/observer"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/storage"
)

// TestExpandSeedPathsSkipsNonContent: a seed directory's checkpoints, libswift files and
// unfinished downloads are not seeded, and each skipped file is logged with its reason;
// content and finished downloads are seeded.
func TestExpandSeedPathsSkipsNonContent(t *testing.T) {
	dir := t.TempDir()
	write := func(name string, data []byte) {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("movie.bin", []byte("content"))
	write("lib.bin", []byte("libswift's content"))
	write("lib.bin.mhash", make([]byte, 20))
	write("lib.bin.mbinmap", []byte("binmap"))
	write("movie.bin.ppsppd.tmp123456", []byte("torn"))
	// A finished download and one just started, with the checkpoints storage writes.
	for name, done := range map[string]bool{"done.bin": true, "started.bin": false} {
		content := []byte("a finished download's content, long enough for three 16-byte chunks")
		write(name, content)
		ctx := context.Background()
		p := hashtree.Params{Hash: hashtree.SHA1, ChunkSize: 16}
		st, err := storage.Seed(ctx, storage.Options{ContentPath: filepath.Join(dir, name), Params: p})
		if err != nil {
			t.Fatal(err)
		}
		root := st.Root()
		st.Close()
		if !done {
			os.Remove(filepath.Join(dir, name+storage.CheckpointExt))
			write(name, nil) // a download of that swarm, nothing received yet
			p.Size = int64(len(content))
			st, err = storage.Open(ctx, storage.Options{ContentPath: filepath.Join(dir, name), Root: root, Params: p, Force: true})
			if err != nil {
				t.Fatal(err)
			}
			st.Close()
		}
	}

	core, logs := observer.New(zap.InfoLevel)
	got := expandSeedPaths([]string{dir}, zap.New(core))
	for i := range got {
		got[i] = filepath.Base(got[i])
	}
	slices.Sort(got)
	if want := []string{"done.bin", "lib.bin", "movie.bin"}; !slices.Equal(got, want) {
		t.Fatalf("seeding %v, want %v", got, want)
	}
	skipped := map[string]string{}
	for _, e := range logs.FilterMessage("not seeding").All() {
		m := e.ContextMap()
		skipped[filepath.Base(m["file"].(string))] = m["reason"].(string)
	}
	for _, name := range []string{"lib.bin.mhash", "lib.bin.mbinmap", "movie.bin.ppsppd.tmp123456", "done.bin.ppsppd", "started.bin", "started.bin.ppsppd"} {
		if skipped[name] == "" {
			t.Errorf("%s: skipped without a logged reason (log: %v)", name, skipped)
		}
	}
	if len(skipped) != 6 {
		t.Errorf("skipped %v", skipped)
	}
}
