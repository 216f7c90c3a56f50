package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

func runCLI(t *testing.T, args ...string) (string, error) {
	t.Helper()
	cmd := newRootCmd()
	var out bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&out)
	cmd.SetArgs(args)
	err := cmd.Execute()
	return out.String(), err
}

func TestDissectCapture(t *testing.T) {
	out, err := runCLI(t, "dissect", filepath.Join("..", "..", "testdata", "interop", "vod-1MiB123-sha1-1024.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(out, "# 2068 datagrams, 0 failed; HANDSHAKE=3 DATA=1025 ACK=1025 HAVE=1027 INTEGRITY=2353 PEX_REQ=1 REQUEST=12") {
		t.Fatalf("summary missing or wrong:\n%s", out[max(0, len(out)-300):])
	}
	if !strings.Contains(out, "DATA chunks 1024-1024 ts=") || !strings.Contains(out, "len=123") {
		t.Fatal("last short chunk not shown")
	}
}

func TestDissectJSON(t *testing.T) {
	out, err := runCLI(t, "dissect", "--json", filepath.Join("..", "..", "testdata", "interop", "live-umt-ecdsap256-1024.pcap"))
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSpace(out), "\n")
	signed := 0
	for _, l := range lines {
		var d struct {
			Messages []struct {
				Type      string `json:"type"`
				Signature string `json:"signature"`
			} `json:"messages"`
			Error string `json:"error"`
		}
		if err := json.Unmarshal([]byte(l), &d); err != nil {
			t.Fatalf("not JSON: %q: %v", l, err)
		}
		if d.Error != "" {
			t.Fatal(d.Error)
		}
		for _, m := range d.Messages {
			if m.Type == "SIGNED_INTEGRITY" {
				signed++
				if len(m.Signature) != 128 {
					t.Fatalf("signature %q", m.Signature)
				}
			}
		}
	}
	if signed != 6 {
		t.Fatalf("%d SIGNED_INTEGRITY", signed)
	}
}

func TestDissectFailsOnBadDatagram(t *testing.T) {
	path := filepath.Join(t.TempDir(), "bad.hex.txt")
	dump := "0.0 a->b 5 0000000103\n0.1 a->b 4 00000001\n0.2 a->b 5 000000010e\n"
	if err := os.WriteFile(path, []byte(dump), 0o644); err != nil {
		t.Fatal(err)
	}
	out, err := runCLI(t, "dissect", path)
	if err == nil {
		t.Fatal("exit status zero for undecodable datagrams")
	}
	if !strings.Contains(err.Error(), "2 of 3 datagrams failed") || !strings.Contains(err.Error(), "datagram #1") || !strings.Contains(err.Error(), "truncated") {
		t.Fatalf("error %q", err)
	}
	if !strings.Contains(out, "unknown message type") {
		t.Fatalf("output:\n%s", out)
	}
	if _, err := runCLI(t, "dissect", filepath.Join(t.TempDir(), "missing.pcap")); err == nil {
		t.Fatal("missing file accepted")
	}
	if _, err := runCLI(t, "dissect", "--addressing", "bin128", path); err == nil {
		t.Fatal("bad --addressing accepted")
	}
}

func TestVersion(t *testing.T) {
	out, err := runCLI(t, "version")
	if err != nil || !strings.HasPrefix(out, "ppsppd ") || !strings.Contains(out, "RFC 7574") {
		t.Fatalf("%q %v", out, err)
	}
}
