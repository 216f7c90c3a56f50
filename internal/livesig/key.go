package livesig

import (
	"bytes"
	"crypto"
	"crypto/ecdsa"
	"crypto/ed25519"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/rsa"
	"fmt"
	"io"
	"math/big"
)

// PublicKey verifies a live injector's signatures. It is immutable and safe for concurrent
// use.
type PublicKey struct {
	alg     Alg
	key     any // *ecdsa.PublicKey, ed25519.PublicKey or *rsa.PublicKey
	swarmID []byte
	sigSize int
}

// PrivateKey signs as a live injector. It is safe for concurrent use.
type PrivateKey struct {
	pub    *PublicKey
	signer crypto.Signer
}

func newPublicKey(alg Alg, key any) (*PublicKey, error) {
	field, err := keyField(alg, key)
	if err != nil {
		return nil, err
	}
	p := &PublicKey{alg: alg, key: key, swarmID: append([]byte{byte(alg)}, field...)}
	switch k := key.(type) {
	case *ecdsa.PublicKey:
		p.sigSize = 2 * coordSize(k.Curve)
	case ed25519.PublicKey:
		p.sigSize = ed25519.SignatureSize
	case *rsa.PublicKey:
		p.sigSize = k.Size()
	}
	return p, nil
}

func coordSize(c elliptic.Curve) int { return (c.Params().BitSize + 7) / 8 }

// Alg is the key's signature algorithm.
func (p *PublicKey) Alg() Alg { return p.alg }

// SwarmID is the live swarm ID this key names: the algorithm byte, then the key in DNSKEY
// form (RFC 7574 §6.1). The caller must not modify it.
func (p *PublicKey) SwarmID() []byte { return p.swarmID }

// SignatureSize is the length of every signature this key verifies, as SIGNED_INTEGRITY
// carries it (RFC 7574 §8.9). It equals wire.SigAlg.SignatureSize of the swarm ID's key.
func (p *PublicKey) SignatureSize() int { return p.sigSize }

// Equal reports whether q is the same key.
func (p *PublicKey) Equal(q *PublicKey) bool {
	return q != nil && p.alg == q.alg && bytes.Equal(p.swarmID, q.swarmID)
}

// Verify checks sig, in DNSSEC RRSIG form, over msg. It returns an error wrapping
// ErrBadSignature when sig is of the wrong size or does not verify.
func (p *PublicKey) Verify(msg, sig []byte) error {
	if len(sig) != p.sigSize {
		return fmt.Errorf("%w: %d-byte %v signature, want %d", ErrBadSignature, len(sig), p.alg, p.sigSize)
	}
	ok := false
	switch k := p.key.(type) {
	case *ecdsa.PublicKey:
		half := p.sigSize / 2
		r, s := new(big.Int).SetBytes(sig[:half]), new(big.Int).SetBytes(sig[half:])
		ok = ecdsa.Verify(k, digest(p.alg, msg), r, s)
	case ed25519.PublicKey:
		ok = ed25519.Verify(k, msg, sig)
	case *rsa.PublicKey:
		ok = rsa.VerifyPKCS1v15(k, p.alg.digest(), digest(p.alg, msg), sig) == nil
	}
	if !ok {
		return fmt.Errorf("%w (%v)", ErrBadSignature, p.alg)
	}
	return nil
}

// digest hashes msg with the algorithm's hash (RFC 6605 §4, RFC 5702 §3, RFC 3110 §3).
func digest(alg Alg, msg []byte) []byte {
	h := alg.digest().New()
	h.Write(msg)
	return h.Sum(nil)
}

