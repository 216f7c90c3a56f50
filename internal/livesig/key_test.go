package livesig

import (
	"bytes"
	"errors"
	"testing"

	"github.com/ppsppd/ppsppd/internal/wire"
)

func TestSignVerifyRoundTrip(t *testing.T) {
	wantSig := map[Alg]int{ECDSAP256SHA256: 64, ECDSAP384SHA384: 96, Ed25519: 64, RSASHA1: DefaultRSABits / 8, RSASHA256: DefaultRSABits / 8}
	wantID := map[Alg]int{ECDSAP256SHA256: 65, ECDSAP384SHA384: 97, Ed25519: 33, RSASHA1: 1 + 1 + 3 + DefaultRSABits/8, RSASHA256: 1 + 1 + 3 + DefaultRSABits/8}
	for _, alg := range Algs {
		t.Run(alg.String(), func(t *testing.T) {
			k := keyFor(t, alg)
			pub := k.Public()
			if pub.Alg() != alg || k.Alg() != alg {
				t.Fatalf("alg %v/%v", pub.Alg(), k.Alg())
			}
			id := pub.SwarmID()
			if len(id) != wantID[alg] || id[0] != byte(alg) {
				t.Fatalf("swarm ID %d bytes, first byte %d", len(id), id[0])
			}
			msg := []byte("munro spec, timestamp and hash")
			sig, err := k.Sign(msg)
			if err != nil {
				t.Fatal(err)
			}
			if len(sig) != wantSig[alg] || pub.SignatureSize() != len(sig) {
				t.Fatalf("signature %d bytes, SignatureSize %d, want %d", len(sig), pub.SignatureSize(), wantSig[alg])
			}
			// The codec sizes SIGNED_INTEGRITY from the swarm ID alone; it must agree.
			if n := alg.Wire().SignatureSize(id[1:]); n != len(sig) {
				t.Fatalf("wire.SigAlg.SignatureSize = %d, signature is %d", n, len(sig))
			}
			parsed, err := ParseSwarmID(id)
			if err != nil {
				t.Fatal(err)
			}
			if !parsed.Equal(pub) || !bytes.Equal(parsed.SwarmID(), id) {
				t.Fatal("swarm ID does not round-trip")
			}
			if err := parsed.Verify(msg, sig); err != nil {
				t.Fatalf("verify with the parsed swarm ID: %v", err)
			}
			// Forgeries: a flipped bit anywhere in the signature, another message, a
			// truncated signature, another key of the same algorithm.
			for _, i := range []int{0, len(sig) / 2, len(sig) - 1} {
				bad := bytes.Clone(sig)
				bad[i] ^= 0x01
				if err := parsed.Verify(msg, bad); !errors.Is(err, ErrBadSignature) {
					t.Fatalf("flipped byte %d: %v", i, err)
				}
			}
			if err := parsed.Verify([]byte("munro spec, timestamp and hasH"), sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("other message: %v", err)
			}
			if err := parsed.Verify(msg, sig[:len(sig)-1]); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("short signature: %v", err)
			}
			if err := parsed.Verify(msg, make([]byte, len(sig))); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("zero signature: %v", err)
			}
			other, err := GenerateKey(alg, nil)
			if err != nil {
				t.Fatal(err)
			}
			if err := other.Public().Verify(msg, sig); !errors.Is(err, ErrBadSignature) {
				t.Fatalf("other key: %v", err)
			}
		})
	}
}

// TestLibswiftSwarmID parses the swarm ID libswift used in the recorded live session.
func TestLibswiftSwarmID(t *testing.T) {
	id := mustHex(t, libswiftSwarmID)
	pub, err := ParseSwarmID(id)
	if err != nil {
		t.Fatal(err)
	}
	if pub.Alg() != ECDSAP256SHA256 || pub.SignatureSize() != 64 || !bytes.Equal(pub.SwarmID(), id) {
		t.Fatalf("%v, %d-byte signatures", pub.Alg(), pub.SignatureSize())
	}
}

func TestParseAlg(t *testing.T) {
	for in, want := range map[string]Alg{
		"ecdsa-p256": ECDSAP256SHA256, "ECDSAP256SHA256": ECDSAP256SHA256, "13": ECDSAP256SHA256,
		"ecdsa-p384": ECDSAP384SHA384, "14": ECDSAP384SHA384, "rsa-sha256": RSASHA256, "8": RSASHA256,
		"rsa-sha1": RSASHA1, "RSASHA1": RSASHA1, "5": RSASHA1, "ed25519": Ed25519, "15": Ed25519,
	} {
		got, err := ParseAlg(in)
		if err != nil || got != want {
			t.Errorf("ParseAlg(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
	for _, in := range []string{"", "dsa", "3", "16", "256", "ecdsa"} {
		if _, err := ParseAlg(in); !errors.Is(err, ErrUnknownAlgorithm) {
			t.Errorf("ParseAlg(%q): %v", in, err)
		}
	}
	for _, a := range Algs {
		if a.Wire() != wire.SigAlg(a) || !a.Valid() {
			t.Errorf("%v", a)
		}
	}
}

func TestGenerateKeyUnknown(t *testing.T) {
	if _, err := GenerateKey(Alg(wire.AlgDSA), nil); !errors.Is(err, ErrUnknownAlgorithm) {
		t.Fatal(err)
	}
}
