package dht

import (
	"crypto/sha256"
	"encoding/hex"
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarms/swarmapi"
)

// TestKeySHA1RootIsItself: a 20-byte swarm ID is its own DHT key.
func TestKeySHA1RootIsItself(t *testing.T) {
	id, err := swarmapi.ParseID("f86b2d68d56e7457f1be8d35c7f492a228c3aa45")
	if err != nil {
		t.Fatal(err)
	}
	k, err := Key(id)
	if err != nil {
		t.Fatal(err)
	}
	if hex.EncodeToString(k[:]) != "f86b2d68d56e7457f1be8d35c7f492a228c3aa45" {
		t.Fatalf("key %x", k)
	}
}

// TestKeyLongerIDsAreHashed checks the documented derivation against a fixed vector and
// SHA-256 computed independently, for a 32-byte root and a public-key-sized ID.
func TestKeyLongerIDsAreHashed(t *testing.T) {
	root := make([]byte, 32)
	for i := range root {
		root[i] = byte(i)
	}
	k, err := Key(swarmapi.ID(root))
	if err != nil {
		t.Fatal(err)
	}
	// SHA-256 of the bytes 0x00..0x1f, first 20 bytes.
	if got, want := hex.EncodeToString(k[:]), "630dcd2966c4336691125448bbb25b4ff412a49c"; got != want {
		t.Fatalf("key %s, want %s", got, want)
	}
	// Two keys that share a long prefix (as DER public keys do) get unrelated keys.
	a, b := make([]byte, 91), make([]byte, 91)
	b[90] = 1
	ka, _ := Key(swarmapi.ID(a))
	kb, _ := Key(swarmapi.ID(b))
	sum := sha256.Sum256(a)
	if ka == kb || string(ka[:]) != string(sum[:KeySize]) {
		t.Fatalf("keys %x %x", ka, kb)
	}
}

func TestKeyEmptyIDRefused(t *testing.T) {
	if _, err := Key(""); err == nil {
		t.Fatal("empty ID accepted")
	}
}
