package wire

import (
	"encoding/binary"
	"strconv"
)

// IntegrityMethod is protocol option 3 (RFC 7574 §7.5, Table 4).
type IntegrityMethod uint8

// Content integrity protection methods.
const (
	IntegrityNone       IntegrityMethod = 0
	IntegrityMerkle     IntegrityMethod = 1
	IntegritySignAll    IntegrityMethod = 2
	IntegrityUnifiedMHT IntegrityMethod = 3
)

func (m IntegrityMethod) String() string {
	switch m {
	case IntegrityNone:
		return "none"
	case IntegrityMerkle:
		return "merkle"
	case IntegritySignAll:
		return "sign-all"
	case IntegrityUnifiedMHT:
		return "unified-merkle"
	}
	return "integrity_" + strconv.Itoa(int(m))
}

// IsLive reports whether the method protects a live stream with signatures.
func (m IntegrityMethod) IsLive() bool { return m == IntegritySignAll || m == IntegrityUnifiedMHT }

// HashFunc is protocol option 4, the Merkle hash tree function (RFC 7574 §7.6, Table 5).
type HashFunc uint8

// Merkle hash functions. SHA-256 is the RFC's default; libswift speaks only SHA-1.
const (
	SHA1   HashFunc = 0
	SHA224 HashFunc = 1
	SHA256 HashFunc = 2
	SHA384 HashFunc = 3
	SHA512 HashFunc = 4
)

// Size is the digest length in bytes, or 0 for an unassigned code.
func (h HashFunc) Size() int {
	switch h {
	case SHA1:
		return 20
	case SHA224:
		return 28
	case SHA256:
		return 32
	case SHA384:
		return 48
	case SHA512:
		return 64
	}
	return 0
}

func (h HashFunc) String() string {
	switch h {
	case SHA1:
		return "sha1"
	case SHA224:
		return "sha224"
	case SHA256:
		return "sha256"
	case SHA384:
		return "sha384"
	case SHA512:
		return "sha512"
	}
	return "hash_" + strconv.Itoa(int(h))
}

// SigAlg is a DNSSEC algorithm number, the value of protocol option 5 (RFC 7574 §7.7). A
// live swarm ID is the algorithm byte followed by the public key in DNSKEY form (§6.1).
type SigAlg uint8

// DNSSEC algorithm numbers ppsppd knows the signature length of.
const (
	AlgDSA              SigAlg = 3
	AlgRSASHA1          SigAlg = 5
	AlgDSANSEC3SHA1     SigAlg = 6
	AlgRSASHA1NSEC3SHA1 SigAlg = 7
	AlgRSASHA256        SigAlg = 8
	AlgRSASHA512        SigAlg = 10
	AlgECCGOST          SigAlg = 12
	AlgECDSAP256SHA256  SigAlg = 13
	AlgECDSAP384SHA384  SigAlg = 14
	AlgED25519          SigAlg = 15
	AlgED448            SigAlg = 16
)

// SignatureSize is the length of a signature in the DNSSEC RRSIG form that SIGNED_INTEGRITY
// carries (RFC 7574 §8.9). RSA signatures are as long as the modulus, which comes from the
// public key (RFC 3110 form: exponent length, exponent, modulus); key may be nil for the other
// algorithms. It returns 0 when the length cannot be known.
func (a SigAlg) SignatureSize(key []byte) int {
	switch a {
	case AlgDSA, AlgDSANSEC3SHA1:
		return 41 // T, R, S (RFC 2536)
	case AlgECCGOST, AlgECDSAP256SHA256, AlgED25519:
		return 64
	case AlgECDSAP384SHA384:
		return 96
	case AlgED448:
		return 114
	case AlgRSASHA1, AlgRSASHA1NSEC3SHA1, AlgRSASHA256, AlgRSASHA512:
		return rsaModulusSize(key)
	}
	return 0
}

// rsaModulusSize reads an RFC 3110 RSA public key: a 1-byte exponent length, or 0 and a
// 2-byte length, then the exponent, then the modulus.
func rsaModulusSize(key []byte) int {
	if len(key) < 1 {
		return 0
	}
	expLen, head := int(key[0]), 1
	if expLen == 0 {
		if len(key) < 3 {
			return 0
		}
		expLen, head = int(binary.BigEndian.Uint16(key[1:])), 3
	}
	if len(key) <= head+expLen {
		return 0
	}
	return len(key) - head - expLen
}
