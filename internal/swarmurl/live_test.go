package swarmurl

import (
	"bytes"
	"encoding/hex"
	"testing"

	"github.com/ppsppd/ppsppd/internal/livesig"
)

// Live swarm IDs are the algorithm byte and the source's public key (RFC 7574 §6.1): 33
// bytes for Ed25519, 65 for ECDSA P-256 (libswift's), 97 for P-384, up to
// livesig.MaxSwarmIDLen for RSA. Links and gateway paths must carry all of them.
func TestLiveSwarmIDs(t *testing.T) {
	if MaxSwarmIDLen < livesig.MaxSwarmIDLen {
		t.Fatalf("MaxSwarmIDLen %d is below the longest live swarm ID, %d bytes", MaxSwarmIDLen, livesig.MaxSwarmIDLen)
	}
	for _, n := range []int{33, 65, 97, livesig.MaxSwarmIDLen} {
		id := bytes.Repeat([]byte{0xa7}, n)
		id[0] = 13
		hexID := hex.EncodeToString(id)

		got, err := ParseID(hexID)
		if err != nil || !bytes.Equal(got, id) {
			t.Fatalf("%d bytes: ParseID = %x, %v", n, got, err)
		}
		l, _, err := ParsePath(hexID+"$1024/live.ts", "")
		if err != nil || !bytes.Equal(l.SwarmID, id) || l.Filename != "live.ts" {
			t.Fatalf("%d bytes: ParsePath = %+v, %v", n, l, err)
		}
		link := Link{Peer: "127.0.0.1:6778", SwarmID: id, ChunkSize: 1024, Size: -1, Hash: -1}
		back, err := Parse(link.String())
		if err != nil || !bytes.Equal(back.SwarmID, id) || back.Peer != "127.0.0.1:6778" {
			t.Fatalf("%d bytes: Parse(%q) = %+v, %v", n, link.String(), back, err)
		}
	}
}
