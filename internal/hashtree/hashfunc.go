package hashtree

import (
	"crypto/sha1"
	"crypto/sha256"
	"crypto/sha512"
	"fmt"
	"hash"
	"strings"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// HashFunc is a Merkle hash tree function, numbered as in RFC 7574 §7.6 (Table 5), so the
// value is also the byte carried by protocol option 4.
type HashFunc uint8

// The hash functions of RFC 7574 §7.6, numbered as wire numbers them. SHA-1 and SHA-256 are
// mandatory to implement (§7.6, §12.5); SHA-256 is the RFC default, while libswift speaks
// SHA-1 only.
const (
	SHA1   = HashFunc(wire.SHA1)
	SHA224 = HashFunc(wire.SHA224)
	SHA256 = HashFunc(wire.SHA256)
	SHA384 = HashFunc(wire.SHA384)
	SHA512 = HashFunc(wire.SHA512)
)

// MaxHashSize is the largest digest any HashFunc produces (SHA-512).
const MaxHashSize = sha512.Size

// Valid reports whether h is one of the five functions RFC 7574 defines.
func (h HashFunc) Valid() bool { return h <= SHA512 }

// Wire is the same function as the codec names it (option 4's value). The codec owns the
// table of codes, sizes and names; this package adds the hashing.
func (h HashFunc) Wire() wire.HashFunc { return wire.HashFunc(h) }

// Size is the digest length in bytes, which is also the hash length of INTEGRITY
// messages (§8.8). It is 0 for an invalid HashFunc.
func (h HashFunc) Size() int { return h.Wire().Size() }

func (h HashFunc) String() string { return h.Wire().String() }

// New returns a fresh streaming hash. It panics for an invalid HashFunc: callers
// validate codes taken from the wire with Valid first.
func (h HashFunc) New() hash.Hash {
	switch h {
	case SHA1:
		return sha1.New()
	case SHA224:
		return sha256.New224()
	case SHA256:
		return sha256.New()
	case SHA384:
		return sha512.New384()
	case SHA512:
		return sha512.New()
	}
	panic(fmt.Sprintf("hashtree: New on invalid %v", h))
}

// ParseHashFunc accepts the names String prints, with or without a dash ("sha-256"),
// in any case.
func ParseHashFunc(s string) (HashFunc, error) {
	name := strings.ReplaceAll(strings.ToLower(strings.TrimSpace(s)), "-", "")
	for h := SHA1; h <= SHA512; h++ {
		if h.String() == name {
			return h, nil
		}
	}
	return 0, fmt.Errorf("hashtree: unknown hash function %q (want sha1, sha224, sha256, sha384 or sha512)", s)
}

// Sum appends the digest of data to dst. It does not allocate when dst has room, which
// makes it the cheap way to check a chunk against a known leaf hash.
func (h HashFunc) Sum(dst, data []byte) []byte {
	n := len(dst)
	dst = append(dst, zeroHash[:h.Size()]...)
	h.sum(dst[n:], data)
	return dst
}

// sum writes the digest of data into dst, which must hold h.Size() bytes. The one-shot
// functions of crypto/* keep their state on the stack, so this neither allocates nor pays
// for a hash.Hash interface call per chunk; that matters because a tree over N chunks
// costs about 2N hash calls.
func (h HashFunc) sum(dst, data []byte) {
	switch h {
	case SHA1:
		d := sha1.Sum(data)
		copy(dst, d[:])
	case SHA224:
		d := sha256.Sum224(data)
		copy(dst, d[:])
	case SHA256:
		d := sha256.Sum256(data)
		copy(dst, d[:])
	case SHA384:
		d := sha512.Sum384(data)
		copy(dst, d[:])
	case SHA512:
		d := sha512.Sum512(data)
		copy(dst, d[:])
	}
}

// sumPair writes H(left ‖ right) into dst: the inner-node rule of RFC 7574 §5.1.
func (h HashFunc) sumPair(dst, left, right []byte) {
	var buf [2 * MaxHashSize]byte
	n := copy(buf[:], left)
	n += copy(buf[n:], right)
	h.sum(dst, buf[:n])
}
