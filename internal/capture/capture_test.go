package capture

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func testdata(name string) string { return filepath.Join("..", "..", "testdata", "interop", name) }

// TestPcapMatchesHexDump checks both readers against each other on the same session: the hex
// dumps were made from the pcaps, so every payload must agree.
func TestPcapMatchesHexDump(t *testing.T) {
	for _, name := range []string{"vod-1025B-sha1-1024", "live-umt-ecdsap256-1024"} {
		p, err := ReadFile(testdata(name + ".pcap"))
		if err != nil {
			t.Fatal(err)
		}
		h, err := ReadFile(testdata(name + ".hex.txt"))
		if err != nil {
			t.Fatal(err)
		}
		if len(p) != len(h) || len(p) == 0 {
			t.Fatalf("%s: pcap has %d datagrams, hex dump %d", name, len(p), len(h))
		}
		for i := range p {
			if !bytes.Equal(p[i].Payload, h[i].Payload) {
				t.Fatalf("%s: datagram %d differs", name, i+1)
			}
			if p[i].Index != i+1 || h[i].Index != i+1 {
				t.Fatalf("%s: index %d/%d at %d", name, p[i].Index, h[i].Index, i)
			}
		}
		if !strings.HasPrefix(p[0].Src, "127.0.0.1:") || h[0].Src != "leecher" {
			t.Fatalf("%s: endpoints %q %q", name, p[0].Src, h[0].Src)
		}
	}
}

func TestHexDumpErrors(t *testing.T) {
	for _, in := range []string{
		"",
		"0.1 a->b 3 0000",
		"0.1 a-b 2 0000",
		"x a->b 2 0000",
		"0.1 a->b 2 zz00",
		"0.1 a->b 2",
	} {
		if _, err := Read(strings.NewReader(in)); err == nil {
			t.Errorf("%q: no error", in)
		}
	}
	for _, in := range []string{"", "hello world\n", "\x00\x01binary junk"} {
		if _, err := Read(strings.NewReader(in)); !errors.Is(err, ErrNotCapture) {
			t.Errorf("%q: error %v, want ErrNotCapture", in, err)
		}
	}
	recs, err := Read(strings.NewReader("# comment\n\n0.5 a->b 4 01020304\n"))
	if err != nil || len(recs) != 1 || recs[0].Dst != "b" || len(recs[0].Payload) != 4 {
		t.Fatalf("got %+v, %v", recs, err)
	}
}

func TestTruncatedPcap(t *testing.T) {
	// A pcap cut in the middle of a packet must give an error, not a panic or silent loss.
	raw := mustRead(t, testdata("vod-1025B-sha1-1024.pcap"))
	if _, err := Read(bytes.NewReader(raw[:len(raw)-7])); err == nil {
		t.Fatal("truncated pcap read without error")
	}
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}
