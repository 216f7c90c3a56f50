package live

import (
	"errors"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

func TestSignAllRoundTrip(t *testing.T) {
	for _, alg := range livesig.Algs {
		t.Run(alg.String(), func(t *testing.T) {
			k := keyFor(t, alg)
			v, err := NewSignAllVerifier(k.Public(), wire.ChunkRange32, DefaultMaxAge, 16)
			if err != nil {
				t.Fatal(err)
			}
			for i := uint64(0); i < 40; i++ {
				s, err := SignChunk(k, wire.ChunkRange32, i, chunk(i, 64), t0.Add(time.Duration(i)*time.Millisecond))
				if err != nil {
					t.Fatal(err)
				}
				if s.Start != i || s.End != i || len(s.Signature) != k.Public().SignatureSize() {
					t.Fatalf("%+v", s)
				}
				if err := v.Verify(s, chunk(i, 64), t0.Add(time.Second)); err != nil {
					t.Fatalf("chunk %d: %v", i, err)
				}
				bad := chunk(i, 64)
				bad[0] ^= 1
				if err := v.Verify(s, bad, t0.Add(time.Second)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("tampered chunk %d: %v", i, err)
				}
				moved := s
				moved.Start, moved.End = i+1, i+1
				if err := v.Verify(moved, chunk(i, 64), t0.Add(time.Second)); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("signature moved to chunk %d: %v", i+1, err)
				}
			}
			if e, ok := v.Edge(); !ok || e != 39 { // moved signatures never verified
				t.Fatalf("edge %d %v", e, ok)
			}
			old, _ := SignChunk(k, wire.ChunkRange32, 3, chunk(3, 64), t0)
			if err := v.Verify(old, chunk(3, 64), t0.Add(time.Second)); !errors.Is(err, ErrOutsideWindow) {
				t.Fatalf("chunk behind the window: %v", err)
			}
			stale, _ := SignChunk(k, wire.ChunkRange32, 100, chunk(100, 64), t0)
			if err := v.Verify(stale, chunk(100, 64), t0.Add(DefaultMaxAge+time.Second)); !errors.Is(err, ErrStale) {
				t.Fatalf("stale new edge: %v", err)
			}
			if err := v.Verify(Signed{Start: 1, End: 2}, nil, t0); !errors.Is(err, ErrBadMunro) {
				t.Fatalf("two-chunk signature: %v", err)
			}
		})
	}
}
