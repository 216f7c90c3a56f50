package live

import (
	"sync"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
)

var (
	keysOnce sync.Once
	keys     map[livesig.Alg]*livesig.PrivateKey
	keysErr  error
)

// keyFor returns one key per algorithm for the whole test binary (RSA generation is slow).
func keyFor(t testing.TB, alg livesig.Alg) *livesig.PrivateKey {
	t.Helper()
	keysOnce.Do(func() {
		keys = map[livesig.Alg]*livesig.PrivateKey{}
		for _, a := range livesig.Algs {
			if keys[a], keysErr = livesig.GenerateKey(a, nil); keysErr != nil {
				return
			}
		}
	})
	if keysErr != nil {
		t.Fatal(keysErr)
	}
	return keys[alg]
}

// t0 is a fixed source clock for tests.
var t0 = time.Date(2026, 12, 1, 12, 0, 0, 0, time.UTC)

// chunk is the deterministic content of chunk i.
func chunk(i uint64, size int) []byte {
	b := make([]byte, size)
	for j := range b {
		b[j] = byte(i*31 + uint64(j)*7 + i>>8)
	}
	return b
}

// pair makes a source and a verifier that agree on everything.
func pair(t testing.TB, alg livesig.Alg, form Form, n uint64, w Window) (*Source, *Verifier) {
	t.Helper()
	k := keyFor(t, alg)
	src, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA1, ChunksPerSig: n, Form: form, Addressing: DefaultAddressing, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	pub, err := livesig.ParseSwarmID(k.Public().SwarmID())
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Key: pub, Hash: hashtree.SHA1, Form: form, Addressing: DefaultAddressing, MaxAge: DefaultMaxAge, Window: w})
	if err != nil {
		t.Fatal(err)
	}
	return src, v
}

// feed pushes count chunks into src one millisecond apart and returns the signed munros.
func feed(t testing.TB, src *Source, count int, size int) []SignedMunro {
	t.Helper()
	var out []SignedMunro
	for range count {
		i := src.Next()
		got, sm, err := src.AddChunk(chunk(i, size), t0.Add(time.Duration(i)*time.Millisecond))
		if err != nil || got != i {
			t.Fatalf("AddChunk %d: %d, %v", i, got, err)
		}
		if sm != nil {
			out = append(out, *sm)
		}
	}
	return out
}
