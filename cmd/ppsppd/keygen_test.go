package main

import (
	"bytes"
	"encoding/hex"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// TestKeygen: the key file is 0600 and holds the key whose swarm ID is printed, the URL
// names that swarm, and a second run never overwrites the key.
func TestKeygen(t *testing.T) {
	dir := t.TempDir()
	for _, alg := range []string{"ecdsa-p256", "ed25519", "14"} {
		path := filepath.Join(dir, alg+".key")
		out, err := runCLI(t, "keygen", "--out", path, "--alg", alg, "--peer", "127.0.0.1:6778", "--chunk-size", "8192")
		if err != nil {
			t.Fatalf("%s: %v\n%s", alg, err, out)
		}
		var lines []string
		for _, l := range strings.Split(strings.TrimSpace(out), "\n") {
			if !strings.HasPrefix(l, "wrote ") {
				lines = append(lines, l)
			}
		}
		if len(lines) != 2 {
			t.Fatalf("%s: output\n%s", alg, out)
		}
		id, err := hex.DecodeString(lines[0])
		if err != nil {
			t.Fatal(err)
		}
		fi, err := os.Stat(path)
		if err != nil || fi.Mode().Perm() != 0o600 {
			t.Fatalf("key file: %v %v", fi.Mode(), err)
		}
		k, err := livesig.ReadKeyFile(path, func(err error) { t.Errorf("warning: %v", err) })
		if err != nil {
			t.Fatal(err)
		}
		want, _ := livesig.ParseAlg(alg)
		if k.Alg() != want || !bytes.Equal(k.Public().SwarmID(), id) {
			t.Fatalf("%s: key file holds %v key %x, printed %x", alg, k.Alg(), k.Public().SwarmID(), id)
		}
		link, err := swarmurl.Parse(lines[1])
		if err != nil || !bytes.Equal(link.SwarmID, id) || link.Peer != "127.0.0.1:6778" || link.ChunkSize != 8192 {
			t.Fatalf("URL %q: %+v %v", lines[1], link, err)
		}
		before, _ := os.ReadFile(path)
		if _, err := runCLI(t, "keygen", "--out", path, "--alg", alg); err == nil || !strings.Contains(err.Error(), "never overwrites") {
			t.Fatalf("second keygen: %v", err)
		}
		if after, _ := os.ReadFile(path); !bytes.Equal(before, after) {
			t.Fatal("key file changed")
		}
	}
	if _, err := runCLI(t, "keygen", "--out", filepath.Join(dir, "x"), "--alg", "dsa"); !isUsage(err) {
		t.Fatalf("bad --alg: %v", err)
	}
	if _, err := runCLI(t, "keygen"); !isUsage(err) {
		t.Fatalf("no --out: %v", err)
	}
}
