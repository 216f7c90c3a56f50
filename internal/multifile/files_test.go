package multifile

import (
	"bytes"
	"context"
	"errors"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// makeTree writes files (spec path -> size) of random bytes under root and returns them.
func makeTree(t *testing.T, root string, sizes map[string]int) map[string][]byte {
	t.Helper()
	rng := rand.New(rand.NewPCG(1, 2))
	out := map[string][]byte{}
	for p, n := range sizes {
		b := make([]byte, n)
		for i := range b {
			b[i] = byte(rng.Uint32())
		}
		full := filepath.Join(root, filepath.FromSlash(p))
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, b, 0o644); err != nil {
			t.Fatal(err)
		}
		out[p] = b
	}
	return out
}

// concat is the swarm's bytes built the obvious way: spec, then files in path order.
func concat(s *Spec, data map[string][]byte) []byte {
	b := s.Encode()
	for _, f := range s.Files() {
		b = append(b, data[f.Path]...)
	}
	return b
}

func TestScanAndReaderLayOutSpecThenFiles(t *testing.T) {
	parent := t.TempDir()
	data := makeTree(t, parent, map[string]int{"media/a.ts": 7001, "media/b/clip.mp4": 13007, "media/c.txt": 431, "media/empty": 0})
	if err := os.Symlink("/etc/passwd", filepath.Join(parent, "media", "link")); err != nil {
		t.Fatal(err)
	}
	r, err := OpenDir(filepath.Join(parent, "media"), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	var paths []string
	for _, f := range r.Spec().Files() {
		paths = append(paths, f.Path)
	}
	if want := []string{"media/a.ts", "media/b/clip.mp4", "media/c.txt", "media/empty"}; !equal(paths, want) {
		t.Fatalf("paths %v, want %v (the symlink left out)", paths, want)
	}
	want := concat(r.Spec(), data)
	if r.Size() != int64(len(want)) {
		t.Fatalf("size %d, want %d", r.Size(), len(want))
	}
	got, err := io.ReadAll(io.NewSectionReader(r, 0, r.Size()))
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("read all: %v, equal %v", err, bytes.Equal(got, want))
	}
	// Reads at every boundary and across several files.
	for _, off := range []int64{0, 1, r.Spec().Len() - 1, r.Spec().Len(), 7000 + r.Spec().Len(), int64(len(want)) - 5} {
		buf := make([]byte, 9000)
		n, err := r.ReadAt(buf, off)
		end := min(off+9000, int64(len(want)))
		if n != int(end-off) || !bytes.Equal(buf[:n], want[off:end]) {
			t.Fatalf("ReadAt %d: %d bytes, %v", off, n, err)
		}
		if end < off+9000 && err != io.EOF {
			t.Fatalf("ReadAt %d past the end: err %v, want EOF", off, err)
		}
	}
}

