package live

import (
	"bytes"
	"encoding/binary"
	"errors"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
	"github.com/ppsppd/ppsppd/internal/livesig"
)

// FuzzVerifier feeds a verifier arbitrary signed munros, chunks and uncle hashes, as peers
// may send them, after the real first munro of a stream. Nothing may panic, and a chunk may
// be accepted only if it is the real one.
//
// Each munro is offered in both forms.
//
// Input layout: 8-byte munro start, 8-byte munro end, then the munro hash (20 bytes) and
// a 64-byte signature; 8-byte chunk index; 1-byte uncle count, uncles as 8-byte start,
// 8-byte end, 20-byte hash; the rest is the chunk.
func FuzzVerifier(f *testing.F) {
	const n, size = 8, 32
	k := keyFor(f, livesig.Ed25519)
	src, err := NewSource(SourceConfig{Key: k, Hash: hashtree.SHA1, ChunksPerSig: n, Form: FormLibswift, Addressing: DefaultAddressing})
	if err != nil {
		f.Fatal(err)
	}
	munros := feed(f, src, 2*n, size)
	encode := func(sm SignedMunro, i uint64, uncles []Node, data []byte) []byte {
		var b []byte
		b = binary.BigEndian.AppendUint64(b, sm.Start)
		b = binary.BigEndian.AppendUint64(b, sm.End)
		b = append(append(b, sm.Hash...), sm.Signature...)
		b = binary.BigEndian.AppendUint64(b, i)
		b = append(b, byte(len(uncles)))
		for _, u := range uncles {
			b = binary.BigEndian.AppendUint64(b, u.Start)
			b = binary.BigEndian.AppendUint64(b, u.End)
			b = append(b, u.Hash...)
		}
		return append(b, data...)
	}
	for _, i := range []uint64{0, 5, 9, 15} {
		u, _ := src.Uncles(i)
		f.Add(encode(munros[i/n], i, u, chunk(i, size)))
	}
	f.Add(encode(munros[1], 3, nil, nil))
	f.Fuzz(func(t *testing.T, in []byte) {
		v, err := NewVerifier(VerifierConfig{Key: k.Public(), Hash: hashtree.SHA1, Form: FormLibswift, Addressing: DefaultAddressing, Window: 64})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := v.AddSignedMunro(munros[0], t0); err != nil {
			t.Fatal(err)
		}
		if len(in) < 16+20+64+8+1 {
			return
		}
		sm := SignedMunro{Signed: Signed{Start: binary.BigEndian.Uint64(in), End: binary.BigEndian.Uint64(in[8:]), Signature: in[36:100]}, Hash: in[16:36]}
		for _, form := range []Form{FormLibswift, FormRFC} {
			if _, err := v.AddSignedMunroAs(sm, form, t0); err != nil && !errors.Is(err, ErrBadMunro) && !errors.Is(err, ErrBadSignature) && !errors.Is(err, ErrOutsideWindow) {
				t.Fatalf("untyped munro error in %v form: %v", form, err)
			}
		}
		i := binary.BigEndian.Uint64(in[100:])
		count, rest := int(in[108]), in[109:]
		var uncles []Node
		for ; count > 0 && len(rest) >= 36; count-- {
			uncles = append(uncles, Node{Start: binary.BigEndian.Uint64(rest), End: binary.BigEndian.Uint64(rest[8:]), Hash: rest[16:36]})
			rest = rest[36:]
		}
		err = v.VerifyChunk(i, rest, uncles)
		if err == nil && (i >= 2*n || !bytes.Equal(rest, chunk(i, size))) {
			t.Fatalf("accepted a false chunk %d (%d bytes)", i, len(rest))
		}
		if err == nil {
			if _, err := v.Uncles(i); err != nil {
				t.Fatalf("verified chunk %d has no uncles to relay: %v", i, err)
			}
		}
	})
}
