package livesig

import (
	"crypto"
	"fmt"
	"strconv"
	"strings"

	"github.com/ppsppd/ppsppd/internal/wire"
)

// Alg is a live signature algorithm, numbered as DNSSEC numbers it, so the value is also the
// byte of protocol option 5 and the first byte of a live swarm ID (RFC 7574 §6.1, §7.7).
// The codec (wire.SigAlg) owns the table of numbers; this package adds the cryptography.
type Alg uint8

// The algorithms this package signs and verifies with.
const (
	RSASHA1         = Alg(wire.AlgRSASHA1)
	RSASHA256       = Alg(wire.AlgRSASHA256)
	ECDSAP256SHA256 = Alg(wire.AlgECDSAP256SHA256)
	ECDSAP384SHA384 = Alg(wire.AlgECDSAP384SHA384)
	Ed25519         = Alg(wire.AlgED25519)
)

// DefaultAlg is what libswift uses by default and what gives the shortest swarm IDs that
// every libswift build understands.
const DefaultAlg = ECDSAP256SHA256

// Algs lists the supported algorithms, in the order help texts show them.
var Algs = []Alg{ECDSAP256SHA256, ECDSAP384SHA384, RSASHA256, RSASHA1, Ed25519}

// Wire is the same algorithm as the codec names it.
func (a Alg) Wire() wire.SigAlg { return wire.SigAlg(a) }

// Valid reports whether this package can sign and verify with a.
func (a Alg) Valid() bool {
	switch a {
	case RSASHA1, RSASHA256, ECDSAP256SHA256, ECDSAP384SHA384, Ed25519:
		return true
	}
	return false
}

// String is the name the command line uses (--alg).
func (a Alg) String() string {
	switch a {
	case RSASHA1:
		return "rsa-sha1"
	case RSASHA256:
		return "rsa-sha256"
	case ECDSAP256SHA256:
		return "ecdsa-p256"
	case ECDSAP384SHA384:
		return "ecdsa-p384"
	case Ed25519:
		return "ed25519"
	}
	return "alg_" + strconv.Itoa(int(a))
}

// ParseAlg accepts the names String prints, the DNSSEC mnemonics (ECDSAP256SHA256) and the
// numbers (13), in any case.
func ParseAlg(s string) (Alg, error) {
	name := strings.ToLower(strings.TrimSpace(s))
	if n, err := strconv.ParseUint(name, 10, 8); err == nil && Alg(n).Valid() {
		return Alg(n), nil
	}
	for _, a := range Algs {
		if name == a.String() || name == strings.ToLower(a.mnemonic()) {
			return a, nil
		}
	}
	return 0, fmt.Errorf("%w %q (want one of %s)", ErrUnknownAlgorithm, s, algNames())
}

func algNames() string {
	names := make([]string, len(Algs))
	for i, a := range Algs {
		names[i] = a.String()
	}
	return strings.Join(names, ", ")
}

// mnemonic is the DNSSEC registry's name for a.
func (a Alg) mnemonic() string {
	switch a {
	case RSASHA1:
		return "RSASHA1"
	case RSASHA256:
		return "RSASHA256"
	case ECDSAP256SHA256:
		return "ECDSAP256SHA256"
	case ECDSAP384SHA384:
		return "ECDSAP384SHA384"
	case Ed25519:
		return "ED25519"
	}
	return a.String()
}

// digest is the hash the algorithm signs, or 0 for Ed25519, which signs the message itself.
func (a Alg) digest() crypto.Hash {
	switch a {
	case RSASHA1:
		return crypto.SHA1
	case RSASHA256, ECDSAP256SHA256:
		return crypto.SHA256
	case ECDSAP384SHA384:
		return crypto.SHA384
	}
	return 0
}

// isRSA reports the algorithms whose keys are RFC 3110 RSA keys.
func (a Alg) isRSA() bool { return a == RSASHA1 || a == RSASHA256 }
