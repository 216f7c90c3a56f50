package live

import (
	"bytes"
	"errors"
	"fmt"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// TestUMTRoundTrip: for every algorithm and both forms, a verifier accepts every munro the
// source signs and every chunk with the uncles the source lists.
func TestUMTRoundTrip(t *testing.T) {
	for _, alg := range livesig.Algs {
		for _, form := range []Form{FormRFC, FormLibswift} {
			t.Run(fmt.Sprintf("%v/%v", alg, form), func(t *testing.T) {
				src, v := pair(t, alg, form, 8, Unlimited)
				munros := feed(t, src, 8*3+5, 100) // three full groups and an unsigned tail
				if len(munros) != 3 {
					t.Fatalf("%d munros", len(munros))
				}
				for g, sm := range munros {
					if sm.Start != uint64(g*8) || sm.End != sm.Start+7 || len(sm.Hash) != 20 || len(sm.Signature) != keyFor(t, alg).Public().SignatureSize() {
						t.Fatalf("munro %+v", sm)
					}
					if form == FormLibswift && form.Time(sm.Timestamp).UnixMicro() != t0.Add(time.Duration(sm.End)*time.Millisecond).UnixMicro() {
						t.Fatalf("timestamp %d", sm.Timestamp)
					}
					if isNew, err := v.AddSignedMunro(sm, t0.Add(time.Second)); err != nil || !isNew {
						t.Fatalf("munro %d-%d: %v %v", sm.Start, sm.End, isNew, err)
					}
					if isNew, err := v.AddSignedMunro(sm, t0.Add(time.Second)); err != nil || isNew {
						t.Fatalf("same munro again: %v %v", isNew, err)
					}
				}
				for i := uint64(0); i < 24; i++ {
					u, err := src.Uncles(i)
					if err != nil || len(u) != 3 {
						t.Fatalf("uncles of %d: %v %v", i, u, err)
					}
					if err := v.VerifyChunk(i, chunk(i, 100), u); err != nil {
						t.Fatalf("chunk %d: %v", i, err)
					}
					if !v.Have(i) {
						t.Fatalf("chunk %d not had", i)
					}
					// A relay can now serve it: same munro, same uncles.
					ru, err := v.Uncles(i)
					if err != nil || len(ru) != len(u) {
						t.Fatalf("relay uncles of %d: %v", i, err)
					}
					for j := range u {
						if u[j].Start != ru[j].Start || !bytes.Equal(u[j].Hash, ru[j].Hash) {
							t.Fatalf("relay uncle %d of chunk %d differs", j, i)
						}
					}
				}
				if _, err := src.Uncles(24); !errors.Is(err, ErrNotReady) {
					t.Fatalf("unsigned tail: %v", err)
				}
				if e, ok := v.Edge(); !ok || e != 23 {
					t.Fatalf("edge %d %v", e, ok)
				}
			})
		}
	}
}

// TestUMTUnclesOnlyOnce: after one chunk verified, its siblings need fewer uncles, as
// libswift sends them (only what the peer lacks).
func TestUMTUnclesOnlyOnce(t *testing.T) {
	src, v := pair(t, livesig.Ed25519, FormRFC, 32, Unlimited)
	sm := feed(t, src, 32, 64)[0]
	if _, err := v.AddSignedMunro(sm, t0); err != nil {
		t.Fatal(err)
	}
	u0, _ := src.Uncles(0)
	if err := v.VerifyChunk(0, chunk(0, 64), u0); err != nil {
		t.Fatal(err)
	}
	// Chunk 1's only uncle is chunk 0's hash, which is now trusted: no candidates needed.
	if err := v.VerifyChunk(1, chunk(1, 64), nil); err != nil {
		t.Fatal(err)
	}
	// Chunk 2 needs (3,3) only: (0,1) is trusted.
	if err := v.VerifyChunk(2, chunk(2, 64), []Node{{Start: 3, End: 3, Hash: hashtree.SHA1.Sum(nil, chunk(3, 64))}}); err != nil {
		t.Fatal(err)
	}
}

func TestUMTRejects(t *testing.T) {
	src, v := pair(t, livesig.ECDSAP256SHA256, FormRFC, 8, Unlimited)
	munros := feed(t, src, 16, 50)
	now := t0.Add(time.Second)
	good := munros[0]
	clone := func(sm SignedMunro) SignedMunro {
		sm.Hash, sm.Signature = bytes.Clone(sm.Hash), bytes.Clone(sm.Signature)
		return sm
	}

	forged := clone(good)
	forged.Signature[5] ^= 1
	wrongHash := clone(good)
	wrongHash.Hash[0] ^= 1
	wrongTime := clone(good)
	wrongTime.Timestamp++ // RFC form signs the timestamp
	moved := clone(good)
	moved.Start, moved.End = 8, 15 // munro 0's signature on munro 1's range
	other := keyFor(t, livesig.ECDSAP384SHA384)
	otherSrc, err := NewSource(SourceConfig{Key: other, Hash: hashtree.SHA1, ChunksPerSig: 8, Addressing: DefaultAddressing})
	if err != nil {
		t.Fatal(err)
	}
	strangers := feed(t, otherSrc, 8, 50)
	for name, c := range map[string]struct {
		sm   SignedMunro
		want error
	}{
		"forged signature":    {forged, ErrBadSignature},
		"hash not signed":     {wrongHash, ErrBadSignature},
		"timestamp changed":   {wrongTime, ErrBadSignature},
		"signature moved":     {moved, ErrBadSignature},
		"another source":      {strangers[0], ErrBadSignature},
		"not a power of two":  {SignedMunro{Signed: Signed{Start: 0, End: 5, Signature: good.Signature}, Hash: good.Hash}, ErrBadMunro},
		"not aligned":         {SignedMunro{Signed: Signed{Start: 4, End: 11, Signature: good.Signature}, Hash: good.Hash}, ErrBadMunro},
		"inverted":            {SignedMunro{Signed: Signed{Start: 9, End: 8}}, ErrBadMunro},
		"one chunk":           {SignedMunro{Signed: Signed{Start: 3, End: 3}, Hash: good.Hash}, ErrBadMunro},
		"short hash":          {SignedMunro{Signed: good.Signed, Hash: good.Hash[:19]}, ErrBadMunro},
		"too wide":            {SignedMunro{Signed: Signed{Start: 0, End: MaxChunksPerSig*2 - 1}, Hash: good.Hash}, ErrBadMunro},
		"huge range overflow": {SignedMunro{Signed: Signed{Start: 0, End: ^uint64(0)}, Hash: good.Hash}, ErrBadMunro},
	} {
		if _, err := v.AddSignedMunro(c.sm, now); !errors.Is(err, c.want) {
			t.Errorf("%s: %v, want %v", name, err, c.want)
		}
	}
	if v.Munros() != 0 {
		t.Fatalf("a rejected munro was kept")
	}

	// A chunk before its munro: refused; the sender must send the munro first.
	u0, _ := src.Uncles(0)
	if err := v.VerifyChunk(0, chunk(0, 50), u0); !errors.Is(err, ErrNoMunro) {
		t.Fatalf("chunk before munro: %v", err)
	}
	if _, err := v.AddSignedMunro(good, now); err != nil {
		t.Fatal(err)
	}
	// Once munros are 8 wide, a 16-wide one is refused even if signed.
	if _, err := v.AddSignedMunro(SignedMunro{Signed: Signed{Start: 0, End: 15}, Hash: good.Hash}, now); !errors.Is(err, ErrBadMunro) {
		t.Fatalf("other width: %v", err)
	}
	// Tampered chunk, wrong uncle, missing uncle, chunk of an unknown munro.
	bad := chunk(0, 50)
	bad[3] ^= 1
	if err := v.VerifyChunk(0, bad, u0); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("tampered chunk: %v", err)
	}
	badUncles := append([]Node(nil), u0...)
	badUncles[0].Hash = bytes.Clone(badUncles[0].Hash)
	badUncles[0].Hash[0] ^= 1
	if err := v.VerifyChunk(0, chunk(0, 50), badUncles); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("bad uncle: %v", err)
	}
	if err := v.VerifyChunk(0, chunk(0, 50), u0[1:]); !errors.Is(err, ErrMissingHash) {
		t.Fatalf("missing uncle: %v", err)
	}
	if err := v.VerifyChunk(0, chunk(1, 50), u0); !errors.Is(err, ErrHashMismatch) {
		t.Fatalf("chunk 1's bytes as chunk 0: %v", err)
	}
	u8, _ := src.Uncles(8)
	if err := v.VerifyChunk(8, chunk(8, 50), u8); !errors.Is(err, ErrNoMunro) {
		t.Fatalf("chunk of munro 1 before munro 1: %v", err)
	}
	// The wrong munro: chunk 8's bytes and uncles checked as chunk 0 fail.
	if err := v.VerifyChunk(0, chunk(8, 50), u8); !errors.Is(err, ErrHashMismatch) && !errors.Is(err, ErrMissingHash) {
		t.Fatalf("chunk 8 against munro 0: %v", err)
	}
	if v.Have(0) {
		t.Fatal("a failed chunk counts as had")
	}
	if err := v.VerifyChunk(0, chunk(0, 50), u0); err != nil {
		t.Fatalf("the real chunk after failures: %v", err)
	}
}

