package main

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestSeedBindsBeforeHashing: with its port taken, seed fails at once with the cause,
// before it hashes the file (no checkpoint is written, nothing is "ready").
func TestSeedBindsBeforeHashing(t *testing.T) {
	busy, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer busy.Close()
	src := filepath.Join(t.TempDir(), "big.bin")
	writeContent(t, src, 32<<20, 5)
	out, err := exec.Command(binPath, "seed", src, "--listen", busy.LocalAddr().String()).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "address already in use") {
		t.Fatalf("seed on a busy port: %v\n%s", err, out)
	}
	if _, err := os.Stat(src + ".ppsppd"); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("the file was hashed before the port was bound (checkpoint: %v)\n%s", err, out)
	}
	if strings.Contains(string(out), "\tready\t") {
		t.Fatalf("seed got ready on a busy port:\n%s", out)
	}
}

// seedOutput runs seed with args until it prints its URL and returns the URL and what it
// logged by then.
func seedOutput(t *testing.T, args ...string) (string, string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binPath, append([]string{"seed"}, args...)...)
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { cancel(); _ = cmd.Wait() }()
	sc := bufio.NewScanner(stdout)
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 {
		t.Fatalf("seed %v printed %q\n%s", args, lines, stderr.String())
	}
	cancel()
	_ = cmd.Wait()
	return lines[1], stderr.String()
}

// TestSeedAdvertise: listening on all interfaces, seed says so and how to name the address
// peers should use; --advertise puts that address in the URL; a URL with a bracketed IPv6
// peer or a host name is fetched by get.
func TestSeedAdvertise(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := writeContent(t, src, 100<<10, 6)
	port := freeUDPPort(t)

	url, logged := seedOutput(t, src, "--listen", fmt.Sprintf("0.0.0.0:%d", port))
	if !strings.HasPrefix(url, fmt.Sprintf("tswift://127.0.0.1:%d/", port)) || !strings.Contains(logged, "all interfaces") || !strings.Contains(logged, "--advertise") {
		t.Fatalf("on all interfaces: URL %s\n%s", url, logged)
	}
	url, logged = seedOutput(t, src, "--listen", fmt.Sprintf("0.0.0.0:%d", port), "--advertise", "192.0.2.10")
	if !strings.HasPrefix(url, fmt.Sprintf("tswift://192.0.2.10:%d/", port)) || strings.Contains(logged, "all interfaces") {
		t.Fatalf("--advertise: URL %s\n%s", url, logged)
	}
	if out, err := exec.Command(binPath, "seed", src, "--advertise", "::").CombinedOutput(); err == nil || !strings.Contains(string(out), "--advertise") {
		t.Fatalf("--advertise :: accepted: %v\n%s", err, out)
	}

	// A bracketed IPv6 link and a host name link are fetched.
	if c, err := net.ListenUDP("udp6", &net.UDPAddr{IP: net.IPv6loopback}); err != nil {
		t.Skipf("no IPv6 loopback: %v", err)
	} else {
		c.Close()
	}
	v6 := startSeederOn(t, src, fmt.Sprintf("[::1]:%d", freeUDPPort(t)))
	if !strings.HasPrefix(v6, "tswift://[::1]:") {
		t.Fatalf("IPv6 seeder URL %s", v6)
	}
	out := filepath.Join(dir, "v6")
	if msg, err := getInto(t, v6, out); err != nil {
		t.Fatalf("get %s: %v\n%s", v6, err, msg)
	}
	mustEqualFile(t, out, data, "get over IPv6")
	v4 := startSeederOn(t, src, fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t)))
	named := strings.Replace(v4, "127.0.0.1", "localhost", 1)
	hex := swarmHex(v4)
	hostport := strings.TrimPrefix(v4, "tswift://")
	hostport = strings.Replace(hostport[:strings.IndexByte(hostport, '/')], "127.0.0.1", "localhost", 1)
	for i, args := range [][]string{{"get", named}, {"get", hex, "--peer", hostport}} {
		out := filepath.Join(dir, fmt.Sprintf("named%d", i))
		msg, err := exec.Command(binPath, append(args, "-o", out, "--timeout", "20s")...).CombinedOutput()
		if err != nil {
			t.Fatalf("%v: %v\n%s", args, err, msg)
		}
		mustEqualFile(t, out, data, "get from localhost")
	}
	if msg, err := exec.Command(binPath, "get", hex, "--peer", "::1", "-o", filepath.Join(dir, "x")).CombinedOutput(); err == nil || !strings.Contains(string(msg), "[::1]:") {
		t.Fatalf("--peer ::1: %v\n%s", err, msg)
	}
}
