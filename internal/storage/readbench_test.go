package storage

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

// BenchmarkReadAtComplete: reads of a complete 256 MiB swarm (1 KiB chunks, SHA-1, the
// defaults) as a seeder serves it, from the page cache, in sequence. "hash-every-read" is
// the behaviour before the checked bitmap (every chunk hashed on every read);
// "checked" skips the hash of chunks checked since the file was last seen unchanged, at
// the cost of one fstat per read.
func BenchmarkReadAtComplete(b *testing.B) {
	const size = 256 << 20
	path := filepath.Join(b.TempDir(), "content")
	content := make([]byte, size)
	rand.NewChaCha8([32]byte{1}).Read(content)
	if err := os.WriteFile(path, content, 0o644); err != nil {
		b.Fatal(err)
	}
	content = nil
	s, err := Seed(context.Background(), Options{ContentPath: path, Params: hashtree.Params{Hash: hashtree.SHA1}})
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	for _, readSize := range []int{1 << 10, 64 << 10, 1 << 20} {
		for _, mode := range []string{"hash-every-read", "checked"} {
			b.Run(fmt.Sprintf("%s/%dKiB", mode, readSize>>10), func(b *testing.B) {
				s.hashEveryRead = mode == "hash-every-read"
				p := make([]byte, readSize)
				b.SetBytes(int64(readSize))
				b.ReportAllocs()
				off := int64(0)
				for range b.N {
					if _, err := s.ReadAt(p, off); err != nil {
						b.Fatal(err)
					}
					if off += int64(readSize); off >= size {
						off = 0
					}
				}
			})
		}
	}
}
