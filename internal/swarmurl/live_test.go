package swarmurl

import (
	"bytes"
	"encoding/hex"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/livesig"
)

// TestLiveSwarmIDLinks: a live swarm ID (the algorithm byte and a public key, 33 to
// hundreds of bytes, RFC 7574 §6.1) goes through a link and back whole, in every form a
// link takes, for every supported algorithm; so does the longest one livesig allows.
func TestLiveSwarmIDLinks(t *testing.T) {
	var ids [][]byte
	for _, alg := range livesig.Algs {
		k, err := livesig.GenerateKey(alg, nil)
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, k.Public().SwarmID())
	}
	ids = append(ids, bytes.Repeat([]byte{0xab}, livesig.MaxSwarmIDLen))
	for _, id := range ids {
		l := Link{Peer: "127.0.0.1:6778", SwarmID: id, ChunkSize: 8192, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}
		h := hex.EncodeToString(id)
		for _, s := range []string{l.String(), "tswift:/" + h, h, "ppsp://[::1]:1/" + h + "?cs=8192"} {
			got, err := Parse(s)
			if err != nil {
				t.Fatalf("%d-byte ID: Parse(%.40q...): %v", len(id), s, err)
			}
			if !bytes.Equal(got.SwarmID, id) {
				t.Fatalf("%d-byte ID: Parse gave %d bytes", len(id), len(got.SwarmID))
			}
		}
		if got, _ := Parse(l.String()); got.Peer != l.Peer || got.ChunkSize != 8192 {
			t.Fatalf("%d-byte ID: link %q read as %+v", len(id), l.String(), got)
		}
		if !strings.HasPrefix(l.String(), "tswift://127.0.0.1:6778/"+h+"$8192") {
			t.Fatalf("link %q", l.String())
		}
	}
}
