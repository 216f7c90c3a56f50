package swarmapi

import (
	"bytes"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/wire"
)

// TestIsLiveID: every supported algorithm's swarm ID is live; root hashes of every size,
// and bytes that are no key, are not.
func TestIsLiveID(t *testing.T) {
	for _, alg := range livesig.Algs {
		k, err := livesig.GenerateKey(alg, nil)
		if err != nil {
			t.Fatal(err)
		}
		id := ID(k.Public().SwarmID())
		if !IsLiveID(id) || CheckLiveID(id) != nil {
			t.Errorf("%v: %d-byte ID not live: %v", alg, len(id), CheckLiveID(id))
		}
	}
	for _, n := range []int{20, 28, 32, 48, 64} {
		id := ID(bytes.Repeat([]byte{13}, n))
		if IsLiveID(id) {
			t.Errorf("%d-byte root hash taken for live", n)
		}
		if err := CheckLiveID(id); err == nil || !strings.Contains(err.Error(), "static swarm") {
			t.Errorf("%d bytes: %v", n, err)
		}
	}
	for _, id := range []ID{"", ID([]byte{13, 1, 2}), ID(append([]byte{99}, make([]byte, 64)...))} {
		if IsLiveID(id) || CheckLiveID(id) == nil {
			t.Errorf("%x taken for live", []byte(id))
		}
	}
}

func TestParseLiveIntegrity(t *testing.T) {
	for in, want := range map[string]wire.IntegrityMethod{
		"": wire.IntegrityUnifiedMHT, "umt": wire.IntegrityUnifiedMHT, "UMT": wire.IntegrityUnifiedMHT, "3": wire.IntegrityUnifiedMHT,
		"signall": wire.IntegritySignAll, "sign-all": wire.IntegritySignAll, "2": wire.IntegritySignAll,
	} {
		got, err := ParseLiveIntegrity(in)
		if err != nil || got != want {
			t.Errorf("ParseLiveIntegrity(%q) = %v, %v; want %v", in, got, err, want)
		}
		if back, _ := ParseLiveIntegrity(LiveIntegrityName(got)); back != got {
			t.Errorf("%v does not round-trip through its name", got)
		}
	}
	for _, bad := range []string{"merkle", "1", "none", "sha1"} {
		if _, err := ParseLiveIntegrity(bad); err == nil || !strings.Contains(err.Error(), "umt") {
			t.Errorf("ParseLiveIntegrity(%q): %v", bad, err)
		}
	}
}