// TestUMTStale: a munro older than MaxAge cannot become the live edge (§6.1.2.4), but an
// old munro behind a fresh edge fills the window.
func TestUMTStale(t *testing.T) {
	src, v := pair(t, livesig.Ed25519, FormLibswift, 4, Unlimited)
	munros := feed(t, src, 12, 10)
	late := t0.Add(DefaultMaxAge + time.Minute)
	if _, err := v.AddSignedMunro(munros[2], late); !errors.Is(err, ErrStale) {
		t.Fatalf("stale edge: %v", err)
	}
	if _, err := v.AddSignedMunro(munros[2], t0.Add(time.Second)); err != nil {
		t.Fatal(err)
	}
	if _, err := v.AddSignedMunro(munros[0], late); err != nil {
		t.Fatalf("old munro behind the edge: %v", err)
	}
}

// TestUMTWindowKeepsMemoryFlat streams many munros through a windowed verifier and source:
// both hold a bounded number of munros, and chunks behind the window are refused.
func TestUMTWindowKeepsMemoryFlat(t *testing.T) {
	const n, w = 8, 64
	src, v := pair(t, livesig.Ed25519, FormRFC, n, w)
	for g := 0; g < 500; g++ {
		sm := feed(t, src, n, 16)[0]
		if _, err := v.AddSignedMunro(sm, t0.Add(time.Duration(sm.End)*time.Millisecond)); err != nil {
			t.Fatal(err)
		}
		u, err := src.Uncles(sm.Start)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.VerifyChunk(sm.Start, chunk(sm.Start, 16), u); err != nil {
			t.Fatal(err)
		}
		if v.Munros() > w/n+1 || len(src.st.munros) > w/n+1 {
			t.Fatalf("after %d munros: verifier holds %d, source %d", g+1, v.Munros(), len(src.st.munros))
		}
	}
	edge, _ := v.Edge()
	if err := v.VerifyChunk(edge-w, chunk(edge-w, 16), nil); !errors.Is(err, ErrOutsideWindow) {
		t.Fatalf("chunk behind the window: %v", err)
	}
	if _, err := src.Uncles(edge - w); !errors.Is(err, ErrOutsideWindow) {
		t.Fatalf("source uncles behind the window: %v", err)
	}
	old, _ := src.SignedMunro(edge - w + 1)
	if old.Start != edge-w+1 {
		t.Fatalf("oldest kept munro %d", old.Start)
	}
	v.Forget(edge - 7)
	if v.Munros() != 1 {
		t.Fatalf("after Forget: %d munros", v.Munros())
	}
}

