package storage

import (
	"context"
	"os"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// FuzzCheckpoint feeds arbitrary bytes to the checkpoint decoder: never a panic. The seeds
// (a real checkpoint, cut and mangled) also go through Open, which must then read only true
// content; that part is too slow (files, fsync) to run on every fuzzed input.
func FuzzCheckpoint(f *testing.F) {
	w := newSwarm(f, 41, 20*64+5, 64, hashtree.SHA1)
	dir := f.TempDir()
	o := w.opts(dir, int64(len(w.content)))
	writeFile(f, o.ContentPath, w.content)
	s, err := Seed(context.Background(), o)
	if err != nil {
		f.Fatal(err)
	}
	s.Close()
	good, err := os.ReadFile(o.CheckpointPath)
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add(good[:len(good)/2])
	f.Add([]byte("PPSPPDCK"))
	seeds := map[string]bool{string(good): true, string(good[:len(good)/2]): true, "PPSPPDCK": true}
	f.Fuzz(func(t *testing.T, b []byte) {
		_, _ = decodeCheckpoint(b)
		if !seeds[string(b)] {
			return
		}
		d := t.TempDir()
		oo := w.opts(d, int64(len(w.content)))
		writeFile(t, oo.ContentPath, w.content)
		if err := os.WriteFile(oo.CheckpointPath, b, 0o600); err != nil {
			t.Fatal(err)
		}
		st, err := Open(context.Background(), oo)
		if err != nil {
			return
		}
		defer st.Close()
		w.checkReads(t, st)
	})
}