// GenerateKey makes a new key pair for alg; RSA keys get DefaultRSABits. rnd is the source
// of randomness, crypto/rand when nil.
func GenerateKey(alg Alg, rnd io.Reader) (*PrivateKey, error) {
	if rnd == nil {
		rnd = rand.Reader
	}
	var signer crypto.Signer
	var err error
	switch alg {
	case ECDSAP256SHA256:
		signer, err = ecdsa.GenerateKey(elliptic.P256(), rnd)
	case ECDSAP384SHA384:
		signer, err = ecdsa.GenerateKey(elliptic.P384(), rnd)
	case Ed25519:
		_, signer, err = ed25519.GenerateKey(rnd)
	case RSASHA1, RSASHA256:
		signer, err = rsa.GenerateKey(rnd, DefaultRSABits)
	default:
		return nil, fmt.Errorf("%w %d", ErrUnknownAlgorithm, uint8(alg))
	}
	if err != nil {
		return nil, fmt.Errorf("generate %v key: %w", alg, err)
	}
	return newPrivateKey(alg, signer)
}

// newPrivateKey pairs a signer with the algorithm it signs for, checking that they fit.
func newPrivateKey(alg Alg, signer crypto.Signer) (*PrivateKey, error) {
	if err := checkKeyFits(alg, signer.Public()); err != nil {
		return nil, err
	}
	pub, err := newPublicKey(alg, signer.Public())
	if err != nil {
		return nil, err
	}
	return &PrivateKey{pub: pub, signer: signer}, nil
}

// checkKeyFits rejects a key of another kind than alg signs with (a P-384 key for
// ECDSAP256SHA256, an RSA key too small or too large for RFC 3110).
func checkKeyFits(alg Alg, pub crypto.PublicKey) error {
	switch k := pub.(type) {
	case *ecdsa.PublicKey:
		if (alg == ECDSAP256SHA256 && k.Curve == elliptic.P256()) || (alg == ECDSAP384SHA384 && k.Curve == elliptic.P384()) {
			return nil
		}
		return fmt.Errorf("%w: %s key cannot sign %v", ErrUnknownAlgorithm, k.Curve.Params().Name, alg)
	case ed25519.PublicKey:
		if alg == Ed25519 {
			return nil
		}
	case *rsa.PublicKey:
		if !alg.isRSA() {
			break
		}
		if bits := k.N.BitLen(); bits < minRSABits || bits > maxRSABits {
			return fmt.Errorf("%w: %d-bit RSA key, want %d to %d bits (RFC 3110)", ErrUnknownAlgorithm, bits, minRSABits, maxRSABits)
		}
		return nil
	}
	return fmt.Errorf("%w: %T key cannot sign %v", ErrUnknownAlgorithm, pub, alg)
}

// Public is the key that verifies this key's signatures.
func (k *PrivateKey) Public() *PublicKey { return k.pub }

// Alg is the key's signature algorithm.
func (k *PrivateKey) Alg() Alg { return k.pub.alg }

// Sign signs msg and returns the signature in DNSSEC RRSIG form, k.Public().SignatureSize()
// bytes: r‖s for ECDSA (RFC 6605 §4), the PKCS#1 v1.5 signature for RSA (RFC 3110 §3,
// RFC 5702 §3), the plain signature for Ed25519 (RFC 8080 §4).
func (k *PrivateKey) Sign(msg []byte) ([]byte, error) {
	switch s := k.signer.(type) {
	case *ecdsa.PrivateKey:
		r, sv, err := ecdsa.Sign(rand.Reader, s, digest(k.pub.alg, msg))
		if err != nil {
			return nil, fmt.Errorf("%v sign: %w", k.pub.alg, err)
		}
		sig := make([]byte, k.pub.sigSize)
		half := len(sig) / 2
		r.FillBytes(sig[:half])
		sv.FillBytes(sig[half:])
		return sig, nil
	case ed25519.PrivateKey:
		return ed25519.Sign(s, msg), nil
	case *rsa.PrivateKey:
		sig, err := rsa.SignPKCS1v15(nil, s, k.pub.alg.digest(), digest(k.pub.alg, msg))
		if err != nil {
			return nil, fmt.Errorf("%v sign: %w", k.pub.alg, err)
		}
		return sig, nil
	}
	return nil, fmt.Errorf("%w: %T", ErrUnknownAlgorithm, k.signer)
}