func TestSourceConfig(t *testing.T) {
	k := keyFor(t, livesig.Ed25519)
	for name, cfg := range map[string]SourceConfig{
		"no key":         {Hash: hashtree.SHA1, Addressing: DefaultAddressing},
		"3 per sig":      {Key: k, Hash: hashtree.SHA1, ChunksPerSig: 3, Addressing: DefaultAddressing},
		"1 per sig":      {Key: k, Hash: hashtree.SHA1, ChunksPerSig: 1, Addressing: DefaultAddressing},
		"bad hash":       {Key: k, Hash: 9, Addressing: DefaultAddressing},
		"byte ranges":    {Key: k, Hash: hashtree.SHA1, Addressing: wire.ByteRange64},
		"window < sig":   {Key: k, Hash: hashtree.SHA1, Addressing: DefaultAddressing, Window: 16},
		"bad addressing": {Key: k, Hash: hashtree.SHA1, Addressing: 9},
	} {
		if _, err := NewSource(cfg); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	src, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA256, Addressing: wire.Bin32})
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := src.AddChunk(nil, t0); err == nil {
		t.Fatal("empty chunk accepted")
	}
}

// TestUMTBinAddressing: under bin addressing FormRFC signs the munro's bin.
func TestUMTBinAddressing(t *testing.T) {
	k := keyFor(t, livesig.Ed25519)
	src, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA256, ChunksPerSig: 4, Addressing: wire.Bin64})
	if err != nil {
		t.Fatal(err)
	}
	sm := feed(t, src, 8, 10)[1]
	if err := VerifyMunroSignature(k.Public(), FormRFC, wire.Bin64, sm); err != nil {
		t.Fatal(err)
	}
	if err := VerifyMunroSignature(k.Public(), FormRFC, wire.ChunkRange64, sm); !errors.Is(err, ErrBadSignature) {
		t.Fatalf("signature checked under other addressing: %v", err)
	}
}

