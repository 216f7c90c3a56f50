package main

import (
	"bufio"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/ppsppd/ppsppd/internal/livesig"
	"github.com/ppsppd/ppsppd/internal/swarmurl"
)

// TestLiveArgumentErrors: every bad flag of ppsppd live is a usage error (exit 2) that
// names it, found before anything is bound or read.
func TestLiveArgumentErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ts")
	if err := os.WriteFile(in, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "--source"},
		{[]string{"--source", "-", "--follow"}, "--follow"},
		{[]string{"--source", in, "--key", "a.key", "--key-out", "b.key"}, "--key-out"},
		{[]string{"--source", in, "--key", "a.key", "--sig", "ed25519"}, "--sig"},
		{[]string{"--source", in, "--sig", "dsa"}, "--sig"},
		{[]string{"--source", in, "--chunk-size", "0"}, "--chunk-size"},
		{[]string{"--source", in, "--chunk-size", "70000"}, "--chunk-size"},
		{[]string{"--source", in, "--integrity", "merkle"}, "--integrity"},
		{[]string{"--source", in, "--window", "99999999999"}, "--window"},
		{[]string{"--source", in, "--advertise", "0.0.0.0"}, "--advertise"},
		{[]string{"--source", in, "extra"}, "unknown command"},
	} {
		_, err := runCLI(t, append([]string{"live"}, tc.args...)...)
		if !isUsage(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("live %q: %v; want a usage error about %s", tc.args, err, tc.want)
		}
	}
}

// TestLiveInputAndKeyErrors: a missing input or key file, and a --key-out that exists,
// fail (exit 1) with the file named, before the port is bound; the existing key is left as
// it was.
func TestLiveInputAndKeyErrors(t *testing.T) {
	dir := t.TempDir()
	in := filepath.Join(dir, "in.ts")
	os.WriteFile(in, []byte("x"), 0o644)
	keyPath := filepath.Join(dir, "old.key")
	k, err := livesig.GenerateKey(livesig.Ed25519, nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := livesig.WriteKeyFile(keyPath, k); err != nil {
		t.Fatal(err)
	}
	before, _ := os.ReadFile(keyPath)
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--source", filepath.Join(dir, "none.ts")}, "none.ts"},
		{[]string{"--source", in, "--key", filepath.Join(dir, "none.key")}, "none.key"},
		{[]string{"--source", in, "--key-out", keyPath}, "never overwritten"},
	} {
		_, err := runCLI(t, append([]string{"live", "--listen", "127.0.0.1:0"}, tc.args...)...)
		if err == nil || isUsage(err) || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("live %q: %v; want a failure about %s", tc.args, err, tc.want)
		}
	}
	if after, _ := os.ReadFile(keyPath); string(after) != string(before) {
		t.Fatal("the existing key file changed")
	}
}

// TestGetRefusesLiveStream: get of a live swarm ID is a usage error that says how to join.
func TestGetRefusesLiveStream(t *testing.T) {
	k, err := livesig.GenerateKey(livesig.ECDSAP256SHA256, nil)
	if err != nil {
		t.Fatal(err)
	}
	link := "tswift://127.0.0.1:1/" + hex.EncodeToString(k.Public().SwarmID())
	_, err = runCLI(t, "get", link, "-o", filepath.Join(t.TempDir(), "out"))
	if !isUsage(err) || !strings.Contains(err.Error(), "live stream") || !strings.Contains(err.Error(), "ppsppd add "+link) {
		t.Fatalf("get of a live link: %v", err)
	}
}

// TestLiveSourceToDaemon: ppsppd live reads a growing file and prints its ID and URL; a
// daemon joins with ppsppd add URL, and ls shows the stream live and moving; SIGTERM ends
// the source with status 0. Skipped while the engine does not implement live swarms.
func TestLiveSourceToDaemon(t *testing.T) {
	if testing.Short() {
		t.Skip("runs processes")
	}
	dir := t.TempDir()
	in := filepath.Join(dir, "cam.ts")
	if err := os.WriteFile(in, make([]byte, 64<<10), 0o644); err != nil {
		t.Fatal(err)
	}
	key := filepath.Join(dir, "cam.key")
	src := exec.Command(binPath, "live", "--source", in, "--follow", "--key-out", key, "--listen", "127.0.0.1:0", "--log-level", "warn")
	stderr := new(lockedBuffer)
	src.Stderr = stderr
	stdout, err := src.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Start(); err != nil {
		t.Fatal(err)
	}
	exitCh := make(chan error, 1)
	go func() { exitCh <- src.Wait() }()
	var exitErr error
	exitedOnce := sync.OnceFunc(func() { exitErr = <-exitCh })
	wait := func() error { exitedOnce(); return exitErr }
	t.Cleanup(func() {
		_ = src.Process.Kill()
		wait()
	})
	lines := make(chan string, 2)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
		close(lines)
	}()
	var out []string
	for len(out) < 2 {
		select {
		case l, ok := <-lines:
			if !ok {
				wait()
				t.Fatalf("ppsppd live ended early:\n%s", stderr.String())
			}
			out = append(out, l)
		case <-time.After(30 * time.Second):
			t.Fatalf("ppsppd live printed %q in 30 s:\n%s", out, stderr.String())
		}
	}
	link, err := swarmurl.Parse(out[1])
	if err != nil || hex.EncodeToString(link.SwarmID) != out[0] {
		t.Fatalf("printed %q: %v", out, err)
	}
	if k, err := livesig.ReadKeyFile(key, nil); err != nil || hex.EncodeToString(k.Public().SwarmID()) != out[0] {
		t.Fatalf("--key-out file does not hold the stream's key: %v", err)
	}

	d := startDaemon(t, t.TempDir(), "")
	if o, err := d.ctl(t, "add", out[1]); err != nil || !strings.Contains(o, "live") {
		t.Fatalf("add %s: %v\n%s", out[1], err, o)
	}
	f, err := os.OpenFile(in, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	deadline := time.Now().Add(30 * time.Second)
	for {
		f.Write(make([]byte, 8<<10)) // the stream goes on
		o, _ := d.ctl(t, "ls")
		if strings.Contains(o, out[0]) && strings.Contains(o, "live, ") && !strings.Contains(o, "live, 0 bytes") {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("ls never showed the stream moving:\n%s", o)
		}
		time.Sleep(200 * time.Millisecond)
	}
	if err := src.Process.Signal(syscall.SIGTERM); err != nil {
		t.Fatal(err)
	}
	if err := wait(); err != nil {
		t.Fatalf("ppsppd live exited with %v after SIGTERM:\n%s", err, stderr.String())
	}
	d.stop(t)
}
