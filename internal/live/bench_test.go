package live

import (
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/benchcpu"
	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// Benchmarks of source and receiver CPU per chunk for each integrity method and signature
// algorithm, with 1024-byte chunks and libswift's 32 chunks per munro. Besides ns/op (wall
// time per chunk) each reports, from the process's CPU time (getrusage):
//   - cpu-ns/chunk: CPU time per chunk;
//   - cpu-us/s/Mbps: CPU microseconds per second of a 1 Mbit/s stream, i.e. cpu-ns/chunk
//     times the 122 chunks such a stream carries per second, divided by 1000. Divided by
//     1e6 it is the fraction of one core a 1 Mbit/s stream costs.

const benchChunk = 1024

// chunksPerMbit is the chunks per second of a 1 Mbit/s stream of benchChunk-byte chunks.
const chunksPerMbit = 1e6 / 8 / benchChunk

// reportCPU reports the CPU time per chunk since m started, and per second of a 1 Mbit/s
// stream.
func reportCPU(b *testing.B, m benchcpu.Meter, n int) {
	if perChunk, ok := m.PerOp(n); ok {
		b.ReportMetric(perChunk, "cpu-ns/chunk")
		b.ReportMetric(perChunk*chunksPerMbit/1e3, "cpu-us/s/Mbps")
	}
}

// BenchmarkUMTSource: per chunk, hash it; per 32 chunks, build the munro and sign it.
func BenchmarkUMTSource(b *testing.B) {
	for _, alg := range livesig.Algs {
		b.Run(alg.String(), func(b *testing.B) {
			src, err := NewSource(SourceConfig{Key: keyFor(b, alg), Hash: hashtree.SHA1, ChunksPerSig: DefaultChunksPerSig, Addressing: DefaultAddressing, Window: 4096})
			if err != nil {
				b.Fatal(err)
			}
			data := chunk(1, benchChunk)
			b.SetBytes(benchChunk)
			b.ReportAllocs()
			cpu, n := benchcpu.Start(), 0
			for ; b.Loop(); n++ {
				if _, _, err := src.AddChunk(data, t0.Add(time.Duration(n)*time.Millisecond)); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, n)
		})
	}
}

// BenchmarkUMTVerify: per chunk, verify it against its munro with its uncles; per 32
// chunks, verify the munro's signature. The chunks' uncles are prepared outside the timer.
func BenchmarkUMTVerify(b *testing.B) {
	for _, alg := range livesig.Algs {
		b.Run(alg.String(), func(b *testing.B) {
			const groups = 64
			src, err := NewSource(SourceConfig{Key: keyFor(b, alg), Hash: hashtree.SHA1, Addressing: DefaultAddressing})
			if err != nil {
				b.Fatal(err)
			}
			var munros []SignedMunro
			var uncles [][]Node
			for g := 0; g < groups; g++ {
				for k := 0; k < DefaultChunksPerSig; k++ {
					i := src.Next()
					if _, sm, err := src.AddChunk(chunk(i, benchChunk), t0); err != nil {
						b.Fatal(err)
					} else if sm != nil {
						munros = append(munros, *sm)
					}
				}
			}
			for i := uint64(0); i < groups*DefaultChunksPerSig; i++ {
				u, err := src.Uncles(i)
				if err != nil {
					b.Fatal(err)
				}
				uncles = append(uncles, u)
			}
			data := make([][]byte, groups*DefaultChunksPerSig)
			for i := range data {
				data[i] = chunk(uint64(i), benchChunk)
			}
			b.SetBytes(benchChunk)
			b.ReportAllocs()
			var v *Verifier
			cpu, n := benchcpu.Start(), 0
			for ; b.Loop(); n++ {
				i := uint64(n % len(data))
				if i == 0 {
					// a fresh verifier per pass, so every munro is checked again
					v, err = NewVerifier(VerifierConfig{Key: keyFor(b, alg).Public(), Hash: hashtree.SHA1, Addressing: DefaultAddressing})
					if err != nil {
						b.Fatal(err)
					}
				}
				if i%DefaultChunksPerSig == 0 {
					if _, err := v.AddSignedMunro(munros[i/DefaultChunksPerSig], t0); err != nil {
						b.Fatal(err)
					}
				}
				if err := v.VerifyChunk(i, data[i], uncles[i]); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, n)
		})
	}
}

// BenchmarkSignAllSource: one signature per chunk.
func BenchmarkSignAllSource(b *testing.B) {
	for _, alg := range livesig.Algs {
		b.Run(alg.String(), func(b *testing.B) {
			k := keyFor(b, alg)
			data := chunk(1, benchChunk)
			b.SetBytes(benchChunk)
			b.ReportAllocs()
			cpu, n := benchcpu.Start(), 0
			for ; b.Loop(); n++ {
				if _, err := SignChunk(k, wire.ChunkRange32, uint64(n), data, t0); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, n)
		})
	}
}

// BenchmarkSignAllVerify: one signature check per chunk.
func BenchmarkSignAllVerify(b *testing.B) {
	for _, alg := range livesig.Algs {
		b.Run(alg.String(), func(b *testing.B) {
			k := keyFor(b, alg)
			const count = 256
			sigs := make([]Signed, count)
			data := make([][]byte, count)
			for i := range sigs {
				data[i] = chunk(uint64(i), benchChunk)
				s, err := SignChunk(k, wire.ChunkRange32, uint64(i), data[i], t0)
				if err != nil {
					b.Fatal(err)
				}
				sigs[i] = s
			}
			v, err := NewSignAllVerifier(k.Public(), wire.ChunkRange32, 0, Unlimited)
			if err != nil {
				b.Fatal(err)
			}
			b.SetBytes(benchChunk)
			b.ReportAllocs()
			cpu, n := benchcpu.Start(), 0
			for ; b.Loop(); n++ {
				if err := v.Verify(sigs[n%count], data[n%count], t0); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, n)
		})
	}
}
