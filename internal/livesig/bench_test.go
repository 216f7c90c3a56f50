package livesig

import (
	"testing"

	"github.com/ppsppd/ppsppd/internal/benchcpu"
)

// Raw cost of one signature and one verification per algorithm, over a 40-byte message
// (the size of what RFC 7574 §6.1.2.2 signs for a SHA-1 munro: chunk spec 8, timestamp 8,
// hash 20, rounded up). Under the Unified Merkle Tree this is the cost per munro.
func BenchmarkSign(b *testing.B) {
	msg := make([]byte, 40)
	for _, alg := range Algs {
		b.Run(alg.String(), func(b *testing.B) {
			k := keyFor(b, alg)
			b.ReportAllocs()
			cpu, n := benchcpu.Start(), 0
			for ; b.Loop(); n++ {
				if _, err := k.Sign(msg); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, n)
		})
	}
}

func BenchmarkVerify(b *testing.B) {
	msg := make([]byte, 40)
	for _, alg := range Algs {
		b.Run(alg.String(), func(b *testing.B) {
			k := keyFor(b, alg)
			sig, err := k.Sign(msg)
			if err != nil {
				b.Fatal(err)
			}
			pub, err := ParseSwarmID(k.Public().SwarmID())
			if err != nil {
				b.Fatal(err)
			}
			b.ReportAllocs()
			cpu, n := benchcpu.Start(), 0
			for ; b.Loop(); n++ {
				if err := pub.Verify(msg, sig); err != nil {
					b.Fatal(err)
				}
			}
			reportCPU(b, cpu, n)
		})
	}
}

func BenchmarkParseSwarmID(b *testing.B) {
	for _, alg := range Algs {
		b.Run(alg.String(), func(b *testing.B) {
			id := keyFor(b, alg).Public().SwarmID()
			for b.Loop() {
				if _, err := ParseSwarmID(id); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// reportCPU reports the CPU time per op since m started.
func reportCPU(b *testing.B, m benchcpu.Meter, n int) {
	if perOp, ok := m.PerOp(n); ok {
		b.ReportMetric(perOp, "cpu-ns/op")
	}
}
