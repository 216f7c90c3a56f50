package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// End-to-end tests: the real ppsppd binary, real UDP on 127.0.0.1, real files.

var binPath string

func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "ppsppd-e2e")
	if err != nil {
		panic(err)
	}
	binPath = filepath.Join(dir, "ppsppd")
	build := exec.Command("go", "build", "-o", binPath, ".")
	build.Stderr = os.Stderr
	if err := build.Run(); err != nil {
		panic("building ppsppd: " + err.Error())
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

// writeContent writes size bytes from a seeded generator, so the content is the same on
// every run without being stored in the repository.
func writeContent(t *testing.T, path string, size int, seed uint64) []byte {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, seed+1))
	data := make([]byte, size)
	for i := 0; i+8 <= size; i += 8 {
		v := r.Uint64()
		for k := range 8 {
			data[i+k] = byte(v >> (8 * k))
		}
	}
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	return data
}

// freeUDPPort finds a port nothing listens on right now.
func freeUDPPort(t testing.TB) int {
	t.Helper()
	c, err := net.ListenUDP("udp", &net.UDPAddr{IP: net.IPv4(127, 0, 0, 1)})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	return c.LocalAddr().(*net.UDPAddr).Port
}

// startSeeder runs `ppsppd seed` and returns the URL it printed.
func startSeeder(t *testing.T, file string) string {
	t.Helper()
	return startSeederOn(t, file, fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t)))
}

// startSeederOn is startSeeder listening on listen.
func startSeederOn(t *testing.T, file, listen string) string {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	cmd := exec.CommandContext(ctx, binPath, "seed", file, "--listen", listen)
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
	t.Cleanup(func() {
		cancel()
		_ = cmd.Wait()
		if t.Failed() {
			t.Logf("seeder stderr:\n%s", stderr.String())
		}
	})
	sc := bufio.NewScanner(stdout)
	var lines []string
	for len(lines) < 2 && sc.Scan() {
		lines = append(lines, sc.Text())
	}
	if len(lines) < 2 || !strings.HasPrefix(lines[1], "tswift://") || !strings.Contains(lines[1], lines[0]) {
		t.Fatalf("seed printed %q", lines)
	}
	return lines[1]
}

func TestSeedAndTwoGets(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := writeContent(t, src, 20<<20, 1)
	url := startSeeder(t, src)

	var wg sync.WaitGroup
	errs := make([]error, 2)
	outs := make([]string, 2)
	for i := range 2 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			dst := filepath.Join(dir, fmt.Sprintf("dst%d.bin", i))
			out, err := exec.Command(binPath, "get", url, "-o", dst).CombinedOutput()
			outs[i] = string(out)
			if err == nil {
				got, rerr := os.ReadFile(dst)
				if rerr != nil || !bytes.Equal(got, data) {
					err = fmt.Errorf("downloaded file differs (read error %v)", rerr)
				}
			}
			errs[i] = err
		}()
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil {
			t.Fatalf("get %d: %v\n%s", i, err, outs[i])
		}
		if !strings.Contains(outs[i], "complete and verified") {
			t.Fatalf("get %d output:\n%s", i, outs[i])
		}
	}
}

// TestGetResumesAfterKill kills a leecher mid-way (no chance to save anything on the way
// out) and checks that the same command resumes from its checkpoint.
func TestGetResumesAfterKill(t *testing.T) {
	dir := t.TempDir()
	src := filepath.Join(dir, "src.bin")
	data := writeContent(t, src, 64<<20, 2)
	url := startSeeder(t, src)
	dst := filepath.Join(dir, "dst.bin")
	args := []string{"get", url, "-o", dst, "--checkpoint-every", "20ms"}

	first := exec.Command(binPath, args...)
	var firstOut bytes.Buffer
	first.Stdout, first.Stderr = &firstOut, &firstOut
	if err := first.Start(); err != nil {
		t.Fatal(err)
	}
	// Kill it as soon as a checkpoint records verified chunks (a new download writes one
	// with none at once). The count is a big-endian uint64 at offset 32 (storage/doc.go).
	deadline := time.Now().Add(30 * time.Second)
	for {
		if ck, err := os.ReadFile(dst + ".ppsppd"); err == nil && len(ck) >= 40 && binary.BigEndian.Uint64(ck[32:]) > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint appeared:\n%s", firstOut.String())
		}
		time.Sleep(2 * time.Millisecond)
	}
	_ = first.Process.Kill()
	_ = first.Wait()
	if strings.Contains(firstOut.String(), "complete and verified") {
		t.Skip("the first run finished before it could be killed; nothing to resume")
	}

	out, err := exec.Command(binPath, args...).CombinedOutput()
	if err != nil {
		t.Fatalf("resumed get: %v\n%s", err, out)
	}
	if !strings.Contains(string(out), "resuming") {
		t.Fatalf("second run did not resume from the checkpoint:\n%s", out)
	}
	got, err := os.ReadFile(dst)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("resumed file differs (%v)", err)
	}
}

