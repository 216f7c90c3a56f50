package booster

import (
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

const (
	sha1Hex   = "0123456789abcdef0123456789abcdef01234567"
	sha1Hex2  = "89abcdef0123456789abcdef0123456789abcdef"
	sha256Hex = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff"
)

func TestExtract(t *testing.T) {
	type want struct {
		id, peer string
		hash     int
		cs       uint32
	}
	cases := []struct {
		name string
		text string
		want []want
	}{
		{"tswift with peer", "new: tswift://127.0.0.1:6778/" + sha1Hex + " enjoy", []want{{sha1Hex, "127.0.0.1:6778", -1, 1024}}},
		{"tswift without peer", "tswift:/" + sha1Hex, []want{{sha1Hex, "", -1, 1024}}},
		{"ppsp scheme", "ppsp://[::1]:7000/" + sha1Hex + "$4096", []want{{sha1Hex, "[::1]:7000", -1, 4096}}},
		{"upper-case scheme", "TSWIFT://127.0.0.1:1/" + sha1Hex, []want{{sha1Hex, "127.0.0.1:1", -1, 1024}}},
		{"bare SHA-1", "swarm " + sha1Hex + ".", []want{{sha1Hex, "", -1, 1024}}},
		{"bare SHA-256", sha256Hex, []want{{sha256Hex, "", int(hashtree.SHA256), 1024}}},
		{"html href with entity", `<a href="tswift://127.0.0.1:6778/` + sha1Hex + `?cs=2048&amp;cl=10">x</a>`,
			[]want{{sha1Hex, "127.0.0.1:6778", -1, 2048}}},
		{"markdown", "[watch](tswift://127.0.0.1:9/" + sha1Hex + ")", []want{{sha1Hex, "127.0.0.1:9", -1, 1024}}},
		{"bare then link with peer keeps the peer", sha1Hex + " tswift://127.0.0.1:5/" + sha1Hex,
			[]want{{sha1Hex, "127.0.0.1:5", -1, 1024}}},
		{"two swarms in order", sha1Hex2 + "\n" + sha1Hex, []want{{sha1Hex2, "", -1, 1024}, {sha1Hex, "", -1, 1024}}},
		{"hex inside a web URL is not a swarm", "https://example.org/commit/" + sha1Hex, nil},
		{"hex of another length", sha1Hex + "ab", nil},
		{"39 digits", sha1Hex[:39], nil},
		{"not hex", strings.Repeat("g", 40), nil},
		{"ID length not matching hf", "tswift:/" + sha1Hex + "?hf=2", nil},
		{"bad peer port", "tswift://127.0.0.1:0/" + sha1Hex, nil},
		{"bad chunk size", "tswift:/" + sha1Hex + "$0", nil},
		{"other scheme", "magnet:?xt=urn:btih:" + sha1Hex, nil},
		{"empty", "", nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := Extract(c.text)
			if len(got) != len(c.want) {
				t.Fatalf("Extract(%q) = %d links %v, want %d", c.text, len(got), got, len(c.want))
			}
			for i, w := range c.want {
				g := got[i]
				if hexOf(g.SwarmID) != w.id || g.Peer != w.peer || g.ChunkSize != w.cs {
					t.Errorf("link %d = %s peer %q cs %d, want %s peer %q cs %d", i, hexOf(g.SwarmID), g.Peer, g.ChunkSize, w.id, w.peer, w.cs)
				}
				if w.hash >= 0 && g.Hash != w.hash {
					t.Errorf("link %d hash = %d, want %d", i, g.Hash, w.hash)
				}
			}
		})
	}
}

// TestExtractBounded: a text naming thousands of swarms yields at most maxLinksPerText.
func TestExtractBounded(t *testing.T) {
	var b strings.Builder
	for i := range 1000 {
		b.WriteString(strings.Repeat("0", 32))
		b.WriteString(strings.Repeat("0", 8-len(itoa(i))) + itoa(i))
		b.WriteString(" ")
	}
	if n := len(Extract(b.String())); n != maxLinksPerText {
		t.Fatalf("got %d links, want the cap %d", n, maxLinksPerText)
	}
}

func itoa(i int) string {
	const digits = "0123456789"
	if i == 0 {
		return "0"
	}
	var s string
	for ; i > 0; i /= 10 {
		s = string(digits[i%10]) + s
	}
	return s
}

func TestExtractBrackets(t *testing.T) {
	for _, text := range []string{"[tswift:/" + sha1Hex + "]", "[" + sha1Hex + "]", "see [tswift://[::1]:6778/" + sha1Hex + "]."} {
		if got := Extract(text); len(got) != 1 || hexOf(got[0].SwarmID) != sha1Hex {
			t.Errorf("Extract(%q) = %v", text, got)
		}
	}
}
