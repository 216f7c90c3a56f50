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

// TestSignAllLinkSaysSo: a live link of a Sign All stream carries cp=2 and reads back; no
// other link gets a cp= it did not have.
func TestSignAllLinkSaysSo(t *testing.T) {
	id := bytes.Repeat([]byte{0xcd}, 65)
	l := Link{Peer: "127.0.0.1:1", SwarmID: id, ChunkSize: 1024, Size: -1, Hash: -1, Addressing: -1, Integrity: 2}
	got, err := Parse(l.String())
	if err != nil || !strings.HasSuffix(l.String(), "?cp=2") || got.Integrity != 2 {
		t.Fatalf("%q read as %+v, %v", l.String(), got, err)
	}
	for _, cp := range []int{-1, 0, 1, 3} {
		l.Integrity = cp
		if strings.Contains(l.String(), "cp=") {
			t.Errorf("integrity %d: link %q", cp, l.String())
		}
	}
}
