package livesig

import (
	"bytes"
	"errors"
	"testing"
)

// FuzzParseSwarmID parses arbitrary live swarm IDs, as a peer's HANDSHAKE or a user's link
// may carry them. Nothing may panic; a swarm ID that parses must be canonical (encode it
// again and get the same bytes) and must name a key that the codec sizes signatures for
// exactly as the key does; verifying an arbitrary signature with it must fail cleanly.
// Seeds: testdata/fuzz/FuzzParseSwarmID (libswift's ID from the live capture, one key of
// every algorithm, and broken ones).
func FuzzParseSwarmID(f *testing.F) {
	f.Add(mustHex(f, libswiftSwarmID), make([]byte, 64))
	f.Add([]byte{8, 3, 1, 0, 1, 0xc1}, []byte{1})
	f.Fuzz(func(t *testing.T, id, sig []byte) {
		pub, err := ParseSwarmID(id)
		if err != nil {
			if pub != nil {
				t.Fatal("key and error")
			}
			if !errors.Is(err, ErrBadSwarmID) && !errors.Is(err, ErrUnknownAlgorithm) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		if !bytes.Equal(pub.SwarmID(), id) {
			t.Fatalf("not canonical: %x encodes back as %x", id, pub.SwarmID())
		}
		if n := pub.Alg().Wire().SignatureSize(id[1:]); n != pub.SignatureSize() {
			t.Fatalf("codec sizes signatures at %d, key at %d", n, pub.SignatureSize())
		}
		if err := pub.Verify([]byte("fuzz"), sig); err == nil {
			t.Fatalf("arbitrary signature %x verified", sig)
		} else if !errors.Is(err, ErrBadSignature) {
			t.Fatalf("untyped error %v", err)
		}
	})
}