func TestReaderFailsOnChangedFile(t *testing.T) {
	parent := t.TempDir()
	makeTree(t, parent, map[string]int{"d/a": 100, "d/b": 100})
	r, err := OpenDir(filepath.Join(parent, "d"), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := os.WriteFile(filepath.Join(parent, "d", "b"), []byte("short"), 0o644); err != nil {
		t.Fatal(err)
	}
	f, _ := r.Spec().Lookup("d/b")
	if _, err := r.ReadAt(make([]byte, 10), f.Offset); err == nil {
		t.Fatal("read a file that changed size")
	}
}

func TestScanSkipAndEmpty(t *testing.T) {
	parent := t.TempDir()
	makeTree(t, parent, map[string]int{"d/a": 10, "d/a.ppsppd": 10})
	r, err := OpenDir(filepath.Join(parent, "d"), ScanOptions{Skip: func(p string) bool { return filepath.Ext(p) == ".ppsppd" }})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if n := len(r.Spec().Files()); n != 1 {
		t.Fatalf("%d files, want 1", n)
	}
	if err := os.Mkdir(filepath.Join(parent, "empty"), 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := OpenDir(filepath.Join(parent, "empty"), ScanOptions{}); err == nil {
		t.Fatal("an empty directory made a swarm")
	}
}

func TestMaterializeWritesFiles(t *testing.T) {
	parent := t.TempDir()
	data := makeTree(t, parent, map[string]int{"m/a": 3000, "m/x/y/b": 5000, "m/z": 0})
	r, err := OpenDir(filepath.Join(parent, "m"), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	swarm := concat(r.Spec(), data)
	dest := t.TempDir()
	if err := Materialize(context.Background(), bytes.NewReader(swarm), r.Spec(), dest); err != nil {
		t.Fatal(err)
	}
	for p, want := range data {
		got, err := os.ReadFile(filepath.Join(dest, filepath.FromSlash(p)))
		if err != nil || !bytes.Equal(got, want) {
			t.Fatalf("%s: %v, equal %v", p, err, bytes.Equal(got, want))
		}
	}
	// Again (a restart after a crash): the files there are the same, so it succeeds.
	if err := Materialize(context.Background(), bytes.NewReader(swarm), r.Spec(), dest); err != nil {
		t.Fatalf("second write-out: %v", err)
	}
	// A file with other bytes where a path goes is left alone.
	other := filepath.Join(dest, "m", "x", "y", "b")
	if err := os.WriteFile(other, []byte("the user's own file"), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := Materialize(context.Background(), bytes.NewReader(swarm), r.Spec(), dest); !errors.Is(err, ErrFileExists) {
		t.Fatalf("over a different file: %v, want ErrFileExists", err)
	}
	if got, _ := os.ReadFile(other); string(got) != "the user's own file" {
		t.Fatal("a different file was overwritten")
	}
}

func TestMaterializeRefusesSymlinks(t *testing.T) {
	outside := t.TempDir()
	spec, err := New([]File{{Path: "m/sub/f", Size: 4}})
	if err != nil {
		t.Fatal(err)
	}
	swarm := append(spec.Encode(), "data"...)
	for name, plant := range map[string]func(dest string) error{
		"directory link": func(dest string) error { return os.Symlink(outside, filepath.Join(dest, "m")) },
		"nested link": func(dest string) error {
			os.Mkdir(filepath.Join(dest, "m"), 0o755)
			return os.Symlink(outside, filepath.Join(dest, "m", "sub"))
		},
		"file link": func(dest string) error {
			os.MkdirAll(filepath.Join(dest, "m", "sub"), 0o755)
			return os.Symlink(filepath.Join(outside, "victim"), filepath.Join(dest, "m", "sub", "f"))
		},
		"dir in place of file": func(dest string) error { return os.MkdirAll(filepath.Join(dest, "m", "sub", "f"), 0o755) },
	} {
		dest := t.TempDir()
		if err := plant(dest); err != nil {
			t.Fatal(err)
		}
		err := Materialize(context.Background(), bytes.NewReader(swarm), spec, dest)
		if !errors.Is(err, ErrUnsafePath) {
			t.Errorf("%s: %v, want ErrUnsafePath", name, err)
		}
		if ents, _ := os.ReadDir(outside); len(ents) != 0 {
			t.Fatalf("%s: wrote outside the destination: %v", name, ents)
		}
	}
}

func TestReadSpecFromShortReads(t *testing.T) {
	parent := t.TempDir()
	data := makeTree(t, parent, map[string]int{"m/a": 300, "m/b": 10})
	r, err := OpenDir(filepath.Join(parent, "m"), ScanOptions{})
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	swarm := concat(r.Spec(), data)
	s, err := ReadSpec(oneByte{bytes.NewReader(swarm)}, int64(len(swarm)))
	if err != nil || !bytes.Equal(s.Encode(), r.Spec().Encode()) {
		t.Fatalf("ReadSpec: %v", err)
	}
	if _, err := ReadSpec(bytes.NewReader(swarm[:len(swarm)-1]), int64(len(swarm)-1)); !errors.Is(err, ErrBadSpec) {
		t.Fatalf("spec naming more bytes than the content: %v", err)
	}
	if _, err := ReadSpec(bytes.NewReader([]byte("plain content")), 13); !errors.Is(err, ErrNotMultifile) {
		t.Fatalf("single file: %v", err)
	}
}

// oneByte returns at most one byte per ReadAt, as a swarm reader may.
type oneByte struct{ r io.ReaderAt }

func (o oneByte) ReadAt(p []byte, off int64) (int, error) {
	if len(p) > 1 {
		p = p[:1]
	}
	return o.r.ReadAt(p, off)
}

func equal(a, b []string) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}