func TestGetFailsWhenNobodyListens(t *testing.T) {
	dir := t.TempDir()
	url := fmt.Sprintf("tswift://127.0.0.1:%d/%s", freeUDPPort(t), strings.Repeat("ab", 20))
	start := time.Now()
	out, err := exec.Command(binPath, "get", url, "-o", filepath.Join(dir, "x"), "--timeout", "3s").CombinedOutput()
	if err == nil {
		t.Fatalf("get succeeded with no peer:\n%s", out)
	}
	if ee, ok := err.(*exec.ExitError); !ok || ee.ExitCode() != 1 {
		t.Fatalf("exit: %v", err)
	}
	if !strings.Contains(string(out), "no peer answered within 3s") {
		t.Fatalf("unclear failure:\n%s", out)
	}
	if time.Since(start) > 15*time.Second {
		t.Fatalf("took %v to give up", time.Since(start))
	}
}

func TestHashCommand(t *testing.T) {
	out, err := exec.Command(binPath, "hash", filepath.Join("..", "..", "testdata", "interop", "c1025.bin")).CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "706da5efff5fc145dac4361f970b9bd2afc21861 1025 bytes 2 chunks tswift:/706da5ef") {
		t.Fatalf("%s %v", out, err)
	}
	empty := filepath.Join(t.TempDir(), "empty")
	_ = os.WriteFile(empty, nil, 0o644)
	out, err = exec.Command(binPath, "hash", empty).CombinedOutput()
	if err == nil || !strings.Contains(string(out), "empty") {
		t.Fatalf("empty file: %s %v", out, err)
	}
}

// TestSeedFromLibswiftMhash: a file that libswift seeded (with its .mhash beside it) is
// seeded without hashing it first, under the swarm ID libswift computed, and downloads
// byte-identical; a damaged .mhash is ignored and the file hashed instead.
func TestSeedFromLibswiftMhash(t *testing.T) {
	for _, damaged := range []bool{false, true} {
		dir := t.TempDir()
		content, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "c1025.bin"))
		if err != nil {
			t.Fatal(err)
		}
		mhash, err := os.ReadFile(filepath.Join("..", "..", "testdata", "interop", "c1025.bin.mhash"))
		if err != nil {
			t.Fatal(err)
		}
		if damaged {
			mhash[3] ^= 0xff // a leaf hash: the file no longer leads to libswift's root
		}
		src := filepath.Join(dir, "c1025.bin")
		_ = os.WriteFile(src, content, 0o644)
		_ = os.WriteFile(src+".mhash", mhash, 0o644)

		ctx, cancel := context.WithCancel(context.Background())
		cmd := exec.CommandContext(ctx, binPath, "seed", src, "--listen", fmt.Sprintf("127.0.0.1:%d", freeUDPPort(t)))
		cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
		stdout, _ := cmd.StdoutPipe()
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(stdout)
		var lines []string
		for len(lines) < 2 && sc.Scan() {
			lines = append(lines, sc.Text())
		}
		if len(lines) < 2 || lines[0] != "706da5efff5fc145dac4361f970b9bd2afc21861" {
			cancel()
			t.Fatalf("damaged=%v: seed printed %q\n%s", damaged, lines, stderr.String())
		}
		out, err := exec.Command(binPath, "get", lines[1], "-o", filepath.Join(dir, "copy")).CombinedOutput()
		cancel()
		_ = cmd.Wait()
		if err != nil {
			t.Fatalf("damaged=%v: get: %v\n%s", damaged, err, out)
		}
		if got, _ := os.ReadFile(filepath.Join(dir, "copy")); !bytes.Equal(got, content) {
			t.Fatalf("damaged=%v: copy differs", damaged)
		}
		usedMhash := strings.Contains(stderr.String(), "without rehashing")
		if usedMhash == damaged {
			t.Fatalf("damaged=%v: used the .mhash: %v\n%s", damaged, usedMhash, stderr.String())
		}
	}
}