// TestUMTResignedMunro: a second valid signature over another hash for a held range (a
// restarted source) does not replace the trusted hash; a munro behind the window is refused.
func TestUMTResignedMunro(t *testing.T) {
	k := keyFor(t, livesig.ECDSAP256SHA256)
	src1, v := pair(t, livesig.ECDSAP256SHA256, FormLibswift, 4, 8)
	src2, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA1, ChunksPerSig: 4, Form: FormLibswift, Addressing: DefaultAddressing})
	if err != nil {
		t.Fatal(err)
	}
	a := feed(t, src1, 16, 10)
	if _, _, err := src2.AddChunk([]byte("another stream"), t0); err != nil {
		t.Fatal(err)
	}
	b := feed(t, src2, 3, 10)
	if _, err := v.AddSignedMunro(a[0], t0); err != nil {
		t.Fatal(err)
	}
	if _, err := v.AddSignedMunro(b[0], t0); !errors.Is(err, ErrBadMunro) {
		t.Fatalf("re-signed munro: %v", err)
	}
	if sm, _ := v.SignedMunro(0); !bytes.Equal(sm.Hash, a[0].Hash) {
		t.Fatal("trusted hash replaced")
	}
	for _, sm := range a[1:] {
		if _, err := v.AddSignedMunro(sm, t0); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := v.AddSignedMunro(a[0], t0); !errors.Is(err, ErrOutsideWindow) {
		t.Fatalf("munro behind the window: %v", err)
	}
}

// TestSourceFirst: a source resumed at chunk 4096 numbers from there, and a verifier that
// knew nothing before takes its munros and chunks; a first chunk off a munro boundary is
// refused.
func TestSourceFirst(t *testing.T) {
	key := keyFor(t, livesig.Ed25519)
	cfg := SourceConfig{Key: key, Hash: hashtree.SHA1, ChunksPerSig: 8, Addressing: DefaultAddressing, Window: 64, First: 4096}
	src, err := NewSource(cfg)
	if err != nil {
		t.Fatal(err)
	}
	v, err := NewVerifier(VerifierConfig{Key: key.Public(), Hash: hashtree.SHA1, Addressing: DefaultAddressing, Window: 64})
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	var chunks [][]byte
	for k := range 8 {
		data := []byte{byte(k), 1, 2, 3}
		chunks = append(chunks, data)
		i, sm, err := src.AddChunk(data, now)
		if err != nil || i != 4096+uint64(k) {
			t.Fatalf("chunk %d: index %d, %v", k, i, err)
		}
		if sm != nil {
			if _, err := v.AddSignedMunro(*sm, now); err != nil {
				t.Fatal(err)
			}
		}
	}
	for k, data := range chunks {
		i := 4096 + uint64(k)
		u, err := src.Uncles(i)
		if err != nil {
			t.Fatal(err)
		}
		if err := v.VerifyChunk(i, data, u); err != nil {
			t.Fatalf("chunk %d: %v", i, err)
		}
	}
	cfg.First = 4100
	if _, err := NewSource(cfg); err == nil {
		t.Fatal("a first chunk inside a munro was accepted")
	}
}
