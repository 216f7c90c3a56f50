package livesig

import "errors"

// Errors a caller can test with errors.Is. Input from peers (swarm IDs, signatures) and from
// disk (key files) fails with one of these, wrapped with what was wrong.
var (
	// ErrUnknownAlgorithm: a DNSSEC algorithm number or name this package does not sign with.
	ErrUnknownAlgorithm = errors.New("livesig: unsupported signature algorithm")
	// ErrBadSwarmID: a live swarm ID that is not a well-formed public key of its algorithm.
	ErrBadSwarmID = errors.New("livesig: malformed live swarm ID")
	// ErrBadSignature: a signature of the wrong length, or one that does not verify.
	ErrBadSignature = errors.New("livesig: signature does not verify")
	// ErrBadKeyFile: a key file that is not a PEM PKCS#8 private key of a supported kind.
	ErrBadKeyFile = errors.New("livesig: bad key file")
	// ErrKeyFileMode: a key file that others than its owner may read (a warning, not fatal).
	ErrKeyFileMode = errors.New("livesig: key file readable by others")
)
