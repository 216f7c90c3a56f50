package hashtree

import (
	"bytes"
	"crypto/sha1"
	"fmt"
	"math/rand/v2"
	"runtime"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/benchcpu"
	"github.com/ppsppd/ppsppd/internal/bins"
)

// BenchmarkBuildVsRawSHA1 builds the tree over some content and, in the same run, hashes
// the same bytes as one stream with crypto/sha1 on one core. per-core-ratio = (tree MB/s
// ÷ GOMAXPROCS) ÷ raw MB/s. The tree does about 18 compression blocks per KiB where the
// raw stream does 16 (each leaf's padding block plus one inner node), so ~0.89 is the
// ceiling at perfect scaling. 4 MiB stays in cache and shows compute scaling; 64 MiB
// does not, and on a small VM both sides are then limited by memory bandwidth.
// cpu-efficiency compares MB per CPU-second (getrusage) of both, so it measures the work
// per core even when other processes leave fewer idle cores than GOMAXPROCS.
func BenchmarkBuildVsRawSHA1(b *testing.B) {
	for _, size := range []int{4 << 20, 64 << 20} {
		data := randomContent(rand.New(rand.NewPCG(1, 1)), size)
		for _, src := range []string{"bytes", "readerat"} {
			b.Run(fmt.Sprintf("%dMiB/%s", size>>20, src), func(b *testing.B) {
				var treeTime, rawTime, treeCPU, rawCPU time.Duration
				b.SetBytes(int64(len(data)))
				b.ResetTimer()
				for range b.N {
					start, cpu := time.Now(), cpuTime()
					h := sha1.New()
					h.Write(data)
					h.Sum(nil)
					rawTime += time.Since(start)
					rawCPU += cpuTime() - cpu

					start, cpu = time.Now(), cpuTime()
					var err error
					if src == "bytes" {
						_, err = Build(data, 1024, SHA1)
					} else {
						_, err = BuildFromReaderAt(bytes.NewReader(data), int64(len(data)), 1024, SHA1)
					}
					if err != nil {
						b.Fatal(err)
					}
					treeTime += time.Since(start)
					treeCPU += cpuTime() - cpu
				}
				mb := float64(len(data)*b.N) / 1e6
				treeMBps, rawMBps := mb/treeTime.Seconds(), mb/rawTime.Seconds()
				b.ReportMetric(treeMBps, "tree-MB/s")
				b.ReportMetric(rawMBps, "raw-sha1-MB/s")
				b.ReportMetric(treeMBps/float64(runtime.GOMAXPROCS(0))/rawMBps, "per-core-ratio")
				b.ReportMetric(rawCPU.Seconds()/treeCPU.Seconds(), "cpu-efficiency")
			})
		}
	}
}

// cpuTime is the CPU time this process has used, user and system (0 where not known).
func cpuTime() time.Duration {
	c, _ := benchcpu.Process()
	return c
}

func BenchmarkBuildSHA256(b *testing.B) {
	data := randomContent(rand.New(rand.NewPCG(1, 1)), 16<<20)
	b.SetBytes(int64(len(data)))
	for range b.N {
		if _, err := Build(data, 1024, SHA256); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVerifyChunk verifies one 1 KiB chunk of a 4096-chunk swarm: "cold" climbs all
// 12 uncles to the root (state reset each time), "warm" has the uncles from a neighbour
// already trusted, the common case in a sequential download.
func BenchmarkVerifyChunk(b *testing.B) {
	const cs = 1024
	content := randomContent(rand.New(rand.NewPCG(2, 2)), 4096*cs)
	seeder, _ := Build(content, cs, SHA1)
	for _, warm := range []bool{false, true} {
		name := "cold"
		if warm {
			name = "warm"
		}
		b.Run(name, func(b *testing.B) {
			recv, _ := NewFromRoot(seeder.Root(), Params{Hash: SHA1, ChunkSize: cs, Size: int64(len(content))})
			const c = 2001
			if warm {
				unc, _ := seeder.Uncles(nil, bins.Chunk(c-1), ToRoot, Peer{})
				if err := recv.VerifyChunk(c-1, chunkOf(content, cs, c-1), unc); err != nil {
					b.Fatal(err)
				}
			}
			unc, _ := seeder.Uncles(nil, bins.Chunk(c), ToRoot, Peer{})
			state := append([]uint64(nil), recv.known...)
			data := chunkOf(content, cs, c)
			b.ReportAllocs()
			b.ResetTimer()
			for range b.N {
				copy(recv.known, state)
				if err := recv.VerifyChunk(c, data, unc); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkUncles(b *testing.B) {
	content := randomContent(rand.New(rand.NewPCG(3, 3)), 4096*1024)
	seeder, _ := Build(content, 1024, SHA1)
	buf := make([]NodeHash, 0, 64)
	have := chunkHave{100: true}
	b.ReportAllocs()
	for i := range b.N {
		if _, err := seeder.Uncles(buf[:0], bins.Chunk(uint64(i%4096)), ToRoot, Peer{Have: have, SizeKnown: true}); err != nil {
			b.Fatal(err)
		}
	}
}
