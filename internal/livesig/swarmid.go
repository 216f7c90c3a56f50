package livesig

import (
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rsa"
	"fmt"
)

// Sizes of the DNSKEY public-key fields (RFC 6605 §4, RFC 8080 §3).
const (
	p256KeySize    = 64
	p384KeySize    = 96
	ed25519KeySize = ed25519.PublicKeySize
)

// MaxSwarmIDLen bounds a live swarm ID: the algorithm byte plus an RFC 3110 key with a
// 4-byte exponent and a 4096-bit modulus, the largest RSA key RFC 3110 allows.
const MaxSwarmIDLen = 1 + 3 + 4 + 512

// ParseSwarmID reads a live swarm ID: the algorithm byte, then the public key in DNSKEY
// form (RFC 7574 §6.1). Only the canonical encoding is accepted, so PublicKey.SwarmID gives
// back exactly id: two byte strings never name the same stream.
func ParseSwarmID(id []byte) (*PublicKey, error) {
	if len(id) < 2 {
		return nil, fmt.Errorf("%w: %d bytes, need an algorithm byte and a key", ErrBadSwarmID, len(id))
	}
	if len(id) > MaxSwarmIDLen {
		return nil, fmt.Errorf("%w: %d bytes, at most %d", ErrBadSwarmID, len(id), MaxSwarmIDLen)
	}
	alg, key := Alg(id[0]), id[1:]
	if !alg.Valid() {
		return nil, fmt.Errorf("%w: swarm ID names algorithm %d", ErrUnknownAlgorithm, id[0])
	}
	k, err := parseKeyField(alg, key)
	if err != nil {
		return nil, fmt.Errorf("%v swarm ID: %w", alg, err)
	}
	return newPublicKey(alg, k)
}

// parseKeyField decodes the DNSKEY public-key field of algorithm alg.
func parseKeyField(alg Alg, key []byte) (any, error) {
	switch alg {
	case ECDSAP256SHA256:
		return parseECKey(elliptic.P256(), key, p256KeySize)
	case ECDSAP384SHA384:
		return parseECKey(elliptic.P384(), key, p384KeySize)
	case Ed25519:
		if len(key) != ed25519KeySize {
			return nil, fmt.Errorf("%w: %d-byte Ed25519 key, want %d", ErrBadSwarmID, len(key), ed25519KeySize)
		}
		return ed25519.PublicKey(append([]byte(nil), key...)), nil
	case RSASHA1, RSASHA256:
		return parseRSAKey(key)
	}
	return nil, fmt.Errorf("%w %d", ErrUnknownAlgorithm, uint8(alg))
}

// parseECKey reads RFC 6605's form: X and Y, each as long as the field, with no point
// format byte. The point must lie on the curve.
func parseECKey(curve elliptic.Curve, key []byte, size int) (*ecdsa.PublicKey, error) {
	if len(key) != size {
		return nil, fmt.Errorf("%w: %d-byte %s key, want %d", ErrBadSwarmID, len(key), curve.Params().Name, size)
	}
	point := make([]byte, 1+size)
	point[0] = 4 // uncompressed, the SEC 1 form the DNSKEY field drops
	copy(point[1:], key)
	pub, err := ecdsa.ParseUncompressedPublicKey(curve, point)
	if err != nil {
		return nil, fmt.Errorf("%w: %s key is not a curve point: %v", ErrBadSwarmID, curve.Params().Name, err)
	}
	return pub, nil
}

// keyField encodes a public key as the DNSKEY public-key field of alg.
func keyField(alg Alg, pub any) ([]byte, error) {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		point, err := k.Bytes()
		if err != nil {
			return nil, err
		}
		return point[1:], nil // drop the 0x04 format byte (RFC 6605 §4)
	case ed25519.PublicKey:
		return append([]byte(nil), k...), nil
	case *rsa.PublicKey:
		return appendRSAKey(nil, k), nil
	}
	return nil, fmt.Errorf("%w: %T key for %v", ErrUnknownAlgorithm, pub, alg)
}
