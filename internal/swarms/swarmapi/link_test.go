package swarmapi

import (
	"net/netip"
	"testing"

	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// TestLink: a status's link names the daemon (loopback for an unspecified address), the
// chunk size only when not 1024 and the hash only when not SHA-1, and reads back as the
// same swarm.
func TestLink(t *testing.T) {
	for _, tc := range []struct {
		st     Status
		daemon string
		want   string
	}{
		{Status{ID: "\xab\xcd", ChunkSize: 1024, Hash: "sha1"}, "127.0.0.1:6778", "tswift://127.0.0.1:6778/abcd"},
		{Status{ID: "\xab\xcd", ChunkSize: 8192, Hash: ""}, "0.0.0.0:7000", "tswift://127.0.0.1:7000/abcd$8192"},
		{Status{ID: "\x01", ChunkSize: 1024, Hash: "sha256"}, "[::1]:6778", "tswift://[::1]:6778/01?hf=2"},
	} {
		got := tc.st.Link(netip.MustParseAddrPort(tc.daemon)).String()
		if got != tc.want {
			t.Errorf("%+v at %s: %s, want %s", tc.st, tc.daemon, got, tc.want)
		}
		back, err := swarmurl.Parse(got)
		if err != nil || string(back.SwarmID) != string(tc.st.ID) {
			t.Errorf("%s reads back as %+v, %v", got, back, err)
		}
	}
}
