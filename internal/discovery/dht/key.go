package dht

import (
	"crypto/sha256"
	"errors"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// KeySize is the length of a DHT key (BEP 5 info-hash), the size of a SHA-1 digest.
const KeySize = 20

// Key is the DHT key a swarm is announced and looked up under. A 20-byte swarm ID (a SHA-1
// Merkle root, RFC 7574 section 6.1) is used as it is, so that a ppsppd daemon and any other
// PPSPP peer that announces SHA-1 roots on the DHT meet. A longer or shorter ID (a SHA-256
// root, or a live swarm's public key, RFC 7574 section 6.1.1, whose DER encodings share long
// prefixes and so cannot be cut short) is hashed: the key is the first 20 bytes of SHA-256
// of the ID's raw bytes.
func Key(id swarmapi.ID) ([KeySize]byte, error) {
	var k [KeySize]byte
	if len(id) == 0 {
		return k, errors.New("empty swarm ID has no DHT key")
	}
	if len(id) == KeySize {
		copy(k[:], id)
		return k, nil
	}
	sum := sha256.Sum256([]byte(id))
	copy(k[:], sum[:KeySize])
	return k, nil
}
