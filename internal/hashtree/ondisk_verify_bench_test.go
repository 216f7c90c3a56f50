package hashtree

import (
	"bytes"
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"github.com/ppsppd/ppsppd/internal/bins"
)

// BenchmarkLayersServeInOrder serves a downloader that fetches a 1M-chunk tree on disk in
// order: for every chunk the leaf hash (the read check) and the uncles (ToPeak, a peer
// holding the chunks before), from a freshly opened tree, with and without the page check.
// all-uncles asks every chunk's uncles up to the root (a peer that holds nothing, ToRoot
// style: every high uncle every time). ns/chunk is the cost per chunk served.
func BenchmarkLayersServeInOrder(b *testing.B) {
	const n, cs = 1 << 20, 16
	content := randomContent(rand.New(rand.NewPCG(3, 4)), n*cs)
	f, err := os.Create(filepath.Join(b.TempDir(), "layers"))
	if err != nil {
		b.Fatal(err)
	}
	defer f.Close()
	root, err := WriteLayers(context.Background(), bytes.NewReader(content), int64(len(content)), cs, SHA1, f, 0)
	if err != nil {
		b.Fatal(err)
	}
	for _, full := range []bool{false, true} {
		for _, verify := range []bool{false, true} {
			name := "unchecked"
			if verify {
				name = "checked"
			}
			peerKind := "downloader"
			if full {
				peerKind = "all-uncles"
			}
			b.Run(fmt.Sprintf("%s/%s", peerKind, name), func(b *testing.B) {
				var dst []NodeHash
				b.ResetTimer()
				for range b.N {
					t, err := OpenLayers(root, Params{Hash: SHA1, ChunkSize: cs, Size: int64(len(content))}, f, 0)
					if err != nil {
						b.Fatal(err)
					}
					t.disk.verify = verify
					have := &prefixHave{}
					mode := ToPeak
					if full {
						mode = ToRoot
					}
					for c := range uint64(n) {
						peer := Peer{Have: have, SizeKnown: true}
						if c == 0 || full {
							peer.Have = nil
						}
						if _, ok := t.Hash(bins.Chunk(c)); !ok {
							b.Fatalf("leaf %d", c)
						}
						if dst, err = t.Uncles(dst[:0], bins.Chunk(c), mode, peer); err != nil {
							b.Fatal(err)
						}
						have.n = c + 1
					}
					if t.CorruptPages() != 0 {
						b.Fatal("clean file failed its check")
					}
				}
				b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*n), "ns/chunk")
			})
		}
	}
}
