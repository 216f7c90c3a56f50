package main

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// Issue 16: a get that cannot succeed says why at once, and leaves nothing it created.

// TestGetWrongMetadataFailsWithCause: with a --size, --chunk-size or ?cl= that does not
// match the swarm, every chunk fails verification and the only peer is dropped; get
// stops with that cause (not "no data" after --timeout, which is set far beyond the
// test's patience so that only the real cause can end it) and removes the empty OUT and
// the checkpoint it created. The right command then succeeds and keeps no checkpoint.
func TestGetWrongMetadataFailsWithCause(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := writeContent(t, src, 300<<10+11, 21)
	url := startSeeder(t, src)
	out := filepath.Join(dir, "out")
	for _, c := range []struct {
		name string
		args []string
	}{
		{"--chunk-size", []string{"get", url, "-o", out, "--chunk-size", "2048"}},
		{"--size", []string{"get", url, "-o", out, "--size", "1000"}},
		{"?cl=", []string{"get", url + "?cl=5000", "-o", out}},
	} {
		args := append(c.args, "--timeout", "10m")
		msg, err := exec.Command(binPath, args...).CombinedOutput()
		if err == nil || !strings.Contains(string(msg), "failed verification") || !strings.Contains(string(msg), "wrong --size or --chunk-size") {
			t.Fatalf("%s: %v\n%s", c.name, err, msg)
		}
		for _, p := range []string{out, out + ".ppsppd"} {
			if _, err := os.Stat(p); err == nil {
				t.Fatalf("%s: the failed get left %s behind", c.name, p)
			}
		}
	}
	if msg, err := getInto(t, url, out); err != nil {
		t.Fatalf("the right command: %v\n%s", err, msg)
	}
	mustEqualFile(t, out, data, "the right command")
	if _, err := os.Stat(out + ".ppsppd"); err == nil {
		t.Fatal("a finished plain get kept its checkpoint")
	}
}

// TestGetNobodyAnsweredCleansUp: a get no peer answered removes the OUT and checkpoint it
// created, but never a file that was there before.
func TestGetNobodyAnsweredCleansUp(t *testing.T) {
	dir := t.TempDir()
	url := fmt.Sprintf("tswift://127.0.0.1:%d/%s", freeUDPPort(t), strings.Repeat("ab", 20))
	out := filepath.Join(dir, "x")
	msg, err := exec.Command(binPath, "get", url, "-o", out, "--timeout", "1s").CombinedOutput()
	if err == nil || !strings.Contains(string(msg), "no peer answered") {
		t.Fatalf("%v\n%s", err, msg)
	}
	for _, p := range []string{out, out + ".ppsppd"} {
		if _, err := os.Stat(p); err == nil {
			t.Fatalf("the failed get left %s behind", p)
		}
	}
	if err := os.WriteFile(out, nil, 0o644); err != nil { // the user's empty file
		t.Fatal(err)
	}
	if msg, err := exec.Command(binPath, "get", url, "-o", out, "--timeout", "1s").CombinedOutput(); err == nil {
		t.Fatalf("succeeded:\n%s", msg)
	}
	if _, err := os.Stat(out); err != nil {
		t.Fatalf("the user's file was removed: %v", err)
	}
}
