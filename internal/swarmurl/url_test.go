package swarmurl

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/hashtree"
)

const root = "706da5efff5fc145dac4361f970b9bd2afc21861"

func TestParse(t *testing.T) {
	id, _ := hex.DecodeString(root)
	cases := []struct {
		in   string
		want Link
	}{
		{root, Link{SwarmID: id, ChunkSize: 1024, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
		{"tswift:/" + root, Link{SwarmID: id, ChunkSize: 1024, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
		{"tswift:/" + root + "$8192", Link{SwarmID: id, ChunkSize: 8192, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
		{"tswift://127.0.0.1:20001/" + root, Link{Peer: "127.0.0.1:20001", SwarmID: id, ChunkSize: 1024, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
		{"tswift://[::1]:20001/" + root + "$4096/movie.ts?cl=1025&hf=2&ca=2&cp=1",
			Link{Peer: "[::1]:20001", SwarmID: id, Filename: "movie.ts", ChunkSize: 4096, Size: 1025, Hash: 2, Addressing: 2, Integrity: 1}},
		{"tswift://127.0.0.1:1/" + root + "?cs=2048", Link{Peer: "127.0.0.1:1", SwarmID: id, ChunkSize: 2048, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
		// ppsp: is read as tswift:, and schemes are case-insensitive.
		{"ppsp://127.0.0.1:20001/" + root + "$8192", Link{Peer: "127.0.0.1:20001", SwarmID: id, ChunkSize: 8192, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
		{"TSwift://127.0.0.1:20001/" + root, Link{Peer: "127.0.0.1:20001", SwarmID: id, ChunkSize: 1024, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
		{"PPSP:/" + root, Link{SwarmID: id, ChunkSize: 1024, Size: -1, Hash: -1, Addressing: -1, Integrity: -1}},
	}
	for _, c := range cases {
		got, err := Parse(c.in)
		if err != nil {
			t.Errorf("%s: %v", c.in, err)
			continue
		}
		if got.Peer != c.want.Peer || !bytes.Equal(got.SwarmID, c.want.SwarmID) || got.Filename != c.want.Filename ||
			got.ChunkSize != c.want.ChunkSize || got.Size != c.want.Size || got.Hash != c.want.Hash ||
			got.Addressing != c.want.Addressing || got.Integrity != c.want.Integrity {
			t.Errorf("%s:\n got %+v\nwant %+v", c.in, got, c.want)
		}
	}
}

func TestParseErrors(t *testing.T) {
	for _, in := range []string{
		"", "tswift:", "tswift://127.0.0.1:1/", "zz" + root, "tswift:/" + root + "$x", "tswift:/" + root + "$0",
		"tswift://nohost/" + root, "tswift://1.2.3.4:99999/" + root, "tswift:/" + root + "?cl=-1",
		strings.Repeat("ab", 2000),
	} {
		if _, err := Parse(in); err == nil {
			t.Errorf("%q accepted", in)
		}
	}
}

// TestLibswiftURLs parses every URL libswift printed (roothashes.tsv) and writes it back
// the same way.
func TestLibswiftURLs(t *testing.T) {
	raw, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "roothashes.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, line := range strings.Split(strings.TrimSpace(string(raw)), "\n")[1:] {
		f := strings.Split(line, "\t")
		if len(f) < 7 || !strings.HasPrefix(f[6], "tswift:") {
			continue
		}
		l, err := Parse(f[6])
		if err != nil {
			t.Fatalf("%s: %v", f[6], err)
		}
		if hex.EncodeToString(l.SwarmID) != f[5] || strings.TrimSpace(f[3]) != strconv.FormatUint(uint64(l.ChunkSize), 10) {
			t.Fatalf("%s parsed as %+v", f[6], l)
		}
		if l.String() != f[6] {
			t.Fatalf("written back as %s, libswift printed %s", l.String(), f[6])
		}
		n++
	}
	if n < 15 {
		t.Fatalf("only %d URLs checked", n)
	}
}

func TestResolvePeer(t *testing.T) {
	for in, want := range map[string]string{
		"127.0.0.1:6778":       "127.0.0.1:6778",
		"[::1]:6778":           "[::1]:6778",
		"localhost:6778":       ":6778", // 127.0.0.1 or ::1, as the system resolves it
		"[::ffff:127.0.0.1]:5": "127.0.0.1:5",
	} {
		ap, err := ResolvePeer(in)
		if err != nil {
			t.Errorf("%q: %v", in, err)
			continue
		}
		if !strings.HasSuffix(ap.String(), want) || (in == "localhost:6778" && !ap.Addr().IsLoopback()) {
			t.Errorf("%q resolved to %v, want %s", in, ap, want)
		}
	}
	for in, want := range map[string]string{
		"::1":            "[::1]:6778",
		"::1:6778":       "in brackets",
		"127.0.0.1":      "want HOST:PORT",
		"127.0.0.1:0":    "bad port",
		"127.0.0.1:http": "bad port",
		":6778":          "no host",
	} {
		if _, err := ResolvePeer(in); err == nil || !strings.Contains(err.Error(), want) {
			t.Errorf("%q: error %v, want one saying %q", in, err, want)
		}
	}
}

// TestParseNamesHostsAndIPv6: a link's peer may be a host name or a bracketed IPv6
// address, as --peer and --listen take them.
func TestParseNamesHostsAndIPv6(t *testing.T) {
	for _, peer := range []string{"localhost:6778", "[::1]:6778"} {
		l, err := Parse("tswift://" + peer + "/" + root)
		if err != nil || l.Peer != peer {
			t.Errorf("%s: %+v %v", peer, l, err)
		}
	}
	if _, err := Parse("tswift://::1:6778/" + root); err == nil || !strings.Contains(err.Error(), "brackets") {
		t.Errorf("bare IPv6 peer: %v", err)
	}
}

func TestParseRefusesOtherSchemes(t *testing.T) {
	_, err := Parse("http://example.org/file")
	if err == nil || !strings.Contains(err.Error(), "only tswift:// and ppsp:// links and swarm IDs") {
		t.Fatalf("http link: %v", err)
	}
}

// TestChunkSizeRule: $N and ?cs= follow the one chunk size rule (hashtree.CheckChunkSize).
func TestChunkSizeRule(t *testing.T) {
	max := strconv.Itoa(hashtree.MaxChunkSize)
	over := strconv.Itoa(hashtree.MaxChunkSize + 1)
	for in, ok := range map[string]bool{
		"tswift:/" + root + "$" + max: true, "tswift:/" + root + "?cs=" + max: true,
		"tswift:/" + root + "$" + over: false, "tswift:/" + root + "?cs=" + over: false,
		"tswift:/" + root + "$65536": false, "tswift:/" + root + "?cs=0": false, "tswift:/" + root + "$0": false,
	} {
		_, err := Parse(in)
		if (err == nil) != ok {
			t.Errorf("%q: %v, want accepted=%v", in, err, ok)
		}
		if err != nil && !strings.Contains(err.Error(), "1 to "+max+" bytes") {
			t.Errorf("%q: error %v does not give the limit", in, err)
		}
	}
}

// TestCheckPeer: the one HOST:PORT rule (peers, trackers, DHT bootstrap nodes) needs a host
// and a port from 1 to 65535, and looks nothing up.
func TestCheckPeer(t *testing.T) {
	for _, ok := range []string{"127.0.0.1:6778", "[::1]:1", "router.example.org:65535"} {
		if err := CheckPeer(ok); err != nil {
			t.Errorf("CheckPeer(%q) = %v", ok, err)
		}
	}
	for _, bad := range []string{"", ":6881", "127.0.0.1", "::1", "a:0", "a:65536", "a:port"} {
		if err := CheckPeer(bad); err == nil {
			t.Errorf("CheckPeer(%q) accepted", bad)
		}
	}
}

// TestParsePercentEncoded: a link as a browser hands it to the scheme handler, with "$" and
// spaces percent-encoded, reads as the link itself.
func TestParsePercentEncoded(t *testing.T) {
	const id = "f86b2d68d56e7457f1be8d35c7f492a228c3aa45"
	plain, err := Parse("tswift://127.0.0.1:6778/" + id + "$8192/my file.ts")
	if err != nil {
		t.Fatal(err)
	}
	enc, err := Parse("tswift://127.0.0.1:6778/" + id + "%248192/my%20file.ts")
	if err != nil {
		t.Fatal(err)
	}
	if enc.ChunkSize != 8192 || enc.Peer != plain.Peer || string(enc.SwarmID) != string(plain.SwarmID) || enc.Filename != plain.Filename || plain.Filename != "my file.ts" {
		t.Fatalf("encoded %+v, plain %+v", enc, plain)
	}
	if _, err := Parse("tswift://127.0.0.1:6778/" + id + "%zz"); err == nil {
		t.Fatal("a bad escape was accepted")
	}
}
