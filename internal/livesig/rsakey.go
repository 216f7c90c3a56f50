package livesig

import (
	"crypto/rsa"
	"encoding/binary"
	"fmt"
	"math/big"
)

// RSA key bounds. RFC 3110 §2 allows moduli of 512 to 4096 bits; Go refuses keys under
// 1024 bits (they are breakable), and so do we. libswift generates 1024-bit keys.
const (
	minRSABits = 1024
	maxRSABits = 4096
	// maxRSAExpLen keeps the exponent within Go's int, which rsa.PublicKey.E is.
	maxRSAExpLen = 4
)

// DefaultRSABits is the modulus size GenerateKey uses for RSA.
const DefaultRSABits = 2048

// parseRSAKey reads the RFC 3110 §2 form: the exponent length in one byte (or a zero byte
// and two bytes when it exceeds 255), the exponent, then the modulus, both big-endian with
// no leading zero bytes.
func parseRSAKey(key []byte) (*rsa.PublicKey, error) {
	if len(key) < 1 {
		return nil, fmt.Errorf("%w: empty RSA key", ErrBadSwarmID)
	}
	expLen, head := int(key[0]), 1
	if expLen == 0 {
		if len(key) < 3 {
			return nil, fmt.Errorf("%w: RSA key truncated in its exponent length", ErrBadSwarmID)
		}
		expLen, head = int(binary.BigEndian.Uint16(key[1:])), 3
		if expLen < 256 {
			return nil, fmt.Errorf("%w: RSA exponent length %d in the long form (RFC 3110 uses it only above 255)", ErrBadSwarmID, expLen)
		}
	}
	if expLen > maxRSAExpLen {
		return nil, fmt.Errorf("%w: %d-byte RSA exponent, at most %d", ErrBadSwarmID, expLen, maxRSAExpLen)
	}
	if len(key) < head+expLen+1 {
		return nil, fmt.Errorf("%w: RSA key truncated (%d bytes, exponent of %d)", ErrBadSwarmID, len(key), expLen)
	}
	exp, mod := key[head:head+expLen], key[head+expLen:]
	if exp[0] == 0 || mod[0] == 0 {
		return nil, fmt.Errorf("%w: RSA exponent or modulus with a leading zero byte", ErrBadSwarmID)
	}
	var e uint64
	for _, b := range exp {
		e = e<<8 | uint64(b)
	}
	if e < 3 || e%2 == 0 || e > 1<<31-1 {
		return nil, fmt.Errorf("%w: RSA exponent %d", ErrBadSwarmID, e)
	}
	n := new(big.Int).SetBytes(mod)
	if bits := n.BitLen(); bits < minRSABits || bits > maxRSABits {
		return nil, fmt.Errorf("%w: %d-bit RSA modulus, want %d to %d bits", ErrBadSwarmID, bits, minRSABits, maxRSABits)
	}
	if n.Bit(0) == 0 {
		return nil, fmt.Errorf("%w: even RSA modulus", ErrBadSwarmID)
	}
	return &rsa.PublicKey{N: n, E: int(e)}, nil
}

// appendRSAKey writes k in RFC 3110 §2 form.
func appendRSAKey(b []byte, k *rsa.PublicKey) []byte {
	exp := big.NewInt(int64(k.E)).Bytes()
	if len(exp) < 256 {
		b = append(b, byte(len(exp)))
	} else {
		b = append(b, 0)
		b = binary.BigEndian.AppendUint16(b, uint16(len(exp)))
	}
	b = append(b, exp...)
	return append(b, k.N.Bytes()...)
}
