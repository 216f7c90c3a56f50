package livesig

import (
	"encoding/hex"
	"sync"
	"testing"
)

// libswiftSwarmID is the swarm ID of the recorded libswift live session
// (testdata/interop/live-umt-ecdsap256-1024.hex.txt, the leecher's HANDSHAKE): algorithm 13
// and a 64-byte P-256 key.
const libswiftSwarmID = "0d48e8fbe409b13075fedcdee3d8fc31925919d651c3fcafc8c522b46dd44fcb2e7040b8e4f5689884d2153dfee0946b92785c556edff220118f6f205312691c24"

func mustHex(t testing.TB, s string) []byte {
	t.Helper()
	b, err := hex.DecodeString(s)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	testKeysOnce sync.Once
	testKeys     map[Alg]*PrivateKey
	testKeysErr  error
)

// keyFor returns one key per algorithm, generated once per test binary: RSA key generation
// costs about a second and is not what the tests are about.
func keyFor(t testing.TB, alg Alg) *PrivateKey {
	t.Helper()
	testKeysOnce.Do(func() {
		testKeys = map[Alg]*PrivateKey{}
		for _, a := range Algs {
			k, err := GenerateKey(a, nil)
			if err != nil {
				testKeysErr = err
				return
			}
			testKeys[a] = k
		}
	})
	if testKeysErr != nil {
		t.Fatal(testKeysErr)
	}
	return testKeys[alg]
}
