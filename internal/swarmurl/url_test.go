package swarmurl

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
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
	if _, err := ResolvePeer("127.0.0.1:6778"); err != nil {
		t.Fatal(err)
	}
	if _, err := ResolvePeer("localhost:6778"); err == nil {
		t.Fatal("host name accepted")
	}
}
