package multifile

import (
	"encoding/hex"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// Root hashes libswift (devel dda307f, built from source with
// shared/interop/build-libswift.sh) printed for `swift -M SPEC FILE... -m` (SHA-1) run in
// the parent of the directory, on files whose byte j is pattern(k, j). Checked 2026-12-01.
func TestRootMatchesLibswift(t *testing.T) {
	media := map[string]int{"media/a.ts": 700001, "media/b/clip.mp4": 1300007, "media/c.txt": 4321}
	odd := map[string]int{"d/s p/x y.bin": 5000, "d/empty": 0, "d/z": 1025}
	cases := []struct {
		name    string
		files   map[string]int
		pattern func(k, j int) byte // k: the file's index in path order
		cs      int
		root    string
	}{
		{"media/1024", media, mediaByte, 1024, "9793be907cf233eedc0253dd5be37608011cc1f3"},
		{"media/8192", media, mediaByte, 8192, "0363eb037ed8dbed3c85bfe357b29399c8d2697c"},
		{"spaces and an empty file", odd, oddByte, 1024, "d43327a158e0c0088ac2a88aa7ddefcb06b5720c"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			parent := t.TempDir()
			s, err := New(sizes(c.files))
			if err != nil {
				t.Fatal(err)
			}
			for k, f := range s.Files() {
				b := make([]byte, f.Size)
				for j := range b {
					b[j] = c.pattern(k, j)
				}
				full := filepath.Join(parent, filepath.FromSlash(f.Path))
				if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
					t.Fatal(err)
				}
				if err := os.WriteFile(full, b, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			dir := filepath.Join(parent, firstComponent(s.Files()[0].Path))
			r, err := OpenDir(dir, ScanOptions{})
			if err != nil {
				t.Fatal(err)
			}
			defer r.Close()
			tree, err := hashtree.BuildFromReaderAtContext(t.Context(), r, r.Size(), c.cs, hashtree.SHA1)
			if err != nil {
				t.Fatal(err)
			}
			if got := hex.EncodeToString(tree.Root()); got != c.root {
				t.Fatalf("root %s, libswift's %s", got, c.root)
			}
		})
	}
}

func mediaByte(k, j int) byte { return byte(j*31 + k*17 + j>>8) }

// oddByte: files in path order d/empty, "d/s p/x y.bin", d/z.
func oddByte(k, j int) byte {
	if k == 1 {
		return byte(j*13 + 5)
	}
	return byte(j * 7)
}

func sizes(m map[string]int) []File {
	var out []File
	for p, n := range m {
		out = append(out, File{Path: p, Size: int64(n)})
	}
	return out
}

func firstComponent(p string) string {
	for i := range len(p) {
		if p[i] == '/' {
			return p[:i]
		}
	}
	return p
}
